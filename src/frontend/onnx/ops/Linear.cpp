// ONNX Gemm and MatMul -> IR.
#include "frontend/onnx/Converters.h"

namespace dnncc::onnximport {
namespace {

Status gemm(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  GemmAttrs attrs{c.attrInt("transA", 0) != 0, c.attrInt("transB", 0) != 0,
                  c.attrFloat("alpha", 1.0), c.attrFloat("beta", 1.0)};
  std::vector<Value*> operands{a, b};
  if (Value* bias = c.optionalInput(2))
    operands.push_back(bias);
  else if (c.opset() < 11)
    return c.error("input C is required before opset 11");
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::Gemm, operands, attrs));
  return c.setOutput(0, y);
}

Status matmul(NodeContext& c) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, c.input(0));
  DNNCC_ASSIGN_OR_RETURN(Value * b, c.input(1));
  DNNCC_ASSIGN_OR_RETURN(Value * y, c.emit(OpKind::MatMul, {a, b}));
  return c.setOutput(0, y);
}

constexpr int kMax = kMaxOpset;
const ConverterRow kRows[] = {
    {"Gemm", 7, kMax, gemm},
    {"MatMul", 1, kMax, matmul},
};
} // namespace

std::span<const ConverterRow> linearConverters() { return kRows; }

} // namespace dnncc::onnximport
