// The ONNX importer's driver: loads the model, checks opsets, turns initializers and inputs into IR
// values and converts nodes through the (op type, opset) table.
#include "frontend/onnx/Importer.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>

#include "frontend/onnx/Converters.h"
#include "ir/SmallTypes.h"

namespace dnncc {
namespace {
using namespace onnximport;

/// Protobuf message levels one level of subgraph nesting takes: GraphProto -> NodeProto ->
/// AttributeProto -> GraphProto.
constexpr int kMessageLevelsPerGraph = 3;

Expected<onnx::ModelProto> loadModel(const std::string& path, const ImportOptions& options) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return Status::error("no such model file", {path});
  auto fileBytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  int64_t maxBytes = std::min<int64_t>(options.maxModelBytes, INT_MAX);
  if (!ec && fileBytes > maxBytes)
    return Status::error(fmt::format("the file has {} bytes, more than --max-model-bytes={} (an "
                                     "ONNX protobuf is at most 2 GiB; larger weights go in "
                                     "external data)",
                                     fileBytes, maxBytes),
                         {path});
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string bytes = buffer.str();
  if (bytes.empty())
    return Status::error("the file is empty, not an ONNX model", {path});
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                static_cast<int>(bytes.size()));
  stream.SetTotalBytesLimit(INT_MAX);
  // ModelProto -> GraphProto -> NodeProto -> AttributeProto -> TensorProto, plus the nesting,
  // with room for a few levels past the limit so that the importer's own check names it.
  stream.SetRecursionLimit(16 + kMessageLevelsPerGraph * options.maxGraphDepth);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return Status::error(fmt::format("not an ONNX model (the protobuf does not parse: truncated, "
                                     "another format, or subgraphs nested deeper than "
                                     "--max-graph-depth={})",
                                     options.maxGraphDepth),
                         {path});
  if (!model.has_graph() || model.ir_version() <= 0)
    return Status::error("not an ONNX model (no ir_version or graph)", {path});
  return model;
}

Expected<int> defaultOpset(const onnx::ModelProto& model, const std::string& path) {
  for (const auto& o : model.opset_import()) {
    if (!o.domain().empty() && o.domain() != "ai.onnx")
      continue;
    if (o.version() < kMinOpset)
      return Status::error(fmt::format("opset {} is older than opset {}, the oldest supported",
                                       o.version(), kMinOpset),
                           {path});
    if (o.version() > kMaxOpset)
      return Status::error(fmt::format("opset {} is newer than opset {}, the newest supported",
                                       o.version(), kMaxOpset),
                           {path});
    return static_cast<int>(o.version());
  }
  return Status::error("the model imports no default-domain (ai.onnx) opset", {path});
}

/// Walks one model; in collect mode it records every error and goes on with the nodes that do not
/// depend on a failed one.
class GraphImporter {
public:
  GraphImporter(const std::string& path, const ImportOptions& options, bool collect)
      : path_(path), options_(options), collect_(collect),
        dir_(std::filesystem::path(path).parent_path().string()) {}

  Expected<std::unique_ptr<Module>> run() {
    auto loaded = loadModel(path_, options_);
    if (!loaded)
      return fail(loaded.status());
    const onnx::ModelProto& model = *loaded;
    auto opset = defaultOpset(model, path_);
    if (!opset)
      return fail(opset.status());
    opset_ = *opset;
    for (const auto& o : model.opset_import())
      domainOpsets_[o.domain()] = static_cast<int>(o.version());
    m_ = std::make_unique<Module>();
    m_->sourceFile = path_;
    m_->name = model.graph().name().empty() ? "model" : model.graph().name();
    const onnx::GraphProto& g = model.graph();
    if (g.output_size() == 0)
      return fail(Status::error("the graph has no outputs", {path_}));
    declaredShapes(g);
    if (!initializers(g) || !inputs(g))
      return finish();
    for (int i = 0; i < g.node_size(); ++i)
      if (!node(g.node(i), i) && !collect_)
        return finish();
    outputs(g);
    warnAboutDeclaredShapes();
    return finish();
  }

  std::vector<Status> errors;

private:
  const std::string& path_;
  const ImportOptions& options_;
  bool collect_;
  std::string dir_;
  int opset_ = 0;
  std::unordered_map<std::string, int> domainOpsets_; // imported opset of every domain
  std::unique_ptr<Module> m_;
  std::unordered_map<std::string, Value*> values_;
  std::unordered_set<std::string> poisoned_;
  /// Values whose extent is known only at run time (NodeContext::setDataDependentOutput), with
  /// the node that made them, for the error when a node reads one.
  struct DataDependent {
    RuntimeExtent extent;
    std::string origin;
  };
  std::map<const Value*, DataDependent> dataDependent_;
  /// Static shapes the model declares for graph outputs and value_info entries.
  std::unordered_map<std::string, std::vector<int64_t>> declared_;
  /// Shapes that declared ones imply for the operands of unary element-wise ops
  /// (shapesBeforeUnaryOps): converters see them like declared ones, warnings only the model's.
  std::unordered_map<std::string, std::vector<int64_t>> implied_;

  void declaredShapes(const onnx::GraphProto& g) {
    auto add = [&](const onnx::ValueInfoProto& info) {
      if (!info.type().has_tensor_type() || !info.type().tensor_type().has_shape())
        return;
      std::vector<int64_t> shape;
      for (const auto& d : info.type().tensor_type().shape().dim()) {
        if (!d.has_dim_value() || d.dim_value() < 0)
          return;
        shape.push_back(d.dim_value());
      }
      declared_[info.name()] = std::move(shape);
    };
    for (const auto& info : g.value_info())
      add(info);
    for (const auto& info : g.output())
      add(info);
    shapesBeforeUnaryOps(g);
  }

