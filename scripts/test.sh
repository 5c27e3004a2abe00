#!/usr/bin/env bash
# Installs what is needed, builds dnncc, generates the model zoo (models/zoo, git-ignored; skipped
# when up to date) and runs the whole test suite with CTest. What .ci/run calls.
#   bash scripts/test.sh [extra ctest arguments, e.g. -R zoo]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build.sh
.venv/bin/python models/export_zoo.py --out models/zoo
ctest --preset default -j "$(nproc)" "$@"
