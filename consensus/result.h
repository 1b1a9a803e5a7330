// sk::Result<T>: a value or an Error, with the surface of C++23's std::expected so that a later
// switch to C++23 is a type alias. Error codes live in one table (error_code.h) that also gives
// each its HTTP status and wire name, so every interface reports a failure the same way.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "consensus/check.h"
#include "consensus/error_code.h"

namespace sk {

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE_NAME: message", for logs and one-line CLI errors.
  std::string to_string() const { return std::string(error_code_name(code_)) + ": " + message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    SK_CHECK_MSG(has_value(), std::get<1>(storage_).to_string());
    return std::get<0>(storage_);
  }
  const T& value() const& {
    SK_CHECK_MSG(has_value(), std::get<1>(storage_).to_string());
    return std::get<0>(storage_);
  }
  T&& value() && {
    SK_CHECK_MSG(has_value(), std::get<1>(storage_).to_string());
    return std::get<0>(std::move(storage_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    SK_CHECK(!has_value());
    return std::get<1>(storage_);
  }

 private:
  std::variant<T, Error> storage_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), has_error_(true) {}  // NOLINT: implicit

  bool has_value() const { return !has_error_; }
  explicit operator bool() const { return has_value(); }
  void value() const { SK_CHECK_MSG(has_value(), error_.to_string()); }
  const Error& error() const {
    SK_CHECK(has_error_);
    return error_;
  }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool has_error_ = false;
};

using Status = Result<void>;

}  // namespace sk