  /// The shape the model declares for value `name`, or one a declaration implies, or null.
  const std::vector<int64_t>* declaredOrImplied(const std::string& name) const {
    if (auto it = declared_.find(name); it != declared_.end())
      return &it->second;
    auto it = implied_.find(name);
    return it == implied_.end() ? nullptr : &it->second;
  }

  /// A unary element-wise op's result has its operand's shape (the ONNX spec of each op below),
  /// so a declared shape of the result is one of the operand too. Carried back through chains
  /// of such ops (nodes are in topological order, so one reverse pass reaches a chain's start):
  /// the expanded function of ReduceL2 is ReduceSum(x * x, axes) -> Cast -> Sqrt -> CastLike,
  /// and only the last is a declared graph output, while a ReduceSum with run-time axes needs
  /// its own result's shape (NodeContext::declaredShape).
  void shapesBeforeUnaryOps(const onnx::GraphProto& g) {
    static const std::unordered_set<std::string> kUnary = {
        "Abs",        "Acos",     "Acosh", "Asin",    "Asinh", "Atan", "Atanh",
        "Cast",       "CastLike", "Ceil",  "Cos",     "Cosh",  "Erf",  "Exp",
        "Floor",      "Identity", "IsInf", "IsNaN",   "Log",   "Neg",  "Not",
        "Reciprocal", "Relu",     "Round", "Sigmoid", "Sign",  "Sin",  "Sinh",
        "Softplus",   "Softsign", "Sqrt",  "Tan",     "Tanh"};
    for (int i = g.node_size() - 1; i >= 0; --i) {
      const onnx::NodeProto& n = g.node(i);
      if (!n.domain().empty() && n.domain() != "ai.onnx")
        continue;
      if (!kUnary.count(n.op_type()) || n.input_size() < 1 || n.output_size() != 1 ||
          n.input(0).empty())
        continue;
      const std::vector<int64_t>* out = declaredOrImplied(n.output(0));
      if (out && !declaredOrImplied(n.input(0)))
        implied_.emplace(n.input(0), *out);
    }
  }
  std::vector<std::unordered_map<std::string, Value*>> scopes_; // open subgraph scopes, inner last
  // Sequence values (compile-time lists): [0] the main graph's, then one per open subgraph scope.
  std::vector<std::unordered_map<std::string, Sequence>> sequences_{1};
  int64_t unrolledNodes_ = 0; // subgraph nodes imported so far (each unrolled copy counts)
  // Subgraph initializers read so far: every unrolled copy of a body shares one constant.
  std::unordered_map<const onnx::TensorProto*, Value*> subgraphConstants_;

  Expected<std::unique_ptr<Module>> fail(Status s) {
    errors.push_back(s);
    return s;
  }
  Expected<std::unique_ptr<Module>> finish() {
    if (!errors.empty())
      return errors.front();
    return std::move(m_);
  }
  bool record(Status s) {
    errors.push_back(std::move(s));
    return false;
  }

  /// A shape the model declares (graph output, value_info) that inference contradicts: inference
  /// wins (exporters write stale value_info), with a warning.
  void warnAboutDeclaredShapes() {
    if (!options_.warn || !m_)
      return;
    std::vector<std::string> lines;
    for (const auto& [name, shape] : declared_) {
      auto it = values_.find(name);
      if (it == values_.end() || !it->second || dataDependent_.count(it->second) ||
          it->second->type.shape == shape)
        continue;
      lines.push_back(fmt::format("warning: {}: '{}' is declared {}, inference gives {}; using "
                                  "the inferred shape",
                                  path_, name, shapeString(shape),
                                  shapeString(it->second->type.shape)));
    }
    std::sort(lines.begin(), lines.end());
    for (const std::string& line : lines)
      options_.warn(line);
  }

  /// Names are SSA in ONNX: an initializer or graph input defined twice is a malformed graph.
  /// An initializer that is also listed as an input (a default value, IR version 4 and later;
  /// required before IR 4) is not a duplicate: dnncc uses the initializer.
  /// The names defined twice are poisoned: their users fail silently (one error per root cause).
  bool uniqueNames(const onnx::GraphProto& g) {
    std::unordered_set<std::string> seen;
    for (const auto& t : g.initializer())
      if (!seen.insert(t.name()).second && poisoned_.insert(t.name()).second)
        record(Status::error(fmt::format("initializer '{}' is defined twice", t.name()), {path_}));
    std::unordered_set<std::string> inputs;
    for (const auto& in : g.input())
      if (!inputs.insert(in.name()).second && poisoned_.insert(in.name()).second)
        record(Status::error(fmt::format("graph input '{}' is listed twice", in.name()), {path_}));
    return errors.empty() || collect_;
  }

  bool initializers(const onnx::GraphProto& g) {
    if (!uniqueNames(g))
      return false;
    for (const auto& t : g.initializer()) {
      if (poisoned_.count(t.name()))
        continue;
      auto tensor = readTensor(t, dir_);
      if (!tensor) {
        poisoned_.insert(t.name()); // its users fail silently: one error per root cause
        record(Status(tensor.status()).withDefaults({path_}));
        continue;
      }
      values_[t.name()] =
          m_->addConstant(std::move(tensor->first), std::move(tensor->second), t.name());
    }
    if (g.sparse_initializer_size() > 0)
      record(Status::error("sparse initializers are not supported", {path_}));
    return errors.empty() || collect_;
  }

