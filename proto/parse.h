// Parsing a Protobuf message from bytes a peer or a disk gave us. Protobuf itself writes a line
// to stderr for some malformed input (a string field that is not UTF-8), which would let any
// client write a line to the safekeeper's log per frame it sends; the codecs report every
// failure as an Error instead, so that output is discarded. For proto/*.cc only.
#pragma once

#include <string_view>

#include <google/protobuf/message_lite.h>

namespace sk::proto {

// True if `bytes` parse as `message`; Protobuf's own log lines are dropped (once per process).
bool parse_quietly(google::protobuf::MessageLite& message, std::string_view bytes);

}  // namespace sk::proto
