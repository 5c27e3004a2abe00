#!/usr/bin/env bash
# Configures (once) and builds dnncc with the default CMake preset (Release, Ninja, ccache) into
# build/. Fast when nothing changed. Used by demo.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -f build/build.ninja ]]; then
  cmake --preset default >/dev/null
fi
cmake --build --preset default
