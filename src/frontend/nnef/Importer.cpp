// The NNEF importer's driver: finds the model's files (unpacking an archive), parses graph.nnef
// and graph.quant with the Khronos parser, reads the variables' tensor files and converts each
// operation through the table of ops/*.cpp.
#include "frontend/nnef/Importer.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nnef.h>

#include "frontend/nnef/Archive.h"
#include "frontend/nnef/Converters.h"
#include "frontend/nnef/TensorFile.h"
#include "support/Paths.h"

namespace dnncc {
namespace fs = std::filesystem;
using namespace nnefimport;

namespace {

bool hasArchiveSuffix(const std::string& path) {
  auto endsWith = [&](std::string_view s) {
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  return endsWith(".tgz") || endsWith(".tar.gz");
}

/// A temporary directory, removed with everything in it when this goes out of scope.
class TempDir {
public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "dnncc-nnef-XXXXXX").string();
    if (char* made = mkdtemp(pattern.data()))
      path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty())
      fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

/// Where a model's files are: the directory with graph.nnef (inside `unpacked` for an archive).
struct ModelFiles {
  std::string dir, graph, quant; ///< quant: empty when the model has no graph.quant
  std::unique_ptr<TempDir> unpacked;
  /// How diagnostics name `dir`: itself, or for an archive the archive's path as if it were a
  /// directory ("model.tgz/graph.nnef:5:5"), never the temporary directory.
  std::string shownDir;

  /// `path` (a file under `dir`) as diagnostics name it.
  std::string shown(const std::string& path) const {
    if (path.compare(0, dir.size(), dir) == 0)
      return shownDir + path.substr(dir.size());
    return path;
  }
};

Expected<ModelFiles> locate(const std::string& path, int64_t maxArchiveBytes) {
  ModelFiles files;
  std::error_code ec;
  if (hasArchiveSuffix(path)) {
    if (!fs::is_regular_file(path, ec))
      return Status::error("no such model archive", {path});
    files.unpacked = std::make_unique<TempDir>();
    if (files.unpacked->path().empty())
      return Status::error("cannot create a temporary directory to unpack the archive", {path});
    DNNCC_TRY(extractArchive(path, files.unpacked->path(), {maxArchiveBytes}));
    fs::path root = files.unpacked->path();
    if (!fs::is_regular_file(root / "graph.nnef", ec)) {
      // Archives made with `tar czf model.tgz model/` hold one top directory.
      std::vector<fs::path> subdirs;
      for (const auto& e : fs::directory_iterator(root, ec))
        if (e.is_directory())
          subdirs.push_back(e.path());
      if (subdirs.size() != 1 || !fs::is_regular_file(subdirs[0] / "graph.nnef", ec))
        return Status::error("the archive holds no graph.nnef (at its top or in its one "
                             "directory)",
                             {path});
      root = subdirs[0];
    }
    files.dir = root.string();
    files.shownDir =
        (fs::path(path) / fs::relative(root, files.unpacked->path())).lexically_normal().string();
    if (!files.shownDir.empty() && files.shownDir.back() == '/')
      files.shownDir.pop_back();
  } else if (fs::is_directory(path, ec)) {
    if (!fs::is_regular_file(fs::path(path) / "graph.nnef", ec))
      return Status::error("the directory holds no graph.nnef, so it is not an NNEF model", {path});
    files.dir = path;
  } else if (fs::path(path).filename() == "graph.nnef" && fs::is_regular_file(path, ec)) {
    files.dir = fs::path(path).parent_path().string();
    if (files.dir.empty())
      files.dir = ".";
  } else {
    return Status::error("no such NNEF model (a directory with graph.nnef, or a .tgz)", {path});
  }
  if (files.shownDir.empty())
    files.shownDir = files.dir;
  files.graph = (fs::path(files.dir) / "graph.nnef").string();
  fs::path quant = fs::path(files.dir) / "graph.quant";
  if (fs::is_regular_file(quant, ec))
    files.quant = quant.string();
  return files;
}

/// Line and column of each tensor name's assignment in graph.nnef (its left-hand side).
std::map<std::string, std::pair<int, int>> assignmentPositions(const std::string& graphFile) {
  std::map<std::string, std::pair<int, int>> at;
  std::ifstream in(graphFile);
  std::string line;
  static const std::regex identifier("[A-Za-z_][A-Za-z0-9_]*");
  for (int number = 1; std::getline(in, line); ++number) {
    std::string code = line.substr(0, line.find('#'));
    size_t eq = code.find('=');
    if (eq == std::string::npos)
      continue;
    std::string lhs = code.substr(0, eq);
    for (std::sregex_iterator it(lhs.begin(), lhs.end(), identifier), end; it != end; ++it)
      at.emplace(it->str(), std::make_pair(number, static_cast<int>(it->position()) + 1));
  }
  return at;
}

/// The parser's "Parse error in file 'F' [L:C] message" as "F:L:C: message", F as `files`
/// shows it.
Status parseError(const std::string& message, const ModelFiles& files) {
  const std::string fallbackFile = files.shown(files.graph);
  static const std::regex form(R"(Parse error in file '([^']*)' \[(\d+):(\d+)\] ([^\n]*))");
  std::smatch m;
  if (std::regex_search(message, m, form)) {
    std::string file = files.shown(m[1].str());
    if (file == "quantization")
      file = fallbackFile;
    return Status::error(fmt::format("syntax: {}", m[4].str()),
                         {fmt::format("{}:{}:{}", file, m[2].str(), m[3].str())});
  }
  return Status::error(message, {fallbackFile});
}

/// The custom fragments a graph defines (KHR_enable_fragment_definitions): lowered like the
/// standard library's compound operations.
std::set<std::string> fragmentNames(const std::string& graphFile) {
  std::ifstream in(graphFile);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  std::set<std::string> names;
  static const std::regex fragment(R"(\bfragment\s+([A-Za-z_][A-Za-z0-9_]*))");
  for (std::sregex_iterator it(s.begin(), s.end(), fragment), end; it != end; ++it)
    names.insert((*it)[1].str());
  return names;
}

/// The tensor names in `v` (an identifier, or arrays and tuples of them), added to `names`.
void collectNames(const nnef::Value& v, std::set<std::string>& names) {
  if (v.kind() == nnef::Value::Identifier)
    names.insert(v.identifier());
  else if (v.kind() == nnef::Value::Array || v.kind() == nnef::Value::Tuple)
    for (size_t i = 0; i < v.size(); ++i)
      collectNames(v[i], names);
}
void addNames(const nnef::ValueDict& dict, std::set<std::string>& names) {
  for (const auto& [key, value] : dict)
    collectNames(value, names);
}
bool readsAny(const nnef::ValueDict& inputs, const std::set<std::string>& names) {
  if (names.empty())
    return false;
  std::set<std::string> read;
  addNames(inputs, read);
  for (const std::string& n : read)
    if (names.count(n))
      return true;
  return false;
}

class GraphImporter {
public:
  GraphImporter(std::string path, const ImportOptions& options, bool collect)
      : path_(std::move(path)), options_(options), collect_(collect) {}

