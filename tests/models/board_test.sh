#!/usr/bin/env bash
# board_test.sh: configures and builds examples/board (a user's CMake project using
# cmake/DnnccModel.cmake) in a fresh directory, natively or with a cross toolchain file, runs its
# classify program (under qemu-user for ARM) and checks its "top-1: class N" line.
#   board_test.sh --cmake C [--ninja N] [--cc CC] (--dnncc D | --prefix P) --repo R --work DIR
#                 --target T [--toolchain FILE]
#                 [--run "qemu-aarch64 -L /usr/aarch64-linux-gnu"] [--machine AArch64|ARM]
#                 (--write-reference FILE | --expect-reference FILE | --expect-configure-error)
set -euo pipefail

cmake=cmake ninja= dnncc= prefix= repo= work= target= toolchain= run= machine= cc=
write_ref= expect_ref= expect_error=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --cmake) cmake=$2; shift 2 ;;
    --ninja) ninja=$2; shift 2 ;;
    --dnncc) dnncc=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;; # an installed dnncc: find_package(dnncc) from P
    --repo) repo=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --toolchain) toolchain=$2; shift 2 ;;
    --run) run=$2; shift 2 ;;
    --machine) machine=$2; shift 2 ;;
    --cc) cc=$2; shift 2 ;;
    --write-reference) write_ref=$2; shift 2 ;;
    --expect-reference) expect_ref=$2; shift 2 ;;
    --expect-configure-error) expect_error=1; shift ;;
    *) echo "board_test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ (-n $dnncc || -n $prefix) && -n $repo && -n $work ]] ||
  fail "--dnncc or --prefix, --repo and --work are required"

rm -rf "$work"
mkdir -p "$work"
args=(-G Ninja -S "$repo/examples/board" -B "$work")
if [[ -n $prefix ]]; then
  args+=(-DCMAKE_PREFIX_PATH="$prefix")
  dnncc=$prefix/bin/dnncc
else
  args+=(-DDNNCC_EXECUTABLE="$dnncc")
fi
[[ -n $target ]] && args+=(-DDNNCC_TARGET="$target")
[[ -n $toolchain ]] && args+=(-DCMAKE_TOOLCHAIN_FILE="$toolchain")
[[ -n $cc ]] && args+=(-DCMAKE_C_COMPILER="$cc")
[[ -n $ninja ]] && args+=(-DCMAKE_MAKE_PROGRAM="$ninja")
echo "+ $cmake ${args[*]}"
if [[ $expect_error == 1 ]]; then
  # A cross build without DNNCC_TARGET must stop at configure time and say what to do.
  if "$cmake" "${args[@]}" >"$work.log" 2>&1; then
    cat "$work.log"; fail "configure succeeded; expected an error asking for TARGET"
  fi
  cat "$work.log"
  grep -q "this is a cross build" "$work.log" || fail "configure failed without the TARGET message"
  echo "ok: cross build without TARGET is a configure error"
  exit 0
fi
"$cmake" "${args[@]}" || fail "configure failed"
"$cmake" --build "$work" || fail "build failed"

# The model is rebuilt when the model file or dnncc changes, and a second build does nothing.
query=$("$cmake" --build "$work" -- -t query libtinynet.so)
grep -q "models/tinynet/model.onnx" <<<"$query" || fail "libtinynet.so does not depend on the model"
grep -qF "$dnncc" <<<"$query" || fail "libtinynet.so does not depend on $dnncc"
noop=$("$cmake" --build "$work")
grep -q "no work to do" <<<"$noop" || fail "second build was not a no-op: $noop"

if [[ -n $machine ]]; then
  for f in classify libtinynet.so; do
    got=$(readelf -h "$work/$f" | sed -n 's/^ *Machine: *//p')
    [[ $got == "$machine" ]] || fail "$f: ELF machine '$got', expected '$machine'"
  done
fi
readelf -d "$work/classify" | grep -q 'RUNPATH.*\[\$ORIGIN\]' || fail "classify has no RUNPATH \$ORIGIN"

# Run it from another directory: the library is found through $ORIGIN, as on the board.
echo "+ (cd / && $run $work/classify)"
out=$(cd / && $run "$work/classify") || fail "classify failed: $out"
echo "$out"
top=$(grep -o '^top-1: class [0-9]*' <<<"$out") || fail "no 'top-1: class N' line"
if [[ -n $write_ref ]]; then
  echo "$top" >"$write_ref"
fi
if [[ -n $expect_ref ]]; then
  [[ -f $expect_ref ]] || fail "no host reference $expect_ref (run the models.board.host test)"
  want=$(cat "$expect_ref")
  [[ $top == "$want" ]] || fail "'$top' differs from the host build's '$want'"
  echo "ok: '$top' as on the host"
fi