  bool inputs(const onnx::GraphProto& g) {
    for (const auto& in : g.input()) {
      if (values_.count(in.name()) || poisoned_.count(in.name()))
        continue; // an initializer listed as input (IR version < 4): a constant for dnncc
      // Until it is known to be good, its users fail silently: one error per root cause.
      poisoned_.insert(in.name());
      if (!in.type().has_tensor_type()) {
        record(Status::error(fmt::format("input '{}' is not a tensor (sequence, map and optional "
                                         "inputs are not supported)",
                                         in.name()),
                             {path_}));
        continue;
      }
      const auto& tt = in.type().tensor_type();
      auto dtype = dtypeFromOnnx(tt.elem_type());
      if (!dtype) {
        record(Status::error(fmt::format("input '{}' has unsupported element type {}", in.name(),
                                         onnxTypeName(tt.elem_type())),
                             {path_}));
        continue;
      }
      TensorType type;
      type.dtype = *dtype;
      auto given = options_.inputShapes.find(in.name());
      if (given != options_.inputShapes.end()) {
        if (tt.has_shape() && tt.shape().dim_size() != static_cast<int>(given->second.size())) {
          record(Status::error(fmt::format("--input-shape gives input '{}' rank {}, the model "
                                           "declares rank {}",
                                           in.name(), given->second.size(),
                                           tt.shape().dim_size()),
                               {path_}));
          continue;
        }
        type.shape = given->second;
      } else if (!tt.has_shape()) {
        record(Status::error(fmt::format("input '{}' has no shape; give one with "
                                         "--input-shape {}=1x3x224x224",
                                         in.name(), in.name()),
                             {path_}));
        continue;
      } else {
        for (const auto& d : tt.shape().dim()) {
          if (d.has_dim_value() && d.dim_value() < 0) {
            record(Status::error(
                fmt::format("input '{}' has a negative dimension {}", in.name(), d.dim_value()),
                {path_}));
            break;
          }
          if (!d.has_dim_value()) {
            record(Status::error(
                fmt::format("input '{}' has symbolic dimension '{}'; give a static shape with "
                            "--input-shape {}=...",
                            in.name(), d.dim_param(), in.name()),
                {path_}));
            break;
          }
          type.shape.push_back(d.dim_value());
        }
        if (static_cast<int>(type.shape.size()) != tt.shape().dim_size())
          continue;
      }
      if (Status size = checkTensorSize(type.shape, type.dtype, options_.maxTensorBytes);
          !size.isOk()) {
        record(Status::error(fmt::format("input '{}': {}", in.name(), size.message()), {path_}));
        continue;
      }
      poisoned_.erase(in.name());
      values_[in.name()] = m_->addInput(std::move(type), in.name());
    }
    // An --input-shape that names no input is a mistake, not something to ignore.
    std::unordered_set<std::string> initializerNames;
    for (const auto& t : g.initializer())
      initializerNames.insert(t.name());
    std::unordered_set<std::string> inputNames;
    std::string names;
    for (const auto& in : g.input())
      if (!initializerNames.count(in.name()) && inputNames.insert(in.name()).second)
        names += fmt::format("{}'{}'", names.empty() ? "" : ", ", in.name());
    for (const auto& [name, shape] : options_.inputShapes)
      if (!inputNames.count(name))
        record(Status::error(fmt::format("--input-shape names '{}', which is not an input of "
                                         "the model (inputs: {})",
                                         name, names.empty() ? "none" : names),
                             {path_}));
    return errors.empty() || collect_;
  }

  bool node(const onnx::NodeProto& n, int index) {
    Location where{path_, n.name().empty() ? fmt::format("#{}", index) : n.name(), n.op_type(),
                   opset_};
    if (usesPoisoned(n)) {
      poison(n);
      return false;
    }
    Status s = convert(n, where);
    if (!s.isOk()) {
      poison(n);
      return record(s);
    }
    return true;
  }

  /// The tensor or the sequence named `name`, from the innermost subgraph scope outwards to the
  /// main graph (ONNX lexical scoping); both null when it is undefined.
  std::pair<Value*, const Sequence*> find(const std::string& name) const {
    for (size_t depth = scopes_.size() + 1; depth-- > 0;) {
      const auto& tensors = depth == 0 ? values_ : scopes_[depth - 1];
      if (auto it = tensors.find(name); it != tensors.end())
        return {it->second, nullptr};
      if (auto it = sequences_[depth].find(name); it != sequences_[depth].end())
        return {nullptr, &it->second};
    }
    return {nullptr, nullptr};
  }
  Value* lookup(const std::string& name) const { return find(name).first; }
  const Sequence* lookupSequence(const std::string& name) const { return find(name).second; }

