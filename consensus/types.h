// Strong types for the protocol's numbers and names: Term, Lsn, NodeId and the 128-bit
// tenant/timeline ids. Using distinct types means a term can never be passed where an LSN is
// expected. Lsn prints in PostgreSQL's "X/XXXXXXXX" form.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sk::consensus {

// A 64-bit value with a tag, so that values of different meaning cannot be mixed up.
template <class Tag>
class StrongU64 {
 public:
  constexpr StrongU64() = default;
  constexpr explicit StrongU64(std::uint64_t value) : value_(value) {}
  constexpr std::uint64_t value() const { return value_; }
  friend constexpr auto operator<=>(StrongU64, StrongU64) = default;

 private:
  std::uint64_t value_ = 0;
};

// A proposer's election number. Term 0 is the term a timeline is created in; no proposer is ever
// elected in it.
using Term = StrongU64<struct TermTag>;

// Identifies a safekeeper (acceptor) or a proposer within one cluster.
using NodeId = StrongU64<struct NodeIdTag>;

// A position in the WAL byte stream, as PostgreSQL's XLogRecPtr.
class Lsn {
 public:
  constexpr Lsn() = default;
  constexpr explicit Lsn(std::uint64_t value) : value_(value) {}
  constexpr std::uint64_t value() const { return value_; }
  friend constexpr auto operator<=>(Lsn, Lsn) = default;

  // Distance in bytes from `earlier` to this LSN. Precondition: earlier <= *this.
  constexpr std::uint64_t bytes_since(Lsn earlier) const { return value_ - earlier.value_; }
  constexpr Lsn plus_bytes(std::uint64_t bytes) const { return Lsn(value_ + bytes); }

  // "X/XXXXXXXX": two 32-bit halves in uppercase hex, without padding, as PostgreSQL prints.
  std::string to_string() const;
  // Parses the form above; nullopt on anything else.
  static std::optional<Lsn> parse(std::string_view text);

 private:
  std::uint64_t value_ = 0;
};

// The value of one hex digit (either case), or -1.
int hex_digit(char c);

inline constexpr Lsn kInvalidLsn{0};
inline constexpr Lsn kMaxLsn{UINT64_MAX};

// 16-byte identifiers printed as 32 lowercase hex digits (Neon's TenantId / TimelineId).
template <class Tag>
class Id128 {
 public:
  using Bytes = std::array<std::uint8_t, 16>;
  constexpr Id128() = default;
  constexpr explicit Id128(const Bytes& bytes) : bytes_(bytes) {}
  constexpr const Bytes& bytes() const { return bytes_; }
  friend constexpr auto operator<=>(const Id128&, const Id128&) = default;

  std::string to_hex() const;
  // Exactly 32 hex digits (either case); nullopt otherwise.
  static std::optional<Id128> parse_hex(std::string_view text);

 private:
  Bytes bytes_{};
};

using TenantId = Id128<struct TenantIdTag>;
// Our timeline (a branch's WAL stream). Not PostgreSQL's timeline, which is always 1 for us and is
// called pg_timeline_id wherever it appears.
using TimelineId = Id128<struct TimelineIdTag>;
// The branch log's (branchmgr/): a registered snapshot, and one proposal of an entry.
using SnapshotId = Id128<struct SnapshotIdTag>;
using ProposalId = Id128<struct ProposalIdTag>;

// What a timeline is: fixed when it is created and checked on every greeting, so that WAL of
// one database can never be written into another's timeline.
struct TimelineIdentity {
  TenantId tenant_id;
  TimelineId timeline_id;
  std::uint64_t system_id = 0;   // PostgreSQL's database system identifier.
  std::uint32_t pg_version = 0;  // PG_VERSION_NUM, e.g. 150004.
  std::uint32_t wal_seg_size_bytes = 0;
  Lsn timeline_start_lsn;  // Where the timeline's WAL begins.
  friend bool operator==(const TimelineIdentity&, const TimelineIdentity&) = default;
};

}  // namespace sk::consensus
