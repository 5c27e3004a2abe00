#!/usr/bin/env bash
# Installs dnncc's .deb on a clean Debian 12 and uses it there: debootstraps a minimal bookworm
# into a chroot, `apt-get install ./dnncc_<version>_amd64.deb` (apt pulls the Depends from the
# Debian mirror), then, inside the chroot, the packaged dnncc compiles the default model, dnncc-run
# checks its numbers, and a CMake project (examples/board) builds through find_package(dnncc).
# Needs root, the Debian mirror and ~1.5 GB under the work directory; takes a few minutes, so it
# is not in the default test suite (tests/install/deb_test.sh checks the package without a chroot).
#   bash scripts/check_deb.sh [WORK_DIR]    # default /tmp/dnncc-check-deb; builds the .deb first
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
work=${1:-/tmp/dnncc-check-deb}
root=$work/bookworm
log() { printf 'check_deb: %s\n' "$*"; }
((EUID == 0)) || { log "error: needs root (debootstrap, chroot)"; exit 1; }

if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi
bash scripts/build.sh
rm -rf "$work/pkg"
cpack --config build/CPackConfig.cmake -B "$work/pkg" >/dev/null
deb=$(ls "$work"/pkg/dnncc_*_amd64.deb)

cleanup() { umount "$root/proc" 2>/dev/null || true; }
trap cleanup EXIT
if [[ ! -x $root/usr/bin/apt-get ]]; then
  rm -rf "$root"
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  log "debootstrap bookworm into $root (${mirror:-http://deb.debian.org/debian})"
  debootstrap --variant=minbase bookworm "$root" "${mirror:-http://deb.debian.org/debian}" >/dev/null
fi
mount -t proc proc "$root/proc"
mkdir -p "$root/check"
cp "$deb" "$root/check/"
cp -r models/tinynet "$root/check/tinynet"
mkdir -p "$root/check/examples"
cp -r examples/board examples/classify "$root/check/examples/"
mkdir -p "$root/check/models" && ln -sfn ../tinynet "$root/check/models/tinynet"

log "apt-get install ./$(basename "$deb") (+ cmake, ninja, gcc for the CMake project)"
chroot "$root" /bin/bash -euo pipefail -c "
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends /check/$(basename "$deb") cmake ninja-build gcc libc6-dev >/dev/null
  cd /check
  dnncc --version
  dnncc tinynet/model.onnx --target=x86-64 -o /check/libtinynet.so
  dnncc-run /check/libtinynet.so --data tinynet/test_data_set_0
  cmake -G Ninja -S examples/board -B build-board >/dev/null
  cmake --build build-board >/dev/null
  grep -q /usr/bin/dnncc build-board/build.ninja
  ./build-board/classify
"
log "ok: $(basename "$deb") installs and works on a clean Debian 12 ($root)"