  /// Converts one node and binds its outputs in the innermost scope; errors carry `where`.
  Status convert(const onnx::NodeProto& n, Location where) {
    int opset = opset_;
    std::string_view domain;
    if (!n.domain().empty() && n.domain() != "ai.onnx") {
      domain = n.domain();
      auto domainOpset = domainOpsets_.find(n.domain());
      opset = where.opset = domainOpset == domainOpsets_.end() ? 0 : domainOpset->second;
    }
    const ConverterRow* row = findConverter(n.op_type(), opset, domain);
    if (!row && !domain.empty())
      return Status::error(fmt::format("unsupported op '{}' of domain '{}' at its opset {}",
                                       n.op_type(), n.domain(), opset),
                           where);
    if (!row)
      return Status::error(fmt::format("unsupported op '{}' at opset {}", n.op_type(), opset_),
                           where);
    if (Status s = checkNodeSchema(n, opset, domain); !s.isOk())
      return s.withDefaults(where);
    for (const std::string& name : n.input()) // also those the converter does not read
      if (!name.empty() && !lookup(name) && !lookupSequence(name))
        return Status::error(fmt::format("input '{}' is not defined before this node", name),
                             where);
    NodeContext ctx(
        n, opset, *m_, *options_.evaluator, options_.maxTensorBytes,
        [this](const std::string& name) -> Value* { return lookup(name); }, where);
    ctx.setSubgraphImporter(
        [this](const onnx::GraphProto& g, const std::vector<AnyValue>& inputs) {
          return subgraph(g, inputs);
        });
    ctx.setSequenceLookup([this](const std::string& name) { return lookupSequence(name); });
    ctx.setDeclaredShapeLookup([this](const std::string& name) { return declaredOrImplied(name); });
    for (int i = 0; i < n.input_size(); ++i) {
      Value* in = n.input(i).empty() ? nullptr : lookup(n.input(i));
      auto dd = in ? dataDependent_.find(in) : dataDependent_.end();
      if (dd != dataDependent_.end())
        return Status::error(fmt::format("input {} ('{}') has a data-dependent shape (it is the "
                                         "output of {}); dnncc supports data-dependent shapes "
                                         "only as graph outputs",
                                         i, n.input(i), dd->second.origin),
                             where);
    }
    Status s = row->convert(ctx);
    if (s.isOk()) {
      std::vector<std::string> unread = ctx.unreadAttrs();
      if (!unread.empty())
        s = ctx.error(fmt::format("attribute '{}' is not supported", unread.front()));
    }
    for (int i = 0; s.isOk() && i < n.output_size(); ++i) {
      if (n.output(i).empty())
        continue;
      bool bound = false;
      for (auto& [name, v] : ctx.outputs)
        bound |= name == n.output(i);
      for (auto& [name, v] : ctx.sequenceOutputs)
        bound |= name == n.output(i);
      if (!bound)
        s = ctx.error(fmt::format("output {} ('{}') is not supported", i, n.output(i)));
    }
    if (!s.isOk())
      return s.withDefaults(where);
    auto& scope = scopes_.empty() ? values_ : scopes_.back();
    for (const std::string& name : n.output()) // names are SSA: one definition per scope
      if (!name.empty() && (scope.count(name) || sequences_.back().count(name)))
        return Status::error(fmt::format("output '{}' is already defined (by an initializer, a "
                                         "graph input or an earlier node)",
                                         name),
                             where);
    for (auto& [name, v] : ctx.outputs)
      scope[name] = v;
    for (auto& [v, extent] : ctx.runtimeExtents)
      dataDependent_[v] = {extent, fmt::format("{} node '{}'", n.op_type(), where.node)};
    for (auto& [name, seq] : ctx.sequenceOutputs)
      sequences_.back()[name] = std::move(seq);
    return Status::ok();
  }

  /// Imports the nodes of subgraph `g` (an If branch, a Loop or Scan body) once, in a new scope
  /// where its formal inputs are bound to `inputs` in order; names it does not define resolve in
  /// the enclosing scopes. Returns the values of its outputs in order. Errors: a wrong number of
  /// inputs, a node that fails (located at that node), an output no node produces, more than
  /// kMaxUnrolledNodes subgraph nodes imported in all.
  Expected<std::vector<AnyValue>> subgraph(const onnx::GraphProto& g,
                                           const std::vector<AnyValue>& inputs) {
    if (g.input_size() != static_cast<int>(inputs.size()))
      return Status::error(fmt::format("subgraph '{}' declares {} inputs, the op binds {}",
                                       g.name(), g.input_size(), inputs.size()));
    if (static_cast<int>(scopes_.size()) >= options_.maxGraphDepth)
      return Status::error(fmt::format("subgraphs are nested deeper than --max-graph-depth={}",
                                       options_.maxGraphDepth));
    unrolledNodes_ += std::max(1, g.node_size());
    if (unrolledNodes_ > kMaxUnrolledNodes)
      return Status::error(fmt::format("unrolling control flow needs more than {} subgraph "
                                       "nodes, the limit",
                                       kMaxUnrolledNodes));
    if (g.sparse_initializer_size() > 0)
      return Status::error(fmt::format("subgraph '{}' has sparse initializers, which are not "
                                       "supported",
                                       g.name()));
    scopes_.emplace_back();
    sequences_.emplace_back();
    struct Pop {
      GraphImporter& importer;
      ~Pop() {
        importer.scopes_.pop_back();
        importer.sequences_.pop_back();
      }
    } pop{*this};
    for (const auto& t : g.initializer()) {
      Value*& constant = subgraphConstants_[&t];
      if (!constant) {
        auto tensor = readTensor(t, dir_);
        if (!tensor)
          return tensor.status();
        constant = m_->addConstant(std::move(tensor->first), std::move(tensor->second), t.name());
      }
      scopes_.back()[t.name()] = constant;
    }
    for (int i = 0; i < g.input_size(); ++i) {
      if (inputs[i].tensor)
        scopes_.back()[g.input(i).name()] = inputs[i].tensor;
      else
        sequences_.back()[g.input(i).name()] = inputs[i].sequence;
    }
    for (int i = 0; i < g.node_size(); ++i) {
      const onnx::NodeProto& n = g.node(i);
      Location where{path_,
                     n.name().empty() ? fmt::format("{}#{}", g.name(), i) : n.name(),
                     n.op_type(), opset_};
      DNNCC_TRY(convert(n, where));
    }
    std::vector<AnyValue> results;
    for (const auto& out : g.output()) {
      if (Value* v = lookup(out.name())) {
        results.push_back({v, {}});
      } else if (const Sequence* s = lookupSequence(out.name())) {
        results.push_back({nullptr, *s});
      } else {
        return Status::error(fmt::format("output '{}' of subgraph '{}' is not produced by any "
                                         "node",
                                         out.name(), g.name()));
      }
    }
    return results;
  }

