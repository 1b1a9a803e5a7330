// Failure path of SK_CHECK: report where and why on stderr, then abort.
#include "consensus/check.h"

#include <cstdio>
#include <cstdlib>

namespace sk::detail {

void check_failed(const char* file, int line, const char* condition, std::string_view message) {
  std::fprintf(stderr, "%s:%d: check failed: %s %.*s\n", file, line, condition,
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace sk::detail
