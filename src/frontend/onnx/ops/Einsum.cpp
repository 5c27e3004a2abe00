// ONNX Einsum -> IR (placeholder until the decomposition lands).
#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {

std::span<const ConverterRow> einsumConverters() { return {}; }

} // namespace dnncc::onnximport
