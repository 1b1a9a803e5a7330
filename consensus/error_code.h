// The one table of error codes: each code's stable name (used in JSON errors and on the wire)
// and the HTTP status it maps to. Add a code here and nowhere else.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sk {

#define SK_ERROR_CODES(X)                                      \
  /* name,               wire name,             HTTP status */ \
  X(kInvalidArgument, "INVALID_ARGUMENT", 400)                 \
  X(kMalformedMessage, "MALFORMED_MESSAGE", 400)               \
  X(kWrongTimeline, "WRONG_TIMELINE", 409)                     \
  X(kUnauthenticated, "UNAUTHENTICATED", 401)                  \
  X(kPermissionDenied, "PERMISSION_DENIED", 403)               \
  X(kNotFound, "NOT_FOUND", 404)                               \
  X(kMethodNotAllowed, "METHOD_NOT_ALLOWED", 405)              \
  X(kAlreadyExists, "ALREADY_EXISTS", 409)                     \
  X(kFailedPrecondition, "FAILED_PRECONDITION", 412)           \
  X(kIdempotencyKeyReused, "IDEMPOTENCY_KEY_REUSED", 422)      \
  X(kIdentityConflict, "IDENTITY_CONFLICT", 409)               \
  X(kCorruption, "CORRUPTION", 500)                            \
  X(kIoError, "IO_ERROR", 500)                                 \
  X(kNoSpace, "NO_SPACE", 507)                                 \
  X(kUnavailable, "UNAVAILABLE", 503)                          \
  X(kInternal, "INTERNAL", 500)

enum class ErrorCode : std::uint8_t {
#define SK_ERROR_ENUM(name, wire, http) name,
  SK_ERROR_CODES(SK_ERROR_ENUM)
#undef SK_ERROR_ENUM
};

constexpr std::string_view error_code_name(ErrorCode code) {
  switch (code) {
#define SK_ERROR_NAME(name, wire, http) \
  case ErrorCode::name:                 \
    return wire;
    SK_ERROR_CODES(SK_ERROR_NAME)
#undef SK_ERROR_NAME
  }
  return "UNKNOWN";
}

// The code named `name` (as error_code_name spells it), if any.
constexpr std::optional<ErrorCode> error_code_from_name(std::string_view name) {
#define SK_ERROR_FROM_NAME(name_, wire, http) \
  if (name == wire) {                         \
    return ErrorCode::name_;                  \
  }
  SK_ERROR_CODES(SK_ERROR_FROM_NAME)
#undef SK_ERROR_FROM_NAME
  return std::nullopt;
}

constexpr int error_code_http_status(ErrorCode code) {
  switch (code) {
#define SK_ERROR_HTTP(name, wire, http) \
  case ErrorCode::name:                 \
    return http;
    SK_ERROR_CODES(SK_ERROR_HTTP)
#undef SK_ERROR_HTTP
  }
  return 500;
}

}  // namespace sk