  /// Whether `n` reads a value of a failed node, directly or from inside its subgraphs (their
  /// references to the enclosing graph).
  bool usesPoisoned(const onnx::NodeProto& n) const {
    for (const auto& in : n.input())
      if (poisoned_.count(in))
        return true;
    for (const auto& a : n.attribute()) {
      for (const auto& inner : a.g().node())
        if (usesPoisoned(inner))
          return true;
      for (const auto& g : a.graphs())
        for (const auto& inner : g.node())
          if (usesPoisoned(inner))
            return true;
    }
    return false;
  }

  void poison(const onnx::NodeProto& n) {
    for (const auto& out : n.output())
      poisoned_.insert(out);
  }

  void outputs(const onnx::GraphProto& g) {
    for (const auto& out : g.output()) {
      auto it = values_.find(out.name());
      if (poisoned_.count(out.name()))
        continue;
      if (it == values_.end() && lookupSequence(out.name())) {
        record(Status::error(fmt::format("graph output '{}' is a sequence (sequence outputs are "
                                         "not supported)",
                                         out.name()),
                             {path_}));
        continue;
      }
      if (it == values_.end()) {
        record(Status::error(fmt::format("graph output '{}' is not produced by any node",
                                         out.name()),
                             {path_}));
        continue;
      }
      Value* v = it->second;
      // An input, a constant or a value that is already another output gets its own copy, so
      // that every output is computed into its own buffer under its own name.
      bool taken = v->producer == nullptr;
      for (Value* o : m_->outputs)
        taken |= o == v;
      if (taken) {
        auto copy = m_->appendOp(OpKind::Identity, {v}, NoAttrs{}, out.name());
        if (!copy) {
          record(copy.status());
          continue;
        }
        v = *copy;
      }
      auto dd = dataDependent_.find(it->second);
      if (dd != dataDependent_.end())
        m_->runtimeExtents[static_cast<int>(m_->outputs.size())] = dd->second.extent;
      v->name = out.name();
      m_->outputs.push_back(v);
    }
  }
};
} // namespace

Expected<std::unique_ptr<Module>> importOnnx(const std::string& path,
                                             const ImportOptions& options) {
  GraphImporter importer(path, options, /*collect=*/false);
  return importer.run();
}

std::vector<Status> checkOnnx(const std::string& path, const ImportOptions& options) {
  GraphImporter importer(path, options, /*collect=*/true);
  (void)importer.run();
  return importer.errors;
}

