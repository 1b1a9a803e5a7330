// Names of messages and statuses, for traces and error text.
#include "consensus/messages.h"

namespace sk::consensus {

std::string_view append_status_name(AppendStatus status) {
  switch (status) {
    case AppendStatus::kAccepted:
      return "accepted";
    case AppendStatus::kStaleTerm:
      return "stale-term";
    case AppendStatus::kNotElected:
      return "not-elected";
    case AppendStatus::kOutOfOrder:
      return "out-of-order";
    case AppendStatus::kElectedMismatch:
      return "elected-mismatch";
  }
  return "unknown";
}

std::string_view message_name(const Message& message) {
  static constexpr std::string_view kNames[] = {
      "ProposerGreeting", "AcceptorGreeting", "VoteRequest",    "VoteResponse",   "ProposerElected",
      "AppendRequest",    "AppendResponse",   "ReadWalRequest", "ReadWalResponse"};
  static_assert(std::size(kNames) == std::variant_size_v<Message>);
  return kNames[message.index()];
}

}  // namespace sk::consensus
