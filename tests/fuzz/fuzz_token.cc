// A bearer token, checked against one trusted key (made once per process).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "safekeeper/auth/keys.h"
#include "safekeeper/auth/token.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sk::auth::PublicKeys keys = [] {
    const auto key = sk::auth::PrivateKey::generate().value();
    return sk::auth::PublicKeys::from_pem(key.public_pem(), "fuzz").value();
  }();
  (void)sk::auth::verify_token(std::string_view(reinterpret_cast<const char*>(data), size), keys,
                               1'800'000'000);
  return 0;
}
