// Branch log entries for tests: ids made from small numbers, proposals numbered in order.
#pragma once

#include <optional>
#include <string>

#include "proto/branch_log_codec.h"

namespace sk::branchmgr::testing {

template <class Id>
Id id_of(std::uint8_t n) {
  typename Id::Bytes bytes{};
  bytes[15] = n;
  return Id(bytes);
}

inline consensus::TenantId tenant_id(std::uint8_t n) {
  return id_of<consensus::TenantId>(n);
}
inline consensus::TimelineId timeline_id(std::uint8_t n) {
  return id_of<consensus::TimelineId>(n);
}

// Each call makes a new proposal id, so every entry is a distinct proposal unless reused.
inline proto::BranchLogEntry entry(proto::BranchLogChange change, std::int64_t at_us = 1000) {
  static std::uint8_t next = 0;
  consensus::ProposalId::Bytes bytes{};
  bytes[0] = 0xaa;
  bytes[15] = ++next;
  return proto::BranchLogEntry{consensus::ProposalId(bytes), at_us, std::move(change)};
}

inline proto::BranchCreated branch(std::uint8_t tenant, std::string name, std::uint8_t timeline,
                                   std::optional<std::uint8_t> parent, std::uint64_t lsn) {
  proto::BranchCreated c;
  c.tenant_id = tenant_id(tenant);
  c.name = std::move(name);
  c.timeline_id = timeline_id(timeline);
  if (parent) {
    c.parent_timeline_id = timeline_id(*parent);
  }
  c.branch_lsn = consensus::Lsn(lsn);
  c.lsn_chosen = true;
  c.timeline_id_chosen = true;
  return c;
}

}  // namespace sk::branchmgr::testing
