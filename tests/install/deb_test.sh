#!/usr/bin/env bash
# deb_test.sh: builds the Debian package with CPack from a build tree and checks it: the file name
# dnncc_<version>_amd64.deb, the Depends line (the run-time Debian packages, no foreign-architecture
# libc), the files under /usr; then unpacks it (dpkg-deb -x, no root needed) and runs the packaged
# dnncc and dnncc-run on the default model. Installing it on a clean Debian 12 is
# scripts/check_deb.sh (a debootstrap chroot; needs root and the Debian mirror).
#   deb_test.sh --cpack CPACK --build B --repo R --work DIR --version V
set -euo pipefail

cpack=cpack build= repo= work= version=
while [[ $# -gt 0 ]]; do
  case $1 in
    --cpack) cpack=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --repo) repo=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    *) echo "deb_test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -n $build && -n $repo && -n $work && -n $version ]] ||
  fail "--build, --repo, --work and --version are required"

rm -rf "$work"
mkdir -p "$work"
echo "+ $cpack --config $build/CPackConfig.cmake -B $work"
"$cpack" --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"; fail "cpack failed"; }
deb=$work/dnncc_${version}_$(dpkg --print-architecture).deb
[[ -f $deb ]] || { ls "$work"; fail "no $deb"; }

dpkg-deb --info "$deb"
depends=$(dpkg-deb --field "$deb" Depends)
for want in libhalide14-0 libllvm14 libprotobuf32 libonnx1 libfmt9 libarchive13 lld-14 llvm-14; do
  grep -qE "(^|, )$want( |,|$)" <<<"$depends" || fail "Depends lacks $want: $depends"
done
if grep -q ':' <<<"$depends"; then
  fail "Depends names a foreign-architecture package: $depends"
fi
dpkg-deb --contents "$deb" >"$work/contents.txt"
for f in ./usr/bin/dnncc ./usr/bin/dnncc-run ./usr/lib/dnncc/libdnncc_runtime-aarch64.a \
         ./usr/lib/dnncc/dnncc-exec-aarch64 ./usr/lib/cmake/dnncc/dnnccConfig.cmake \
         ./usr/share/doc/dnncc/README.md; do
  grep -qF " $f" "$work/contents.txt" || fail "the package lacks $f"
done

dpkg-deb -x "$deb" "$work/root"
model=$repo/models/tinynet
"$work/root/usr/bin/dnncc" --version
(cd / && "$work/root/usr/bin/dnncc" "$model/model.onnx" --target=x86-64 \
   -o "$work/libtinynet.so") || fail "the packaged dnncc failed"
(cd / && "$work/root/usr/bin/dnncc-run" "$work/libtinynet.so" --data "$model/test_data_set_0") ||
  fail "the packaged dnncc-run failed"
echo "ok: $deb"
