// A control state read back from LMDB (a damaged disk can hold anything).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto state =
      sk::proto::decode_acceptor_state(std::string_view(reinterpret_cast<const char*>(data), size));
  if (state) {
    // What decodes must encode again (encode_acceptor_state checks the state it is given).
    (void)sk::proto::encode_acceptor_state(*state);
  }
  return 0;
}
