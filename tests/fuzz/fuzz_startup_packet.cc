// Replication-port bytes: the startup packet, its options, then typed messages.
#include <cstddef>
#include <cstdint>
#include <span>

#include "safekeeper/pgproto/startup_options.h"
#include "safekeeper/pgproto/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sk::pgproto::FrontendReader reader;
  reader.feed(std::span<const std::uint8_t>(data, size));
  auto startup = reader.next_startup();
  if (!startup || !startup->has_value()) {
    return 0;
  }
  if (auto it = (*startup)->parameters.find("options"); it != (*startup)->parameters.end()) {
    (void)sk::pgproto::parse_startup_options(it->second);
  }
  for (int i = 0; i < 64; ++i) {
    auto message = reader.next_message();
    if (!message || !message->has_value()) {
      break;
    }
    (void)sk::pgproto::payload_cstring((*message)->payload);
    (void)sk::pgproto::parse_sasl_initial_response((*message)->payload);
  }
  return 0;
}
