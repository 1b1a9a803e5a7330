// PeerIncarnations; see peer_incarnations.h.
#include "safekeeper/storage/peer_incarnations.h"

#include <charconv>
#include <string>

#include "consensus/check.h"

namespace sk::storage {

namespace {

std::string record_key(consensus::NodeId peer) {
  return "peer_incarnation/" + std::to_string(peer.value());
}

}  // namespace

std::string format_incarnation(std::uint64_t incarnation) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text(16, '0');
  for (int i = 15; i >= 0; --i) {
    text[static_cast<std::size_t>(i)] = kDigits[incarnation & 0xf];
    incarnation >>= 4;
  }
  return text;
}

std::optional<std::uint64_t> parse_incarnation(std::string_view text) {
  if (text.size() != 16) {
    return std::nullopt;
  }
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return std::nullopt;
    }
  }
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return value;
}

Result<std::optional<std::uint64_t>> PeerIncarnations::recorded(consensus::NodeId peer) const {
  auto stored = env_.get(LmdbEnv::Database::kMeta, record_key(peer));
  if (!stored) {
    return stored.error();
  }
  if (!stored->has_value()) {
    return std::optional<std::uint64_t>();
  }
  auto value = parse_incarnation(**stored);
  if (!value) {
    return Error(ErrorCode::kCorruption, "the incarnation recorded for node " +
                                             std::to_string(peer.value()) +
                                             " is not 16 hex digits");
  }
  return std::optional<std::uint64_t>(*value);
}

Result<std::optional<std::uint64_t>> PeerIncarnations::admit(consensus::NodeId peer,
                                                             std::uint64_t incarnation) {
  SK_CHECK(incarnation != 0);
  auto known = recorded(peer);
  if (!known) {
    return known.error();
  }
  if (known->has_value()) {
    return **known == incarnation ? std::optional<std::uint64_t>() : *known;
  }
  if (Status saved =
          env_.put(LmdbEnv::Database::kMeta, record_key(peer), format_incarnation(incarnation));
      !saved) {
    return saved.error();
  }
  return std::optional<std::uint64_t>();
}

}  // namespace sk::storage