  Expected<std::unique_ptr<Module>> run() {
    if (!options_.evaluator)
      return Status::error("internal: ImportOptions::evaluator is required", {path_});
    DNNCC_ASSIGN_OR_RETURN(files_, locate(path_, options_.maxArchiveBytes));
    // The standard operations without a row, and the graph's own fragments, are lowered by the
    // parser into the operations they are defined with.
    std::set<std::string> lowered = fragmentNames(files_.graph);
    for (std::string_view op : standardOperations())
      if (!findConverter(op))
        lowered.insert(std::string(op));
    nnef::Graph graph;
    std::string message;
    bool parsed = false;
    try {
      parsed = nnef::parse_file(files_.graph, files_.quant, graph, message, "", lowered);
    } catch (const std::exception& e) { // the parser reports through `message`; this is a guard
      message = e.what();
    }
    if (!parsed)
      return parseError(message, files_);
    positions_ = assignmentPositions(files_.graph);
    m_ = std::make_unique<Module>();
    m_->sourceFile = path_;
    m_->name = graph.name;
    for (const nnef::Operation& op : graph.operations) {
      // Collecting: an operation reading a failed one's result fails too; say so only once.
      if (readsAny(op.inputs, poisoned_)) {
        addNames(op.outputs, poisoned_);
        continue;
      }
      Status s = operation(graph, op);
      if (!s.isOk()) {
        if (!collect_)
          return s;
        errors.push_back(std::move(s));
        addNames(op.outputs, poisoned_);
      }
    }
    if (!errors.empty())
      return errors.front();
    for (const std::string& name : graph.outputs)
      DNNCC_TRY(output(name));
    for (const auto& [name, shape] : options_.inputShapes)
      if (std::find(graph.inputs.begin(), graph.inputs.end(), name) == graph.inputs.end())
        return Status::error(fmt::format("--input-shape names '{}', which is not an input of the "
                                         "graph",
                                         name),
                             {files_.shown(files_.graph)});
    return std::move(m_);
  }

