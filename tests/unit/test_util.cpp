// Helpers of the compiler's unit tests (see test_util.h).
#include "test_util.h"

#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <unistd.h>

#include "codegen/halide/Evaluator.h"
#include "ir/Text.h"
#include "passes/Pass.h"

namespace dnncc::test {
namespace fs = std::filesystem;

// ---- ONNX models ----

OnnxBuilder::OnnxBuilder(int opset, std::string graphName) {
  model.set_ir_version(8);
  model.set_producer_name("dnncc-tests");
  auto* o = model.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  graph = model.mutable_graph();
  graph->set_name(std::move(graphName));
}

void OnnxBuilder::input(const std::string& name, std::vector<int64_t> shape, int elemType) {
  auto* in = graph->add_input();
  in->set_name(name);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elemType);
  auto* s = tt->mutable_shape();
  for (int64_t d : shape)
    s->add_dim()->set_dim_value(d);
}

void OnnxBuilder::output(const std::string& name) {
  graph->add_output()->set_name(name);
}

void OnnxBuilder::initializer(const std::string& name, std::vector<int64_t> shape,
                              const std::vector<float>& values) {
  auto* t = graph->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape)
    t->add_dims(d);
  for (float v : values)
    t->add_float_data(v);
}

void OnnxBuilder::initializerI64(const std::string& name, std::vector<int64_t> shape,
                                 const std::vector<int64_t>& values) {
  auto* t = graph->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : shape)
    t->add_dims(d);
  for (int64_t v : values)
    t->add_int64_data(v);
}

void OnnxBuilder::externalInitializer(const std::string& name, std::vector<int64_t> shape,
                                      const std::string& location, int64_t offset) {
  auto* t = graph->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape)
    t->add_dims(d);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* loc = t->add_external_data();
  loc->set_key("location");
  loc->set_value(location);
  auto* off = t->add_external_data();
  off->set_key("offset");
  off->set_value(std::to_string(offset));
}

onnx::NodeProto& OnnxBuilder::node(const std::string& opType, std::vector<std::string> inputs,
                                   std::vector<std::string> outputs, const std::string& name) {
  auto* n = graph->add_node();
  n->set_op_type(opType);
  n->set_name(name);
  for (auto& i : inputs)
    n->add_input(i);
  for (auto& o : outputs)
    n->add_output(o);
  return *n;
}

std::string OnnxBuilder::write(const std::string& dir, const std::string& file) const {
  std::string path = (fs::path(dir) / file).string();
  std::ofstream out(path, std::ios::binary);
  EXPECT_TRUE(model.SerializeToOstream(&out)) << path;
  return path;
}

