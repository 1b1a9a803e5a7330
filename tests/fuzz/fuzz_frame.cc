// Proposer-port bytes: the length-prefixed framing and every frame the codec decodes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proto/codec.h"
#include "proto/framing.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)sk::proto::decode_frame_for_any_timeline(bytes);
  sk::proto::FrameReader reader;
  reader.feed(bytes);
  while (true) {
    auto frame = reader.next();
    if (!frame || !frame->has_value()) {
      break;
    }
    if (auto decoded = sk::proto::decode_frame_for_any_timeline(**frame)) {
      (void)sk::proto::decode_frame(**frame, decoded->key);
    }
  }
  return 0;
}
