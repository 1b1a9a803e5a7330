// Text forms of LSNs and 128-bit ids.
#include "consensus/types.h"

#include <charconv>
#include <cstdio>

namespace sk::consensus {
namespace {

std::optional<std::uint32_t> parse_hex32(std::string_view text) {
  if (text.empty() || text.size() > 8) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string Lsn::to_string() const {
  char text[24];
  std::snprintf(text, sizeof(text), "%X/%X", static_cast<unsigned>(value_ >> 32),
                static_cast<unsigned>(value_ & 0xffffffffu));
  return text;
}

std::optional<Lsn> Lsn::parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  auto high = parse_hex32(text.substr(0, slash));
  auto low = parse_hex32(text.substr(slash + 1));
  if (!high || !low) {
    return std::nullopt;
  }
  return Lsn((std::uint64_t{*high} << 32) | *low);
}

template <class Tag>
std::string Id128<Tag>::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(32);
  for (std::uint8_t byte : bytes_) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 0xf]);
  }
  return text;
}

template <class Tag>
std::optional<Id128<Tag>> Id128<Tag>::parse_hex(std::string_view text) {
  if (text.size() != 32) {
    return std::nullopt;
  }
  Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    int high = hex_digit(text[2 * i]);
    int low = hex_digit(text[2 * i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    bytes[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return Id128(bytes);
}

template class Id128<TenantIdTag>;
template class Id128<TimelineIdTag>;
template class Id128<SnapshotIdTag>;
template class Id128<ProposalIdTag>;

}  // namespace sk::consensus