namespace onnximport {

const ConverterRow* findConverter(std::string_view opType, int opset, std::string_view domain) {
  static const std::vector<ConverterRow> rows = [] {
    std::vector<ConverterRow> all;
    for (auto family : {elementwiseConverters(),     convConverters(),
                        linearConverters(),          reduceConverters(),
                        shapeConverters(),           quantizeConverters(),
                        einsumConverters(),          controlFlowConverters(),
                        sequenceConverters(),        indexConverters(),
                        normalizationConverters(),   lossConverters(),
                        attentionConverters(),       recurrentConverters(),
                        spectralConverters(),        legacyConverters(),
                        sampleConverters(),          dataDependentConverters(),
                        contribConverters(),         quantizedContribConverters(),
                        contribAttentionConverters()})
      all.insert(all.end(), family.begin(), family.end());
    return all;
  }();
  for (const auto& r : rows)
    if (r.opType == opType && r.domain == domain && r.since <= opset && opset <= r.until)
      return &r;
  return nullptr;
}

// ---- NodeContext ----

Expected<Value*> NodeContext::input(int i) {
  if (!hasInput(i))
    return error(fmt::format("input {} is required", i));
  Value* v = lookup_(node_.input(i));
  if (!v && sequenceLookup_ && sequenceLookup_(node_.input(i)))
    return error(fmt::format("input '{}' is a sequence, not a tensor", node_.input(i)));
  if (!v)
    return error(fmt::format("input '{}' is not defined before this node", node_.input(i)));
  return v;
}

Expected<Sequence> NodeContext::sequenceInput(int i) {
  if (!hasInput(i))
    return error(fmt::format("input {} is required", i));
  const Sequence* s = sequenceLookup_ ? sequenceLookup_(node_.input(i)) : nullptr;
  if (!s) {
    if (lookup_(node_.input(i)))
      return error(fmt::format("input '{}' is a tensor, not a sequence", node_.input(i)));
    return error(fmt::format("input '{}' is not defined before this node", node_.input(i)));
  }
  return *s;
}

Expected<AnyValue> NodeContext::anyInput(int i) {
  if (hasInput(i) && lookup_(node_.input(i)))
    return AnyValue{lookup_(node_.input(i)), {}};
  DNNCC_ASSIGN_OR_RETURN(Sequence s, sequenceInput(i));
  return AnyValue{nullptr, std::move(s)};
}

Value* NodeContext::optionalInput(int i) {
  if (!hasInput(i))
    return nullptr;
  return lookup_(node_.input(i));
}

Expected<std::vector<int64_t>> NodeContext::constInts(int i, std::string_view what) {
  DNNCC_ASSIGN_OR_RETURN(Value * v, input(i));
  if (!v->isConstant() && v->type.numElements() == 0 && !isFloat(v->type.dtype))
    return std::vector<int64_t>{}; // an empty tensor's value is known from its shape alone
  if (!v->isConstant())
    return error(fmt::format("{} (input {}) must be a constant", what, i));
  if (isFloat(v->type.dtype))
    return error(fmt::format("{} (input {}) must be an integer tensor", what, i));
  return constantAsInts(*v);
}

Expected<double> NodeContext::constScalar(int i, std::string_view what) {
  DNNCC_ASSIGN_OR_RETURN(Value * v, input(i));
  if (!v->isConstant() || v->type.numElements() != 1)
    return error(fmt::format("{} (input {}) must be a constant scalar", what, i));
  switch (v->type.dtype) {
  case DType::f32:
    return static_cast<double>(v->dataAs<float>()[0]);
  case DType::f64:
    return v->dataAs<double>()[0];
  case DType::f16:
  case DType::bf16:
    return halfBitsToDouble(v->dataAs<uint16_t>()[0], v->type.dtype == DType::bf16);
  default: {
    auto ints = constantAsInts(*v);
    if (ints.empty())
      return error(fmt::format("{} (input {}) has an unsupported type", what, i));
    return static_cast<double>(ints[0]);
  }
  }
}

const onnx::AttributeProto* NodeContext::find(std::string_view name) {
  for (const auto& a : node_.attribute())
    if (a.name() == name) {
      read_.emplace(name);
      return &a;
    }
  return nullptr;
}

bool NodeContext::hasAttr(std::string_view name) const {
  for (const auto& a : node_.attribute())
    if (a.name() == name)
      return true;
  return false;
}

int64_t NodeContext::attrInt(std::string_view name, int64_t fallback) {
  const auto* a = find(name);
  return a ? a->i() : fallback;
}

Expected<int64_t> NodeContext::requireInt(std::string_view name) {
  const auto* a = find(name);
  if (!a)
    return error(fmt::format("attribute '{}' is required", name));
  return a->i();
}

double NodeContext::attrFloat(std::string_view name, double fallback) {
  const auto* a = find(name);
  return a ? a->f() : fallback;
}

std::vector<int64_t> NodeContext::attrInts(std::string_view name, std::vector<int64_t> fallback) {
  const auto* a = find(name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}

std::vector<double> NodeContext::attrFloats(std::string_view name) {
  const auto* a = find(name);
  return a ? std::vector<double>(a->floats().begin(), a->floats().end()) : std::vector<double>{};
}

std::string NodeContext::attrString(std::string_view name, std::string fallback) {
  const auto* a = find(name);
  return a ? a->s() : fallback;
}

const onnx::TensorProto* NodeContext::attrTensor(std::string_view name) {
  const auto* a = find(name);
  return a && a->has_t() ? &a->t() : nullptr;
}

const onnx::GraphProto* NodeContext::attrGraph(std::string_view name) {
  const auto* a = find(name);
  return a && a->has_g() ? &a->g() : nullptr;
}

Expected<std::vector<AnyValue>> NodeContext::importSubgraph(const onnx::GraphProto& g,
                                                            const std::vector<AnyValue>& inputs) {
  if (!subgraph_)
    return error("subgraphs cannot be imported here");
  return subgraph_(g, inputs);
}

std::vector<std::string> NodeContext::unreadAttrs() const {
  std::vector<std::string> out;
  for (const auto& a : node_.attribute())
    if (!read_.count(a.name()))
      out.push_back(a.name());
  return out;
}

Expected<Value*> NodeContext::emit(OpKind kind, std::vector<Value*> operands, Attrs attrs,
                                   const TensorType* resultType) {
  Expected<Value*> v = appendAndFold(m_, evaluator_, maxTensorBytes_, kind, std::move(operands),
                                     std::move(attrs), node_.name(), resultType);
  if (!v)
    return Status(v.status()).withDefaults(where_);
  return v;
}

Value* NodeContext::constant(TensorType type, std::vector<uint8_t> bytes) {
  return m_.addConstant(std::move(type), std::move(bytes));
}

Status NodeContext::setSequenceOutput(int i, Sequence s) {
  if (i >= node_.output_size() || node_.output(i).empty())
    return Status::ok();
  sequenceOutputs.emplace_back(node_.output(i), std::move(s));
  return Status::ok();
}

Expected<std::vector<int>> axesOrAll(NodeContext& c, const IntList& axes, int rank) {
  std::vector<int> out;
  if (axes.empty())
    for (int i = 0; i < rank; ++i)
      out.push_back(i);
  for (int64_t a : axes) {
    Expected<int> n = normalizeAxis(a, rank);
    if (!n)
      return c.error(n.status().message());
    out.push_back(*n);
  }
  return out;
}

Expected<Value*> reshapeTo(NodeContext& c, Value* x, std::vector<int64_t> shape) {
  if (shape == x->type.shape)
    return x;
  TensorType t{x->type.dtype, std::move(shape)};
  return c.emit(OpKind::Reshape, {x}, NoAttrs{}, &t);
}

Status NodeContext::setOutput(int i, Value* v) {
  if (i >= node_.output_size() || node_.output(i).empty())
    return Status::ok();
  if (runtimeCheck_) {
    DNNCC_ASSIGN_OR_RETURN(v, emit(OpKind::Assert, {v, runtimeCheck_}));
    v->name = node_.output(i);
  }
  outputs.emplace_back(node_.output(i), v);
  return Status::ok();
}

Status NodeContext::setDataDependentOutput(int i, Value* v, int axis, Value* length) {
  if (i >= node_.output_size() || node_.output(i).empty())
    return Status::ok();
  if (length->isConstant()) { // every operand was constant: the extent is known now
    TensorType t = v->type;
    t.shape[axis] = constantAsInts(*length).at(0);
    IntList starts(t.rank(), 0), steps(t.rank(), 1);
    DNNCC_ASSIGN_OR_RETURN(Value * exact, emit(OpKind::Slice, {v}, SliceAttrs{starts, steps}, &t));
    return setOutput(i, exact);
  }
  if (runtimeCheck_)
    return error("a data-dependent output with run-time shape checks is not supported");
  runtimeExtents.push_back({v, RuntimeExtent{axis, length}});
  return setOutput(i, v);
}

const std::vector<int64_t>* NodeContext::declaredShape(int i) const {
  if (!declared_ || i >= node_.output_size() || node_.output(i).empty())
    return nullptr;
  return declared_(node_.output(i));
}

Status NodeContext::checkAtRunTime(Value* cond) {
  std::vector<int64_t> all(cond->type.rank());
  for (int d = 0; d < cond->type.rank(); ++d)
    all[d] = d;
  DNNCC_ASSIGN_OR_RETURN(Value * asInt, emit(OpKind::Cast, {cond}, CastAttrs{DType::i32}));
  Value* ok = asInt;
  if (!all.empty()) {
    DNNCC_ASSIGN_OR_RETURN(ok, emit(OpKind::ReduceMin, {asInt}, ReduceAttrs{all, false}));
  }
  if (runtimeCheck_) {
    DNNCC_ASSIGN_OR_RETURN(ok, emit(OpKind::Min, {runtimeCheck_, ok}));
  }
  runtimeCheck_ = ok;
  return Status::ok();
}

Expected<Value*> NodeContext::equalsConstant(Value* v, const std::vector<int64_t>& values,
                                             std::vector<int64_t> shape) {
  TensorType t{DType::i64, std::move(shape)};
  Value* c = constant(t, bytesOf(values));
  if (v->type.dtype != DType::i64) {
    DNNCC_ASSIGN_OR_RETURN(c, emit(OpKind::Cast, {c}, CastAttrs{v->type.dtype}));
  }
  return emit(OpKind::Equal, {v, c});
}

Expected<Value*> NodeContext::normalizedAxes(int i, int64_t rank) {
  DNNCC_ASSIGN_OR_RETURN(Value * a, input(i));
  if (a->type.dtype != DType::i64) {
    DNNCC_ASSIGN_OR_RETURN(a, emit(OpKind::Cast, {a}, CastAttrs{DType::i64}));
  }
  Value* zero = constant(TensorType{DType::i64, {}}, scalarBytes(DType::i64, 0));
  Value* r = constant(TensorType{DType::i64, {}}, scalarBytes(DType::i64, double(rank)));
  DNNCC_ASSIGN_OR_RETURN(Value * negative, emit(OpKind::Less, {a, zero}));
  DNNCC_ASSIGN_OR_RETURN(Value * shifted, emit(OpKind::Add, {a, r}));
  return emit(OpKind::Where, {negative, shifted, a});
}

Expected<Value*> NodeContext::axesMatch(Value* axes, const std::vector<int64_t>& allowed,
                                        const std::vector<int64_t>& required) {
  int64_t n = axes->type.numElements();
  TensorType column{axes->type.dtype, {n, 1}};
  DNNCC_ASSIGN_OR_RETURN(Value * col, emit(OpKind::Reshape, {axes}, NoAttrs{}, &column));
  // [n, k] comparisons; any over k says each axis is allowed, any over n that each required
  // axis occurs.
  auto anyAlong = [&](Value* eq, int64_t axis) -> Expected<Value*> {
    DNNCC_ASSIGN_OR_RETURN(Value * i, emit(OpKind::Cast, {eq}, CastAttrs{DType::i32}));
    return emit(OpKind::ReduceMax, {i}, ReduceAttrs{{axis}, false});
  };
  Value* ok = constant(TensorType{DType::i32, {}}, scalarBytes(DType::i32, 1));
  auto all = [&](Value* v) -> Status {
    DNNCC_ASSIGN_OR_RETURN(Value * m, emit(OpKind::ReduceMin, {v}, ReduceAttrs{{0}, false}));
    DNNCC_ASSIGN_OR_RETURN(ok, emit(OpKind::Min, {ok, m}));
    return Status::ok();
  };
  if (n > 0) {
    if (allowed.empty())
      return constant(TensorType{DType::boolean, {}}, scalarBytes(DType::boolean, 0));
    DNNCC_ASSIGN_OR_RETURN(Value * eq,
                           equalsConstant(col, allowed, {1, int64_t(allowed.size())}));
    DNNCC_ASSIGN_OR_RETURN(Value * each, anyAlong(eq, 1));
    DNNCC_TRY(all(each));
  }
  if (!required.empty()) {
    if (n == 0)
      return constant(TensorType{DType::boolean, {}}, scalarBytes(DType::boolean, 0));
    DNNCC_ASSIGN_OR_RETURN(Value * eq,
                           equalsConstant(col, required, {1, int64_t(required.size())}));
    DNNCC_ASSIGN_OR_RETURN(Value * each, anyAlong(eq, 0));
    DNNCC_TRY(all(each));
  }
  Value* one = constant(TensorType{DType::i32, {}}, scalarBytes(DType::i32, 1));
  return emit(OpKind::Equal, {ok, one});
}

Expected<std::vector<int64_t>> NodeContext::impliedInts(int i, std::vector<int64_t> value) {
  DNNCC_ASSIGN_OR_RETURN(Value * v, input(i));
  if (v->type.numElements() != static_cast<int64_t>(value.size()))
    return error(fmt::format("input {} has {} elements, the declared output shapes imply {}", i,
                             v->type.numElements(), value.size()));
  DNNCC_ASSIGN_OR_RETURN(Value * ok, equalsConstant(v, value, v->type.shape));
  DNNCC_TRY(checkAtRunTime(ok));
  return value;
}

bool NodeContext::isRuntimeInput(int i) const {
  if (!hasInput(i))
    return false;
  Value* v = lookup_(node_.input(i));
  return v && !v->isConstant() && v->type.numElements() > 0;
}

Expected<std::vector<ReduceChoice>> NodeContext::runtimeReduceAxes(int i, const Value* x,
                                                                   bool keepdims) {
  const std::vector<int64_t>* d = declaredShape(0);
  if (!d)
    return runtimeShapeInputError(i, "axes");
  DNNCC_ASSIGN_OR_RETURN(Value * axes, input(i));
  const auto& xs = x->type.shape;
  int rank = x->type.rank();
  int64_t n = axes->type.numElements();
  auto mismatch = [&] {
    return error(fmt::format("no axes reduce {} to the declared output shape {}",
                             shapeString(xs), shapeString(*d)));
  };
  // One way per set of axes of extent > 1 that the declared shape allows: the axes compiled in,
  // the axes the input may name (size-1 axes move no data) and those it must name.
  struct Way {
    std::vector<int64_t> compiled, allowed, required;
  };
  std::vector<Way> ways;
  if (keepdims) {
    if (static_cast<int>(d->size()) != rank)
      return mismatch();
    Way w;
    for (int k = 0; k < rank; ++k) {
      if ((*d)[k] != xs[k] && (*d)[k] != 1)
        return mismatch();
      if (xs[k] == 1)
        w.allowed.push_back(k);
      else if ((*d)[k] == 1)
        w.required.push_back(k), w.allowed.push_back(k);
    }
    w.compiled = w.allowed; // reducing a size-1 axis is a no-op
    ways.push_back(std::move(w));
  } else {
    // Every way to drop n axes of x that leaves the declared shape, grouped by the axes of
    // extent > 1 it drops (ways that differ in size-1 axes give the same data).
    int drop = rank - static_cast<int>(d->size());
    if (drop != n || drop < 0)
      return mismatch();
    if (rank > 16)
      return error(fmt::format("axes known only at run time on rank {} are not supported", rank));
    for (uint32_t mask = 0; mask < (1u << rank); ++mask) {
      if (__builtin_popcount(mask) != drop)
        continue;
      std::vector<int64_t> kept, big, dropped;
      for (int k = 0; k < rank; ++k)
        if (mask & (1u << k)) {
          dropped.push_back(k);
          if (xs[k] != 1)
            big.push_back(k);
        } else {
          kept.push_back(xs[k]);
        }
      if (kept != *d)
        continue;
      auto same =
          std::find_if(ways.begin(), ways.end(), [&](const Way& w) { return w.required == big; });
      if (same == ways.end()) {
        ways.push_back(Way{dropped, dropped, big});
      } else {
        for (int64_t k : dropped)
          if (std::find(same->allowed.begin(), same->allowed.end(), k) == same->allowed.end())
            same->allowed.push_back(k);
      }
    }
    if (ways.empty())
      return mismatch();
  }
  DNNCC_ASSIGN_OR_RETURN(Value * normalized, normalizedAxes(i, rank));
  std::vector<ReduceChoice> choices;
  Value* any = nullptr;
  for (const Way& w : ways) {
    DNNCC_ASSIGN_OR_RETURN(Value * ok, axesMatch(normalized, w.allowed, w.required));
    choices.push_back(ReduceChoice{w.compiled, ways.size() > 1 ? ok : nullptr});
    if (any) {
      DNNCC_ASSIGN_OR_RETURN(any, emit(OpKind::Or, {any, ok}));
    } else {
      any = ok;
    }
  }
  DNNCC_TRY(checkAtRunTime(any));
  return choices;
}

Status NodeContext::runtimeShapeInputError(int i, std::string_view what) const {
  return error(fmt::format("{} (input {}) must be a constant, or the node's output must have a "
                           "declared static shape (it is known only at run time)",
                           what, i));
}

} // namespace onnximport
} // namespace dnncc