  std::vector<Status> errors; ///< collect mode: every operation that failed

private:
  Location where(const nnef::Operation& op) const {
    std::string first;
    for (const auto& [name, value] : op.outputs) {
      if (value.kind() == nnef::Value::Identifier)
        first = value.identifier();
      else if (value.kind() == nnef::Value::Array && value.size() > 0 &&
               value[0].kind() == nnef::Value::Identifier)
        first = value[0].identifier();
      if (!first.empty())
        break;
    }
    std::string file = files_.shown(files_.graph);
    auto at = positions_.find(first);
    if (at != positions_.end())
      file += fmt::format(":{}:{}", at->second.first, at->second.second);
    return Location{file, first, op.name};
  }

  /// The graph.quant entry of tensor `name` as a Quantization, or nullopt when it has none.
  Expected<std::optional<Quantization>> quantization(const nnef::Graph& graph,
                                                     const std::string& name, OpContext& c) {
    auto it = graph.tensors.find(name);
    if (it == graph.tensors.end() || it->second.quantization.empty())
      return std::optional<Quantization>();
    const nnef::ValueDict& q = it->second.quantization;
    Quantization out;
    const nnef::Value& opName = q.get("op-name");
    if (opName.kind() != nnef::Value::String)
      return std::optional<Quantization>(); // only the tensor file's signedness: no graph.quant
    out.algorithm = opName.string();
    auto num = [&](const char* key) -> std::optional<double> {
      const nnef::Value& v = q.get(key);
      if (v.kind() == nnef::Value::Integer)
        return v.integer();
      if (v.kind() == nnef::Value::Scalar)
        return v.scalar();
      return std::nullopt;
    };
    auto flag = [&](const char* key, bool fallback) {
      const nnef::Value& v = q.get(key);
      return v.kind() == nnef::Value::Logical ? v.logical() : fallback;
    };
    if (auto v = num("scale"))
      out.scale = c.scalar(DType::f32, *v);
    if (auto v = num("zero_point"))
      out.zeroPoint = c.scalar(DType::i64, *v);
    if (auto v = num("min"))
      out.min = c.scalar(DType::f32, *v);
    if (auto v = num("max"))
      out.max = c.scalar(DType::f32, *v);
    out.bits = static_cast<int64_t>(num("bits").value_or(8));
    out.isSigned = flag("signed", out.algorithm == "zero_point_linear_quantize" ? true : false);
    out.symmetric = flag("symmetric", false);
    return std::optional<Quantization>(out);
  }

  Status operation(const nnef::Graph& graph, const nnef::Operation& op) {
    Location at = where(op);
    OpContext c(
        op, *m_, *options_.evaluator, options_.maxTensorBytes,
        [this](const std::string& name) -> Value* {
          auto it = values_.find(name);
          return it == values_.end() ? nullptr : it->second;
        },
        at);
    try {
      if (op.name == "external")
        DNNCC_TRY(external(c));
      else if (op.name == "variable")
        DNNCC_TRY(variable(graph, c));
      else if (op.name == "constant")
        DNNCC_TRY(constant(c));
      else if (const ConverterRow* row = findConverter(op.name))
        DNNCC_TRY(row->convert(c));
      else if (op.name == "update")
        return c.error("'update' (a variable changed by the graph) is not supported: dnncc "
                       "libraries keep no state between runs");
      else
        return c.error(fmt::format("unsupported operation '{}'", op.name));
    } catch (const std::exception& e) { // an attribute of an unexpected kind
      return c.error(fmt::format("invalid arguments: {}", e.what()));
    }
    for (auto& [name, v] : c.outputs) {
      // Activations with a graph.quant entry hold quantized values (variables got theirs when
      // their tensor file was read).
      if (op.name != "variable") {
        DNNCC_ASSIGN_OR_RETURN(std::optional<Quantization> q, quantization(graph, name, c));
        if (q && v->type.dtype == DType::f32) {
          DNNCC_ASSIGN_OR_RETURN(v, fakeQuantize(c, v, *q));
        }
      }
      if (v->name.empty() || v->producer == nullptr)
        v->name = name;
      values_[name] = v;
    }
    return Status::ok();
  }

