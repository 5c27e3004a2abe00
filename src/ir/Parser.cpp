// The IR parser: reads what Printer.cpp writes. Grammar in docs/ir.md.
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <map>
#include <set>

#include <fmt/format.h>

#include "ir/Text.h"

namespace dnncc {
namespace {

class Parser {
public:
  Parser(std::string_view text, const ParseOptions& o) : s_(text), opts_(o) {}

  Expected<std::unique_ptr<Module>> run() {
    auto m = std::make_unique<Module>();
    m_ = m.get();
    DNNCC_TRY(expectWord("module"));
    DNNCC_ASSIGN_OR_RETURN(m->name, string());
    DNNCC_TRY(expect('{'));
    while (true) {
      skipSpace();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      DNNCC_TRY(line());
    }
    skipSpace();
    if (pos_ != s_.size())
      return error("text after the end of the module");
    return m;
  }

private:
  std::string_view s_;
  ParseOptions opts_;
  size_t pos_ = 0;
  Module* m_ = nullptr;
  std::map<std::string, Value*> values_; // "%3" / "@4" -> value
  std::set<int> ids_;                     // value ids given so far

  Status error(std::string_view what) const {
    int line = 1, col = 1;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return Status::error(fmt::format("ir:{}:{}: {}", line, col, what));
  }
  /// Skips white space and `//` comments (to the end of the line).
  void skipSpace() {
    while (pos_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        ++pos_;
      } else if (s_.compare(pos_, 2, "//") == 0) {
        while (pos_ < s_.size() && s_[pos_] != '\n')
          ++pos_;
      } else {
        break;
      }
    }
  }
  char peek() {
    skipSpace();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool consume(char c) {
    if (peek() != c)
      return false;
    ++pos_;
    return true;
  }
  Status expect(char c) {
    if (!consume(c))
      return error(fmt::format("expected '{}'", c));
    return Status::ok();
  }
  static bool wordChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
           c == '+';
  }
  std::string word() {
    skipSpace();
    size_t b = pos_;
    while (pos_ < s_.size() && wordChar(s_[pos_]))
      ++pos_;
    return std::string(s_.substr(b, pos_ - b));
  }
  Status expectWord(std::string_view w) {
    size_t at = pos_;
    if (word() != w) {
      pos_ = at;
      return error(fmt::format("expected '{}'", w));
    }
    return Status::ok();
  }
  Expected<std::string> string() {
    if (!consume('"'))
      return error("expected a string");
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size())
        ++pos_;
      out += s_[pos_++];
    }
    if (pos_ >= s_.size())
      return error("unterminated string");
    ++pos_;
    return out;
  }
  Expected<int64_t> integer() {
    std::string w = word();
    int64_t v = 0;
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (w.empty() || ec != std::errc() || p != w.data() + w.size())
      return error(fmt::format("expected an integer, got '{}'", w));
    return v;
  }
  Expected<double> number() {
    std::string w = word();
    char* end = nullptr;
    double v = std::strtod(w.c_str(), &end);
    if (w.empty() || end != w.c_str() + w.size())
      return error(fmt::format("expected a number, got '{}'", w));
    return v;
  }
  Expected<IntList> intList() {
    DNNCC_TRY(expect('['));
    IntList out;
    if (consume(']'))
      return out;
    do {
      DNNCC_ASSIGN_OR_RETURN(int64_t v, integer());
      out.push_back(v);
    } while (consume(','));
    DNNCC_TRY(expect(']'));
    return out;
  }
  Expected<TensorType> type() {
    TensorType t;
    std::string d = word();
    auto dt = parseDType(d);
    if (!dt)
      return error(fmt::format("unknown element type '{}'", d));
    t.dtype = *dt;
    DNNCC_ASSIGN_OR_RETURN(t.shape, intList());
    // Every size computed from the type (constant data, arena offsets) stays within 64 bits.
    if (Status size = checkTensorSize(t.shape, t.dtype); !size.isOk())
      return error(size.message());
    if (consume('{')) {
      std::string l = word();
      auto layout = parseLayout(l);
      if (!layout)
        return error(fmt::format("unknown layout '{}'", l));
      t.layout = *layout;
      if (consume(',')) {
        std::string b = word();
        if (b.size() < 2 || b[0] != 'b' || std::atoll(b.c_str() + 1) <= 0)
          return error(fmt::format("expected a block size 'bN', got '{}'", b));
        t.block = std::atoll(b.c_str() + 1);
        if (consume(',')) {
          std::string g = word();
          if (g.size() < 2 || g[0] != 'g' || std::atoll(g.c_str() + 1) <= 0)
            return error(fmt::format("expected a group size 'gN', got '{}'", g));
          t.group = std::atoll(g.c_str() + 1);
        }
      }
      DNNCC_TRY(expect('}'));
    }
    if (consume('<')) {
      DNNCC_TRY(expectWord("q"));
      QuantParams q;
      DNNCC_ASSIGN_OR_RETURN(q.scale, number());
      DNNCC_TRY(expect(','));
      DNNCC_ASSIGN_OR_RETURN(q.zeroPoint, integer());
      DNNCC_TRY(expect('>'));
      t.quant = q;
    }
    return t;
  }
  Expected<std::string> valueRef() {
    char sigil = peek();
    if (sigil != '%' && sigil != '@')
      return error("expected a value (%N or @N)");
    ++pos_;
    return std::string(1, sigil) + word();
  }
  Expected<Value*> use() {
    DNNCC_ASSIGN_OR_RETURN(std::string r, valueRef());
    auto it = values_.find(r);
    if (it == values_.end())
      return error(fmt::format("'{}' is not defined", r));
    return it->second;
  }
  /// Binds `ref` (written at text position `at`) to `v`, which keeps the number of `ref` as its id
  /// when no other value has it yet.
  Status define(const std::string& ref, Value* v, size_t at) {
    if (!values_.emplace(ref, v).second) {
      pos_ = at;
      return error(fmt::format("'{}' is defined twice", ref));
    }
    int id = 0;
    auto [p, ec] = std::from_chars(ref.data() + 1, ref.data() + ref.size(), id);
    if (ec == std::errc() && p == ref.data() + ref.size() && id >= 0 && ids_.insert(id).second)
      m_->setValueId(v, id);
    else
      ids_.insert(v->id);
    return Status::ok();
  }

  Status line() {
    size_t at = pos_;
    std::string w = word();
    if (w == "input") {
      skipSpace();
      size_t refAt = pos_;
      DNNCC_ASSIGN_OR_RETURN(std::string r, valueRef());
      DNNCC_ASSIGN_OR_RETURN(std::string name, string());
      DNNCC_TRY(expect(':'));
      DNNCC_ASSIGN_OR_RETURN(TensorType t, type());
      return define(r, m_->addInput(std::move(t), std::move(name)), refAt);
    }
    if (w == "const")
      return constant();
    if (w == "check") { // check %ok "message"
      DNNCC_ASSIGN_OR_RETURN(Value * ok, use());
      DNNCC_ASSIGN_OR_RETURN(std::string message, string());
      m_->runChecks.push_back({ok, std::move(message)});
      return Status::ok();
    }
    if (w == "output") {
      DNNCC_ASSIGN_OR_RETURN(Value * v, use());
      DNNCC_ASSIGN_OR_RETURN(std::string name, string());
      v->name = std::move(name);
      m_->outputs.push_back(v);
      size_t after = pos_;
      if (word() != "extent") { // output %v "name" extent(AXIS, %length)
        pos_ = after;
        return Status::ok();
      }
      DNNCC_TRY(expect('('));
      DNNCC_ASSIGN_OR_RETURN(int64_t axis, integer());
      DNNCC_TRY(expect(','));
      DNNCC_ASSIGN_OR_RETURN(Value * length, use());
      DNNCC_TRY(expect(')'));
      m_->runtimeExtents[static_cast<int>(m_->outputs.size()) - 1] = {static_cast<int>(axis),
                                                                       length};
      return Status::ok();
    }
    pos_ = at;
    return op();
  }

  Status constant() {
    skipSpace();
    size_t refAt = pos_;
    DNNCC_ASSIGN_OR_RETURN(std::string r, valueRef());
    DNNCC_ASSIGN_OR_RETURN(std::string name, string());
    DNNCC_TRY(expect(':'));
    DNNCC_ASSIGN_OR_RETURN(TensorType t, type());
    DNNCC_TRY(expect('='));
    std::vector<uint8_t> bytes;
    std::string kind = word();
    if (kind == "elided") {
      if (!opts_.allowElided)
        return error("constant data is elided; print with full constants to parse it back");
      bytes.assign(t.byteSize(), 0);
    } else if (kind == "dense") {
      DNNCC_TRY(expect('<'));
      DNNCC_ASSIGN_OR_RETURN(std::string hex, string());
      DNNCC_TRY(expect('>'));
      if (static_cast<int64_t>(hex.size()) != 2 * t.byteSize())
        return error(fmt::format("dense data has {} bytes, type {} needs {}", hex.size() / 2,
                                 toString(t), t.byteSize()));
      for (size_t i = 0; i < hex.size(); i += 2) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
        if (ec != std::errc() || p != hex.data() + i + 2)
          return error("dense data is not hexadecimal");
        bytes.push_back(static_cast<uint8_t>(v));
      }
    } else {
      return error("expected 'dense<...>' or 'elided'");
    }
    return define(r, m_->addConstant(std::move(t), std::move(bytes), std::move(name)), refAt);
  }

  Status op() {
    skipSpace();
    size_t refAt = pos_; // errors found once the whole line is read point at its start
    DNNCC_ASSIGN_OR_RETURN(std::string r, valueRef());
    DNNCC_TRY(expect('='));
    std::string kindName = word();
    const OpSchema* s = findSchema(kindName);
    if (!s)
      return error(fmt::format("unknown op '{}'", kindName));
    DNNCC_TRY(expect('('));
    std::vector<Value*> operands;
    if (!consume(')')) {
      do {
        DNNCC_ASSIGN_OR_RETURN(Value * v, use());
        operands.push_back(v);
      } while (consume(','));
      DNNCC_TRY(expect(')'));
    }
    Attrs attrs = s->defaultAttrs;
    if (peek() == '{') {
      DNNCC_TRY(attributes(attrs));
    }
    DNNCC_TRY(expect(':'));
    DNNCC_ASSIGN_OR_RETURN(TensorType t, type());
    int group = -1;
    if (consume('#')) {
      std::string g = word();
      if (g.size() < 2 || g[0] != 'g')
        return error("expected a group '#gN'");
      group = std::atoi(g.c_str() + 1);
    }
    std::string name;
    if (peek() == 'l') {
      DNNCC_TRY(expectWord("loc"));
      DNNCC_TRY(expect('('));
      DNNCC_ASSIGN_OR_RETURN(name, string());
      DNNCC_TRY(expect(')'));
    }
    Expected<Value*> v = m_->appendOp(s->kind, std::move(operands), std::move(attrs), name, &t);
    if (!v) {
      pos_ = refAt;
      return error(v.status().message());
    }
    (*v)->type = t; // keeps the printed layout and quantization
    m_->ops.back()->group = group;
    return define(r, *v, refAt);
  }

  /// Reads `{name=value, ...}` into the op's typed attribute struct.
  Status attributes(Attrs& attrs) {
    DNNCC_TRY(expect('{'));
    std::map<std::string, size_t> offsets; // attribute name -> text position of its value
    do {
      std::string key = word();
      DNNCC_TRY(expect('='));
      offsets[key] = pos_;
      // Skip the value: a word or a bracketed list.
      if (peek() == '[') {
        while (pos_ < s_.size() && s_[pos_] != ']')
          ++pos_;
        ++pos_;
      } else {
        word();
      }
    } while (consume(','));
    DNNCC_TRY(expect('}'));
    size_t end = pos_;
    Status status = Status::ok();
    auto field = [&](const char* name, auto& value) {
      auto it = offsets.find(name);
      if (!status.isOk() || it == offsets.end())
        return;
      pos_ = it->second;
      status = readField(value);
      offsets.erase(it);
    };
    std::visit([&](auto& a) { a.visitFields(field); }, attrs);
    pos_ = end;
    DNNCC_TRY(status);
    if (!offsets.empty())
      return error(fmt::format("unknown attribute '{}'", offsets.begin()->first));
    return Status::ok();
  }
  Status readField(int64_t& v) {
    DNNCC_ASSIGN_OR_RETURN(v, integer());
    return Status::ok();
  }
  Status readField(double& v) {
    DNNCC_ASSIGN_OR_RETURN(v, number());
    return Status::ok();
  }
  Status readField(bool& v) {
    std::string w = word();
    if (w != "true" && w != "false")
      return error("expected true or false");
    v = w == "true";
    return Status::ok();
  }
  Status readField(IntList& v) {
    DNNCC_ASSIGN_OR_RETURN(v, intList());
    return Status::ok();
  }
  Status readField(DType& v) {
    std::string w = word();
    auto d = parseDType(w);
    if (!d)
      return error(fmt::format("unknown element type '{}'", w));
    v = *d;
    return Status::ok();
  }
  template <class E> Status readField(E& v) {
    std::string w = word();
    if (!parseEnum(w, v))
      return error(fmt::format("unknown value '{}'", w));
    return Status::ok();
  }
};

} // namespace

Expected<std::unique_ptr<Module>> parseModule(std::string_view text, const ParseOptions& o) {
  return Parser(text, o).run();
}

} // namespace dnncc
