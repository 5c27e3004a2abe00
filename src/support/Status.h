// Error values for user and model errors: Status (ok or a located message) and Expected<T>.
// Compiler bugs are asserts, never Status; no exceptions cross library boundaries.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace dnncc {

/// Where a diagnostic points: the model file, and where known the node, its op type and opset.
struct Location {
  std::string file;   ///< model file path as the user gave it
  std::string node;   ///< node name (ONNX NodeProto.name) or "" when not about one node
  std::string op;     ///< ONNX op type, e.g. "Conv"
  int64_t opset = 0;  ///< opset of the op's domain; 0 = unknown
};

/// A success or an error message with a location. Messages are lower case and say what, where,
/// expected vs got; `format()` turns them into the one diagnostic line the CLI prints.
class [[nodiscard]] Status {
public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(std::string message, Location where = {}) {
    Status s;
    s.error_ = Error{std::move(message), std::move(where)};
    return s;
  }

  bool isOk() const { return !error_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const std::string& message() const {
    assert(error_);
    return error_->message;
  }
  const Location& location() const {
    assert(error_);
    return error_->where;
  }
  /// Fills the parts of the location that are still empty (the importer knows the file, a pass
  /// knows the node).
  Status& withDefaults(const Location& outer);
  /// `error: FILE: node 'NAME' (OP, opset N): MESSAGE`, leaving out the parts that are unknown.
  std::string format() const;

private:
  struct Error {
    std::string message;
    Location where;
  };
  std::optional<Error> error_;
};

/// A value or the Status that explains why there is none.
template <class T> class [[nodiscard]] Expected {
public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Status error) : v_(std::move(error)) { assert(!std::get<Status>(v_).isOk()); }

  bool hasValue() const { return v_.index() == 0; }
  explicit operator bool() const { return hasValue(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const Status& status() const { return std::get<1>(v_); }
  Status takeStatus() { return std::move(std::get<1>(v_)); }

private:
  std::variant<T, Status> v_;
};

/// Returns early from the enclosing function when a Status-producing expression failed.
#define DNNCC_TRY(expr)                                                                            \
  do {                                                                                             \
    ::dnncc::Status dnnccStatus_ = (expr);                                                         \
    if (!dnnccStatus_.isOk())                                                                      \
      return dnnccStatus_;                                                                         \
  } while (0)

/// Evaluates an Expected-producing expression into `lhs` or returns its Status.
#define DNNCC_ASSIGN_OR_RETURN(lhs, expr)                                                          \
  auto DNNCC_CONCAT_(expected_, __LINE__) = (expr);                                                \
  if (!DNNCC_CONCAT_(expected_, __LINE__).hasValue())                                              \
    return DNNCC_CONCAT_(expected_, __LINE__).takeStatus();                                        \
  lhs = std::move(*DNNCC_CONCAT_(expected_, __LINE__))
#define DNNCC_CONCAT_(a, b) DNNCC_CONCAT2_(a, b)
#define DNNCC_CONCAT2_(a, b) a##b

} // namespace dnncc
