// A branch-log entry as read from the replicated log.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/branch_log_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)sk::proto::decode_branch_log_entry(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
