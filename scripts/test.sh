#!/usr/bin/env bash
# Installs what is needed, builds dnncc, generates the model zoo (models/zoo, git-ignored; skipped
# when up to date), fetches the example apps' models (models/examples, likewise) and runs the whole
# test suite with CTest. What .ci/run calls.
#   bash scripts/test.sh [extra ctest arguments, e.g. -R zoo]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build.sh
.venv/bin/python models/export_zoo.py --out models/zoo
.venv/bin/python examples/fetch_models.py --out models/examples
ctest --preset default -j "$(nproc)" "$@"
