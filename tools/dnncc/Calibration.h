// Calibration samples of `dnncc --quantize=int8 --calibration DIR`: read from ONNX test-data
// directories or .npy / .pb tensor files and checked against the model's inputs.
#pragma once

#include <string>

#include "ir/IR.h"
#include "passes/Pass.h"

namespace dnncc {

/// Reads the samples in `dir` for the inputs of `m` (their bytes in Module::inputs order) into
/// `options.samples`. DIR holds either sub-directories in the ONNX test-data layout (each one
/// sample: input_<i>.pb per input, matched by tensor name when the files name one, else by
/// index), or, for a model with one input, .npy / .pb files directly: each one sample of the
/// input's shape, or a batch of them along axis 0 (a file of shape [k * N, ...] for an input
/// [N, ...] gives k samples). Errors name the file: no samples, a type or shape that differs
/// from the input's, a NaN or infinity in a float sample.
Status loadCalibration(const std::string& dir, const Module& m, QuantizeOptions& options);

} // namespace dnncc
