// A SCRAM-SHA-256 exchange: the input is the client's first and final messages, split at the
// first newline.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "safekeeper/auth/scram.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sk::auth::ScramVerifier verifier =
      sk::auth::make_scram_verifier("pencil", "0123456789abcdef", 1);
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  sk::auth::ScramServer server(verifier, "server-nonce");
  if (server.on_client_first(input.substr(0, newline)) && newline != std::string_view::npos) {
    (void)server.on_client_final(input.substr(newline + 1));
  }
  return 0;
}
