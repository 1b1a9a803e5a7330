// The text of a simple query on the replication port.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "safekeeper/pgproto/replication_command.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)sk::pgproto::parse_replication_command(
      std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
