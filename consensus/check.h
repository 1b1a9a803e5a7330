// SK_CHECK: always-on assertions for programmer errors and broken invariants. Unlike assert() it
// survives NDEBUG: a violated invariant in a storage system must stop the process, not corrupt
// data quietly. Bad input is never a CHECK; it is an sk::Error.
#pragma once

#include <string_view>

namespace sk::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* condition,
                               std::string_view message);
}  // namespace sk::detail

#define SK_CHECK(condition)                                           \
  do {                                                                \
    if (!(condition)) [[unlikely]] {                                  \
      ::sk::detail::check_failed(__FILE__, __LINE__, #condition, {}); \
    }                                                                 \
  } while (false)

// The message is evaluated only on failure.
#define SK_CHECK_MSG(condition, message)                                     \
  do {                                                                       \
    if (!(condition)) [[unlikely]] {                                         \
      ::sk::detail::check_failed(__FILE__, __LINE__, #condition, (message)); \
    }                                                                        \
  } while (false)