  Status external(OpContext& c) {
    const std::string& name = c.where().node;
    DNNCC_ASSIGN_OR_RETURN(DType dtype, irType(c.op().dtype));
    std::vector<int64_t> shape = c.attrInts("shape");
    auto given = options_.inputShapes.find(name);
    if (given != options_.inputShapes.end()) {
      if (given->second.size() != shape.size())
        return c.error(fmt::format("--input-shape gives input '{}' rank {}, the graph declares "
                                   "rank {}",
                                   name, given->second.size(), shape.size()));
      shape = given->second;
    }
    if (Status size = checkTensorSize(shape, dtype, options_.maxTensorBytes); !size.isOk())
      return c.error(fmt::format("external '{}': {}", name, size.message()));
    Value* v = m_->addInput(TensorType{dtype, shape}, name);
    return c.setOutput("output", v);
  }

  Status variable(const nnef::Graph& graph, OpContext& c) {
    const std::string label = c.attrString("label");
    std::vector<int64_t> shape = c.attrInts("shape");
    DNNCC_ASSIGN_OR_RETURN(DType dtype, irType(c.op().dtype));
    NnefType declared = dtype == DType::i64       ? NnefType::integer
                        : dtype == DType::boolean ? NnefType::logical
                                                  : NnefType::scalar;
    // The file a variable's label names: <dir>/<label>.dat, inside the model's directory.
    Expected<std::string> file =
        resolveInside(files_.dir, label + ".dat", fmt::format("variable label '{}'", label));
    if (!file)
      return c.error(file.status().message());
    Expected<TensorFile> data = readTensorFile(*file, declared, shape);
    if (!data)
      return c.error(fmt::format("{}: {}", files_.shown(data.status().location().file),
                                 data.status().message()));
    Value* v = m_->addConstant(data->type, std::move(data->bytes), c.where().node);
    DNNCC_ASSIGN_OR_RETURN(std::optional<Quantization> q, quantization(graph, c.where().node, c));
    if (data->quantized) {
      if (!q)
        return c.error(fmt::format("tensor file '{}.dat' holds quantized integers, but "
                                   "graph.quant gives no quantization for '{}'",
                                   label, c.where().node));
      DNNCC_ASSIGN_OR_RETURN(v, dequantizeStored(c, v, *q));
    } else if (q) {
      DNNCC_ASSIGN_OR_RETURN(v, fakeQuantize(c, v, *q));
    }
    return c.setOutput("output", v);
  }

  /// The real values of the integers `q` of a quantized tensor file.
  Expected<Value*> dequantizeStored(OpContext& c, Value* stored, const Quantization& q) {
    if (q.algorithm == "zero_point_linear_quantize" && q.scale && q.zeroPoint) {
      DNNCC_ASSIGN_OR_RETURN(Value * zp,
                             c.emit(OpKind::Cast, {q.zeroPoint}, CastAttrs{stored->type.dtype}));
      return c.emit(OpKind::DequantizeLinear, {stored, q.scale, zp}, CastAttrs{DType::f32});
    }
    if ((q.algorithm == "linear_quantize" || q.algorithm == "min_max_linear_quantize") && q.min &&
        q.max) {
      // q = round((z - min) / (max - min) * r) - p, so the value is (q + p) / r * (max - min) +
      // min.
      const bool signedSym = q.isSigned && q.symmetric;
      const double r = std::ldexp(1.0, static_cast<int>(q.bits)) - 1 - (signedSym ? 1 : 0);
      const double p =
          q.isSigned ? std::ldexp(1.0, static_cast<int>(q.bits) - 1) - (q.symmetric ? 1 : 0) : 0;
      DNNCC_ASSIGN_OR_RETURN(Value * f, c.emit(OpKind::Cast, {stored}, CastAttrs{DType::f32}));
      DNNCC_ASSIGN_OR_RETURN(f, c.emit(OpKind::Add, {f, c.scalar(DType::f32, p)}));
      DNNCC_ASSIGN_OR_RETURN(Value * range, c.emit(OpKind::Sub, {q.max, q.min}));
      DNNCC_ASSIGN_OR_RETURN(Value * step, c.emit(OpKind::Div, {range, c.scalar(DType::f32, r)}));
      DNNCC_ASSIGN_OR_RETURN(f, c.emit(OpKind::Mul, {f, step}));
      return c.emit(OpKind::Add, {f, q.min});
    }
    return c.error(fmt::format("quantized tensor file with quantization '{}' is not supported "
                               "(zero_point_linear_quantize and linear_quantize are)",
                               q.algorithm));
  }

