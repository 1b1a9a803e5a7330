// What a standby sends inside CopyData while streaming (status updates, hot-standby feedback).
#include <cstddef>
#include <cstdint>

#include "safekeeper/pgproto/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const sk::pgproto::Bytes bytes(data, data + size);
  (void)sk::pgproto::parse_standby_message(bytes);
  return 0;
}