void attrInt(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void attrFloat(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void attrInts(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v)
    a->add_ints(x);
}

void attrString(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

std::string testDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? fmt::format("{}.{}", info->test_suite_name(), info->name()) : "misc";
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.')
      c = '_';
  fs::path dir = fs::temp_directory_path() / fmt::format("dnncc_test_{}_{}", getpid(), name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

// ---- the interpreter ----

ConstantEvaluator& referenceEvaluator() {
  static hl::HalideEvaluator evaluator;
  return evaluator;
}

Expected<std::vector<Bytes>> interpret(const Module& m, const std::vector<Bytes>& inputs) {
  if (inputs.size() != m.inputs.size())
    return Status::error(
        fmt::format("{} inputs given, the module has {}", inputs.size(), m.inputs.size()));
  using Data = std::shared_ptr<const Bytes>;
  std::vector<Data> values(m.numValueIds());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (static_cast<int64_t>(inputs[i].size()) != m.inputs[i]->type.byteSize())
      return Status::error(fmt::format("input {} has {} bytes, expected {}", i, inputs[i].size(),
                                       m.inputs[i]->type.byteSize()));
    values[m.inputs[i]->id] = std::make_shared<const Bytes>(inputs[i]);
  }
  for (const Value* c : m.constants)
    values[c->id] = c->data;
  auto rowMajor = [](TensorType t) {
    t.layout = Layout::rowMajor;
    return t;
  };
  for (const auto& op : m.ops) {
    for (const Value* v : op->operands)
      if (!values[v->id])
        return Status::error(fmt::format("%{} is read before it is computed", v->id));
    if (op->kind == OpKind::Reshape) { // a view: same bytes, new shape
      values[op->result->id] = values[op->operands[0]->id];
      continue;
    }
    // The evaluator runs ops whose operands are constants: rebuild the op in a scratch module.
    Module scratch;
    std::vector<Value*> operands;
    for (const Value* v : op->operands)
      operands.push_back(scratch.addConstant(rowMajor(v->type), values[v->id]));
    TensorType resultType = rowMajor(op->result->type);
    Expected<Value*> r = scratch.appendOp(op->kind, operands, op->attrs, op->name, &resultType);
    if (!r)
      return Status::error(fmt::format("{}: {}", printOp(*op), r.status().message()));
    auto bytes = referenceEvaluator().evaluate(*scratch.ops.back());
    if (!bytes)
      return Status::error(fmt::format("{}: {}", printOp(*op), bytes.status().message()));
    values[op->result->id] = *bytes;
  }
  std::vector<Bytes> out;
  for (const Value* v : m.outputs) {
    if (!values[v->id])
      return Status::error(fmt::format("output %{} is not computed", v->id));
    out.push_back(*values[v->id]);
  }
  return out;
}

std::vector<Bytes> randomInputs(const Module& m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Bytes> out;
  for (const Value* in : m.inputs) {
    const TensorType& t = in->type;
    Bytes b(t.byteSize());
    for (int64_t i = 0; i < t.numElements(); ++i) {
      if (t.dtype == DType::f32) {
        float f = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
        std::memcpy(b.data() + i * 4, &f, 4);
      } else if (t.dtype == DType::i64) {
        int64_t v = static_cast<int64_t>(rng() % 4);
        std::memcpy(b.data() + i * 8, &v, 8);
      } else {
        int64_t size = dtypeSize(t.dtype);
        b[i * size] = static_cast<uint8_t>(rng() % 2);
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

Bytes floatBytes(const std::vector<float>& v) {
  Bytes b(v.size() * sizeof(float));
  if (!b.empty()) // memcpy's pointers must not be null, even for no bytes
    std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<float> asFloats(const Bytes& b) {
  std::vector<float> v(b.size() / sizeof(float));
  if (!v.empty())
    std::memcpy(v.data(), b.data(), v.size() * sizeof(float));
  return v;
}

Bytes int64Bytes(const std::vector<int64_t>& v) {
  Bytes b(v.size() * sizeof(int64_t));
  if (!b.empty())
    std::memcpy(b.data(), v.data(), b.size());
  return b;
}

std::vector<int64_t> asInt64s(const Bytes& b) {
  std::vector<int64_t> v(b.size() / sizeof(int64_t));
  if (!v.empty())
    std::memcpy(v.data(), b.data(), v.size() * sizeof(int64_t));
  return v;
}

::testing::AssertionResult allClose(const std::vector<float>& actual,
                                    const std::vector<float>& expected, double rtol, double atol) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << actual.size() << " elements, expected " << expected.size();
  int bad = 0;
  std::string first;
  for (size_t i = 0; i < actual.size(); ++i) {
    double a = actual[i], e = expected[i];
    bool ok =
        (std::isnan(a) && std::isnan(e)) || a == e || std::abs(a - e) <= atol + rtol * std::abs(e);
    if (!ok && bad++ == 0)
      first = fmt::format("element {}: {} vs expected {}", i, a, e);
  }
  if (bad == 0)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << bad << " of " << actual.size() << " elements differ; first " << first;
}

::testing::AssertionResult allClose(const Bytes& actual, const Bytes& expected, DType dtype,
                                    double rtol, double atol) {
  if (dtype == DType::f32)
    return allClose(asFloats(actual), asFloats(expected), rtol, atol);
  if (actual == expected)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << dtypeName(dtype) << " data differs";
}

::testing::AssertionResult sameNumbers(const Module& before, const Module& after, uint32_t seed,
                                       double rtol, double atol) {
  std::vector<Bytes> inputs = randomInputs(before, seed);
  auto a = interpret(before, inputs);
  if (!a)
    return ::testing::AssertionFailure() << "before: " << a.status().format();
  auto b = interpret(after, inputs);
  if (!b)
    return ::testing::AssertionFailure() << "after: " << b.status().format();
  if (a->size() != b->size())
    return ::testing::AssertionFailure() << "the number of outputs changed";
  for (size_t i = 0; i < a->size(); ++i) {
    auto r = allClose((*b)[i], (*a)[i], after.outputs[i]->type.dtype, rtol, atol);
    if (!r)
      return ::testing::AssertionFailure() << "output " << i << ": " << r.message();
  }
  return ::testing::AssertionSuccess();
}

Status runPasses(Module& m, std::string_view passList, Precision precision) {
  PassContext ctx;
  ctx.precision = precision;
  return runPasses(m, passList, ctx);
}

Status runPasses(Module& m, std::string_view passList, PassContext ctx) {
  DNNCC_ASSIGN_OR_RETURN(auto passes, parsePipeline(passList));
  if (!ctx.evaluator)
    ctx.evaluator = &referenceEvaluator();
  PipelineOptions options;
  options.verifyEach = true;
  return runPipeline(m, passes, ctx, options);
}

// ---- FileCheck ----

::testing::AssertionResult fileCheck(const std::string& text,
                                     const std::vector<CheckLine>& checks) {
  size_t pos = 0;
  std::vector<const CheckLine*> pendingNot;
  auto failNot = [&](size_t from, size_t to) -> const CheckLine* {
    for (const CheckLine* n : pendingNot) {
      size_t at = text.find(n->pattern, from);
      if (at != std::string::npos && at + n->pattern.size() <= to)
        return n;
    }
    return nullptr;
  };
  for (const CheckLine& c : checks) {
    if (c.negative) {
      pendingNot.push_back(&c);
      continue;
    }
    size_t at = text.find(c.pattern, pos);
    if (at == std::string::npos)
      return ::testing::AssertionFailure()
             << "CHECK: '" << c.pattern << "' not found after offset " << pos << " in:\n"
             << text;
    if (const CheckLine* n = failNot(pos, at))
      return ::testing::AssertionFailure()
             << "CHECK-NOT: '" << n->pattern << "' found before '" << c.pattern << "' in:\n"
             << text;
    pendingNot.clear();
    pos = at + c.pattern.size();
  }
  if (const CheckLine* n = failNot(pos, text.size()))
    return ::testing::AssertionFailure()
           << "CHECK-NOT: '" << n->pattern << "' found at the end of:\n"
           << text;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult fileCheck(const std::string& text,
                                     std::initializer_list<const char*> directives) {
  std::vector<CheckLine> checks;
  for (std::string_view d : directives) {
    if (d.starts_with("CHECK-NOT: "))
      checks.push_back({true, std::string(d.substr(11))});
    else if (d.starts_with("CHECK: "))
      checks.push_back({false, std::string(d.substr(7))});
    else
      return ::testing::AssertionFailure() << "bad directive '" << d << "'";
  }
  return fileCheck(text, checks);
}

std::string printed(const Module& m) {
  return print(m, {.elideAbove = 16, .elideConstants = true});
}

int countOps(const Module& m, OpKind kind) {
  int n = 0;
  for (const auto& op : m.ops)
    n += op->kind == kind;
  return n;
}

const Op* findOp(const Module& m, OpKind kind) {
  for (const auto& op : m.ops)
    if (op->kind == kind)
      return op.get();
  return nullptr;
}

} // namespace dnncc::test