  Status constant(OpContext& c) {
    DNNCC_ASSIGN_OR_RETURN(DType dtype, irType(c.op().dtype));
    std::vector<int64_t> shape = c.attrInts("shape");
    const int64_t n = numElements(shape);
    if (Status size = checkTensorSize(shape, dtype, options_.maxTensorBytes); !size.isOk())
      return c.error(fmt::format("constant: {}", size.message()));
    if (n > (int64_t{1} << 31)) // its values are in the graph's text: no larger one is real
      return c.error(fmt::format("constant shape {} is too large", shapeString(shape)));
    // `value` holds one item per element, or a single item that fills the tensor.
    std::vector<double> given = valueList(c);
    if (given.size() != 1 && static_cast<int64_t>(given.size()) != n)
      return c.error(fmt::format("constant of shape {} has {} values; it needs 1 or {}",
                                 shapeString(shape), given.size(), n));
    std::vector<uint8_t> bytes;
    auto at = [&](int64_t i) { return given.size() == 1 ? given[0] : given[i]; };
    if (dtype == DType::f32) {
      std::vector<float> v(n);
      for (int64_t i = 0; i < n; ++i)
        v[i] = static_cast<float>(at(i));
      bytes = bytesOf(v);
    } else if (dtype == DType::i64) {
      std::vector<int64_t> v(n);
      for (int64_t i = 0; i < n; ++i)
        v[i] = static_cast<int64_t>(at(i));
      bytes = bytesOf(v);
    } else {
      bytes.resize(n);
      for (int64_t i = 0; i < n; ++i)
        bytes[i] = at(i) != 0;
    }
    return c.setOutput("output", m_->addConstant(TensorType{dtype, shape}, std::move(bytes)));
  }

  static std::vector<double> valueList(OpContext& c) {
    std::vector<double> out;
    for (const auto& [key, value] : c.op().attribs) {
      if (key != "value")
        continue;
      for (size_t i = 0; i < value.size(); ++i) {
        const nnef::Value& item = value[i];
        out.push_back(item.kind() == nnef::Value::Integer   ? item.integer()
                      : item.kind() == nnef::Value::Logical ? (item.logical() ? 1.0 : 0.0)
                                                            : item.scalar());
      }
    }
    return out;
  }

  Status output(const std::string& name) {
    auto it = values_.find(name);
    if (it == values_.end())
      return Status::error(fmt::format("graph output '{}' is not produced by any operation", name),
                           {files_.shown(files_.graph)});
    Value* v = it->second;
    // An input, a constant or a value that is already another output gets its own copy, so that
    // every output is computed into its own buffer under its own name.
    bool taken = v->producer == nullptr;
    for (Value* o : m_->outputs)
      taken |= o == v;
    if (taken) {
      DNNCC_ASSIGN_OR_RETURN(v, m_->appendOp(OpKind::Identity, {v}, NoAttrs{}, name));
    }
    v->name = name;
    m_->outputs.push_back(v);
    return Status::ok();
  }

  std::string path_;
  const ImportOptions& options_;
  bool collect_;
  ModelFiles files_;
  std::unique_ptr<Module> m_;
  std::map<std::string, Value*> values_;
  std::map<std::string, std::pair<int, int>> positions_;
  std::set<std::string> poisoned_; ///< results of failed operations (collect mode)
};

} // namespace

bool isNnefModel(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return true; // an ONNX model is a file; the NNEF importer says what the directory lacks
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/')
    trimmed.pop_back();
  return fs::path(trimmed).filename() == "graph.nnef" || hasArchiveSuffix(trimmed) ||
         trimmed.ends_with(".nnef");
}

Expected<std::unique_ptr<Module>> importNnef(const std::string& path,
                                             const ImportOptions& options) {
  GraphImporter importer(path, options, /*collect=*/false);
  return importer.run();
}

std::vector<Status> checkNnef(const std::string& path, const ImportOptions& options) {
  GraphImporter importer(path, options, /*collect=*/true);
  Expected<std::unique_ptr<Module>> m = importer.run();
  if (!importer.errors.empty())
    return importer.errors;
  if (!m)
    return {m.status()};
  return {};
}

} // namespace dnncc
