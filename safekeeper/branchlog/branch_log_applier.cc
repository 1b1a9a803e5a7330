// BranchLogApplier; see branch_log_applier.h.
#include "safekeeper/branchlog/branch_log_applier.h"

#include <algorithm>
#include <set>

#include "branchmgr/log_records.h"
#include "safekeeper/log/log.h"

namespace sk::safekeeper {

consensus::TimelineIdentity branch_log_identity() {
  consensus::TimelineIdentity identity;  // Tenant and timeline ids all zeros: never a database's.
  identity.system_id = 0;
  identity.pg_version = 0;
  identity.wal_seg_size_bytes = 1024 * 1024;
  identity.timeline_start_lsn = consensus::Lsn(1024 * 1024);
  return identity;
}

storage::TimelineKey branch_log_key() {
  const consensus::TimelineIdentity identity = branch_log_identity();
  return {identity.tenant_id, identity.timeline_id};
}

void BranchLogApplier::catch_up() {
  if (failure_) {
    return;
  }
  const Timeline* timeline = lookup_(branch_log_key());
  if (timeline == nullptr) {
    return;
  }
  if (applied_lsn_ == consensus::Lsn(0)) {
    applied_lsn_ = timeline->acceptor().state().identity.timeline_start_lsn;
  }
  const consensus::Lsn committed =
      std::min(timeline->acceptor().state().commit_lsn, timeline->flush_lsn());
  if (committed <= applied_lsn_) {
    return;
  }
  // Each term's part of the log is decoded on its own: a term may end in a torn record
  // (log_records.h), which the next term's log continues after without it.
  std::set<consensus::Lsn> term_switches;
  for (const consensus::TermSwitch& entry : timeline->acceptor().state().history.entries()) {
    if (entry.lsn > applied_lsn_ && entry.lsn <= committed) {
      term_switches.insert(entry.lsn);
    }
  }
  std::set<consensus::Lsn> cuts = term_switches;
  cuts.insert(committed);
  for (consensus::Lsn cut : cuts) {
    auto bytes = timeline->read_wal(applied_lsn_, cut);
    if (!bytes) {
      failure_ = bytes.error();
      break;
    }
    auto decoded = branchmgr::decode_records(*bytes, applied_lsn_);
    if (!decoded) {
      failure_ = decoded.error();
      break;
    }
    for (const branchmgr::DecodedRecord& record : decoded->records) {
      released_by(record.entry.change, view_.apply(record.entry));
    }
    if (decoded->torn_tail_bytes != 0) {
      if (!term_switches.contains(cut)) {
        // Commits fall on record boundaries: a torn record below one is damage.
        const consensus::Lsn torn_at(cut.value() - decoded->torn_tail_bytes);
        failure_ =
            Error(ErrorCode::kCorruption, "branch log record at " + torn_at.to_string() +
                                              " is cut short by the commit LSN " + cut.to_string());
        break;
      }
      log_info("branch log: dropped a record torn by the term switch at " + cut.to_string() + " (" +
               std::to_string(decoded->torn_tail_bytes) + " bytes; never committed)");
    }
    applied_lsn_ = cut;
  }
  if (failure_) {
    log_error("branch log: stopped applying at " + applied_lsn_.to_string() + ": " +
              failure_->to_string());
  }
}

void BranchLogApplier::released_by(const proto::BranchLogChange& change,
                                   const branchmgr::Outcome& outcome) {
  if (!release_ || outcome.error || !outcome.changed) {
    return;
  }
  if (const auto* deleted = std::get_if<proto::BranchDeleted>(&change)) {
    release_({deleted->tenant_id, deleted->timeline_id});
  } else if (const auto* reset = std::get_if<proto::BranchReset>(&change)) {
    release_({reset->tenant_id, reset->timeline_id});
  } else if (const auto* restored = std::get_if<proto::BranchRestored>(&change);
             restored != nullptr && restored->preserve_under_name.empty()) {
    release_({restored->tenant_id, restored->timeline_id});
  }
}

}  // namespace sk::safekeeper
