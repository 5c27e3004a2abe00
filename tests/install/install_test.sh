#!/usr/bin/env bash
# install_test.sh: installs dnncc from a build tree into a temporary prefix, moves the prefix (the
# tree must be relocatable), and uses it as a user would: the installed dnncc compiles the default
# model for x86-64 and rk3399, the installed dnncc-run checks both against the ONNX test data (the
# rk3399 one under qemu-aarch64 through the installed dnncc-exec-aarch64), the installed dnncc-zoo
# checks a one-model zoo, and examples/board, a CMake project outside the tree, builds through
# find_package(dnncc) + dnncc_add_model() and runs.
#   install_test.sh --cmake C --build B --repo R --work DIR [--ninja N] [--cc CC]
set -euo pipefail

cmake=cmake build= repo= work= ninja= cc=
while [[ $# -gt 0 ]]; do
  case $1 in
    --cmake) cmake=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --repo) repo=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --ninja) ninja=$2; shift 2 ;;
    --cc) cc=$2; shift 2 ;;
    *) echo "install_test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -n $build && -n $repo && -n $work ]] || fail "--build, --repo and --work are required"

rm -rf "$work"
mkdir -p "$work"
echo "+ $cmake --install $build --prefix $work/staged"
"$cmake" --install "$build" --prefix "$work/staged" >"$work/install.log" || {
  cat "$work/install.log"; fail "cmake --install failed"; }
mv "$work/staged" "$work/prefix"
prefix=$work/prefix

for f in bin/dnncc bin/dnncc-run bin/dnncc-zoo lib/dnncc/libdnncc_runtime-x86_64.a \
         lib/dnncc/libdnncc_runtime-aarch64.a lib/dnncc/libdnncc_runtime-arm.a \
         lib/dnncc/dnncc-exec-aarch64 lib/dnncc/dnncc-exec-arm lib/dnncc/dnncc-exec-x86_64 \
         lib/cmake/dnncc/dnnccConfig.cmake lib/cmake/dnncc/dnnccConfigVersion.cmake \
         lib/cmake/dnncc/DnnccModel.cmake share/doc/dnncc/README.md share/doc/dnncc/usage.md; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done
# Nothing installed may point back into the build or source tree.
if grep -rlF -e "$build" -e "$repo" "$prefix/lib/cmake" "$prefix/share"; then
  fail "installed text files name the build or source tree (above)"
fi
if readelf -d "$prefix/bin/dnncc" "$prefix/bin/dnncc-run" | grep -E 'R(UN)?PATH'; then
  fail "installed executables keep a build RPATH"
fi

model=$repo/models/tinynet
mkdir -p "$work/out/x86-64" "$work/out/rk3399"
for target in x86-64 rk3399; do
  echo "+ $prefix/bin/dnncc $model/model.onnx --target=$target"
  (cd / && "$prefix/bin/dnncc" "$model/model.onnx" --target="$target" \
     -o "$work/out/$target/libtinynet.so") || fail "installed dnncc failed for $target"
  echo "+ $prefix/bin/dnncc-run $work/out/$target/libtinynet.so --data $model/test_data_set_0"
  (cd / && "$prefix/bin/dnncc-run" "$work/out/$target/libtinynet.so" \
     --data "$model/test_data_set_0") || fail "installed dnncc-run failed for $target"
done

# dnncc-zoo finds the installed dnncc and dnncc-run next to itself.
mkdir -p "$work/zoo"
cp -r "$model" "$work/zoo/tinynet"
"$prefix/bin/dnncc-zoo" "$work/zoo" --targets x86-64 --bench-runs 0 --json "$work/zoo.json" ||
  fail "installed dnncc-zoo failed"
grep -q '"status": "matched"' "$work/zoo.json" || fail "installed dnncc-zoo: tinynet not matched"

board_args=(--cmake "$cmake" --prefix "$prefix" --repo "$repo" --work "$work/board" --target host)
[[ -n $ninja ]] && board_args+=(--ninja "$ninja")
[[ -n $cc ]] && board_args+=(--cc "$cc")
bash "$repo/tests/models/board_test.sh" "${board_args[@]}" || fail "examples/board against the prefix"
echo "ok: installed, moved, compiled, ran, and used from a CMake project through find_package(dnncc)"
