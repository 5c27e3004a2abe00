// Helpers of the compiler's unit tests: ONNX models built in C++, a reference interpreter over the
// IR (every op through the Halide reference evaluator), allclose, and FileCheck-style matching.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "ir/IR.h"
#include "passes/Pass.h"

namespace dnncc {
class ConstantEvaluator;
}

namespace dnncc::test {

using Bytes = std::vector<uint8_t>;

// ---- ONNX models built in C++ ----

/// A small ONNX model under construction: static-shape inputs, initializers, nodes, one opset.
class OnnxBuilder {
public:
  explicit OnnxBuilder(int opset, std::string graphName = "g");

  void input(const std::string& name, std::vector<int64_t> shape,
             int elemType = onnx::TensorProto::FLOAT);
  /// A graph output; its type is left unspecified (the importer infers it).
  void output(const std::string& name);
  void initializer(const std::string& name, std::vector<int64_t> shape,
                   const std::vector<float>& values);
  void initializerI64(const std::string& name, std::vector<int64_t> shape,
                      const std::vector<int64_t>& values);
  /// An f32 initializer whose bytes live in `file` (relative to the model directory) at `offset`.
  void externalInitializer(const std::string& name, std::vector<int64_t> shape,
                           const std::string& location, int64_t offset = 0);
  /// Adds a node; empty names in `outputs` are optional outputs left out.
  onnx::NodeProto& node(const std::string& opType, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string& name = "");

  /// Writes the model to `dir/file` and returns the path.
  std::string write(const std::string& dir, const std::string& file = "model.onnx") const;

  onnx::ModelProto model;
  onnx::GraphProto* graph;
};

// Attribute setters for a node under construction.
void attrInt(onnx::NodeProto& n, const std::string& name, int64_t v);
void attrFloat(onnx::NodeProto& n, const std::string& name, float v);
void attrInts(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v);
void attrString(onnx::NodeProto& n, const std::string& name, const std::string& v);

/// A fresh empty directory for the current test (under the system temp directory).
std::string testDir();

// ---- the reference interpreter ----

/// The process-wide reference evaluator (its JIT cache is shared by all tests of a binary).
ConstantEvaluator& referenceEvaluator();

/// Runs `m` op by op with the reference evaluator. `inputs` holds each model input's bytes in
/// row-major order; returns each output's bytes in row-major order. Layouts and kernel groups are
/// ignored (they never change results); reshapes pass their operand's bytes through.
Expected<std::vector<Bytes>> interpret(const Module& m, const std::vector<Bytes>& inputs);

/// Seeded random bytes for every input of `m`: floats uniform in [-1, 1], integers in [0, 4).
std::vector<Bytes> randomInputs(const Module& m, uint32_t seed);

Bytes floatBytes(const std::vector<float>& v);
std::vector<float> asFloats(const Bytes& b);
Bytes int64Bytes(const std::vector<int64_t>& v);
std::vector<int64_t> asInt64s(const Bytes& b);

/// Element-wise |a - b| <= atol + rtol * |b| for f32 data (DESIGN.md: rtol 1e-3, atol 1e-5);
/// other types must be byte-identical.
::testing::AssertionResult allClose(const Bytes& actual, const Bytes& expected, DType dtype,
                                    double rtol = 1e-3, double atol = 1e-5);
::testing::AssertionResult allClose(const std::vector<float>& actual,
                                    const std::vector<float>& expected, double rtol = 1e-3,
                                    double atol = 1e-5);

/// Interprets `before` and `after` on the same seeded random inputs and compares every output.
::testing::AssertionResult sameNumbers(const Module& before, const Module& after,
                                       uint32_t seed = 1, double rtol = 1e-3, double atol = 1e-5);

/// Runs a comma-separated pass list with the reference evaluator and the verifier after each pass,
/// at `precision` (what dnncc --precision sets).
Status runPasses(Module& m, std::string_view passList, Precision precision = Precision::fp32);
/// Likewise with the target facts of `ctx` (vector lanes and registers, gpu); the reference
/// evaluator is used when `ctx` names none.
Status runPasses(Module& m, std::string_view passList, PassContext ctx);

// ---- FileCheck-style matching of printed IR ----

/// One directive: CHECK (substring found after the previous match) or CHECK-NOT (substring
/// absent between the previous and the next CHECK match).
struct CheckLine {
  bool negative = false;
  std::string pattern;
};

/// Checks `text` against the directives in order.
::testing::AssertionResult fileCheck(const std::string& text, const std::vector<CheckLine>& checks);
/// `fileCheck` with directives written as "CHECK: x" / "CHECK-NOT: y" strings.
::testing::AssertionResult fileCheck(const std::string& text,
                                     std::initializer_list<const char*> directives);

/// The module's printed IR with full constants up to 16 elements.
std::string printed(const Module& m);
/// Number of ops of `kind` in `m`.
int countOps(const Module& m, OpKind kind);
/// The first op of `kind`, or null.
const Op* findOp(const Module& m, OpKind kind);

} // namespace dnncc::test
