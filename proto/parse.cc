// parse_quietly; see parse.h.
#include "proto/parse.h"

#include <mutex>

#include <google/protobuf/stubs/logging.h>

namespace sk::proto {

bool parse_quietly(google::protobuf::MessageLite& message, std::string_view bytes) {
  static std::once_flag silenced;
  std::call_once(silenced, [] { google::protobuf::SetLogHandler(nullptr); });
  return message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace sk::proto
