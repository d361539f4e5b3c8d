// Status and Result<T>: how every trailwatch module reports an expected failure.
//
// A Status is a code plus a message a user can act on ("log group 'x' does not
// exist"), never a stack trace. Result<T> holds either a T or a non-OK error;
// its value is reached only after checking ok(), as with absl::StatusOr.
// The error type defaults to Status; a module whose callers need more than a
// message (the pattern compiler reports a column) uses its own error type.
//
//   Result<int> ParsePort(std::string_view text);
//   Result<int> port = ParsePort("4566");
//   if (!port.ok()) return port.status();
//   Use(*port);

#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tw {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller's input is wrong; retrying will not help
  kNotFound,         // a named thing does not exist
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,   // this request may not do that (AWS: AuthorizationError)
  kResourceExhausted,  // a limit or quota was reached
  kUnavailable,        // transient; retrying may succeed
  kDataLoss,           // stored or read data is corrupt
  kIo,                 // the operating system refused a read or write
  kInternal,           // a bug in trailwatch
};

// Stable lower-case name of a code, e.g. "invalid argument".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid argument: <message>", or "ok".
  std::string ToString() const;

  bool operator==(const Status&) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status NotFound(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status IoError(std::string message) { return Status(StatusCode::kIo, std::move(message)); }
inline Status DataLoss(std::string message) {
  return Status(StatusCode::kDataLoss, std::move(message));
}
inline Status Internal(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}

// A T, or an error of type E. E must not be default-constructible into an
// "OK" meaning: a Result built from an error is always an error.
template <typename T, typename E = Status>
class [[nodiscard]] Result {
 public:
  Result(T value)
      : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error)
      : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return data_.index() == 0; }

  const E& error() const& {
    assert(!ok());
    return std::get<1>(data_);
  }
  // Status-typed results read more naturally as status().
  const E& status() const& { return error(); }

  T& value() & {
    assert(ok());
    return std::get<0>(data_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(data_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(data_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> data_;
};

}  // namespace tw

// Returns the Status of `expr` from the enclosing function if it is not OK.
#define TW_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::tw::Status tw_status_ = (expr);        \
    if (!tw_status_.ok()) return tw_status_; \
  } while (0)
