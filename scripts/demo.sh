#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine (as root): installs what is needed,
# builds dnncc, compiles the default model models/tinynet/model.onnx into build/demo/libtinynet.so
# (+ libtinynet.h), checks its numbers against onnxruntime's with dnncc-run, then builds the C
# example examples/classify/classify.c against the library and runs it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --main
bash scripts/build.sh
mkdir -p build/demo
echo "demo: dnncc models/tinynet/model.onnx --target=host -o build/demo/libtinynet.so"
build/bin/dnncc models/tinynet/model.onnx --target=host -o build/demo/libtinynet.so -v
echo "demo: dnncc-run build/demo/libtinynet.so --data models/tinynet/test_data_set_0"
build/bin/dnncc-run build/demo/libtinynet.so --data models/tinynet/test_data_set_0
echo "demo: cc examples/classify/classify.c -Ibuild/demo -Lbuild/demo -ltinynet"
cc -std=c11 -O2 examples/classify/classify.c -Ibuild/demo -Lbuild/demo -ltinynet \
  -Wl,-rpath,"$PWD/build/demo" -o build/demo/classify
# The same input as the test data, as raw float32 (the .npy file's data after its header).
.venv/bin/python -c "import numpy as n; n.load('models/tinynet/input.npy').astype('<f4').tofile('build/demo/input.f32')"
build/demo/classify build/demo/input.f32
