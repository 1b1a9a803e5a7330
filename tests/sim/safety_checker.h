// SafetyChecker: the four safety properties of docs/ARCHITECTURE.md, checked by an observer that
// sees every proposer and every acceptor's durable state. Used after every event by the
// simulator and in every state by the explorer (its state is part of the explored state).
//
//  1. Log safety: committed ranges never change their bytes; a proposer elected in a term above
//     the term of a commit holds every byte of that commit (a lower-term proposer may still
//     complete an election late, but can never gather a majority again); every quorum of every
//     configuration in play (by default: a majority of all acceptors) that could still elect,
//     none of its acceptors being at a higher generation, keeps a copy of the committed log.
//  2. Log matching: an acceptor's durable bytes are exactly what its term history says (each
//     byte encodes its term, tests/sim/payload.h), so two acceptors whose histories agree up to L
//     hold identical bytes up to L; also compared directly byte for byte.
//  3. Election safety: at most one proposer is elected per term, and a term's bytes come from it.
//  4. Commit LSN never moves backwards for a proposer or an acceptor, never passes what a
//     majority committed, and an acceptor's WAL always covers its durable commit LSN.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "consensus/configuration.h"
#include "consensus/term_history.h"
#include "consensus/types.h"

namespace sk::sim {

struct Violation {
  std::string property;  // "log-safety", "log-matching", "election-safety", "commit-monotonic"
  std::string detail;
};

// What the checker sees of one acceptor: its durable control state and durable WAL.
struct DurableAcceptorView {
  consensus::NodeId id;
  const consensus::TermHistory* history;  // Durable history (not yet cut at the flush LSN).
  consensus::Lsn commit_lsn;              // Durable commit LSN.
  consensus::Lsn wal_start_lsn;
  const std::vector<std::uint8_t>* wal;  // Durable bytes from wal_start_lsn.
  // Its durable configuration's generation: it serves proposers of no lower one.
  consensus::Generation generation{};
  consensus::Lsn end_lsn() const { return wal_start_lsn.plus_bytes(wal->size()); }
};

// True when `a` and `b` attribute every byte of [from, to) to the same term.
bool same_terms(const consensus::TermHistory& a, const consensus::TermHistory& b,
                consensus::Lsn from, consensus::Lsn to);

class SafetyChecker {
 public:
  SafetyChecker(std::size_t acceptor_count, consensus::Lsn timeline_start_lsn);

  // The configurations proposers may use (consensus/configuration.h); until set, one: a
  // majority of acceptors 1..acceptor_count. A quorum of one counts only where each of its
  // acceptors is at that configuration's generation or below (one above refuses its proposers).
  void set_configurations(std::vector<consensus::Configuration> configurations) {
    configurations_ = std::move(configurations);
  }

  // A proposer just won `term` with log `history` ending at `term_start_lsn`.
  std::optional<Violation> on_elected(consensus::NodeId proposer, consensus::Term term,
                                      const consensus::TermHistory& history,
                                      consensus::Lsn term_start_lsn);
  // A proposer of `term` moved its commit LSN from `previous` to `commit`.
  std::optional<Violation> on_commit(consensus::NodeId proposer, consensus::Term term,
                                     const consensus::TermHistory& history, consensus::Lsn previous,
                                     consensus::Lsn commit);
  // An acceptor exposed `commit` (to readers and proposers) after `previous`, holding `history`.
  std::optional<Violation> on_acceptor_commit(consensus::NodeId acceptor, consensus::Lsn previous,
                                              consensus::Lsn commit,
                                              const consensus::TermHistory& history);
  // Checks of the durable state of every acceptor. `verify_from[i]` says from where acceptor i's
  // bytes still need checking against its history (everything before was checked already).
  std::optional<Violation> check_acceptors(const std::vector<DurableAcceptorView>& acceptors,
                                           const std::vector<consensus::Lsn>& verify_from) const;
  // Byte-for-byte comparison of every pair over their common history (log matching, direct).
  std::optional<Violation> check_log_matching(
      const std::vector<DurableAcceptorView>& acceptors) const;

  consensus::Lsn committed_end_lsn() const { return committed_end_lsn_; }
  const consensus::TermHistory& committed_history() const { return committed_history_; }
  // Deterministic digest of the checker's own state, for the explorer's visited set. A proposer
  // enters as its position in `proposer_order`, so that states differing only in which proposer
  // is which can match.
  std::uint64_t digest(std::span<const consensus::NodeId> proposer_order) const;

 private:
  std::vector<consensus::Configuration> configurations_;
  consensus::Lsn timeline_start_lsn_;
  // Which term wrote each committed byte, for [timeline_start_lsn_, committed_end_lsn_).
  consensus::TermHistory committed_history_;
  consensus::Lsn committed_end_lsn_;
  struct Elected {
    consensus::NodeId proposer;
    consensus::TermHistory history;
    consensus::Lsn term_start_lsn;
  };
  std::map<consensus::Term, Elected> elected_;
  // Highest commit LSN reached by the proposer of each term.
  std::map<consensus::Term, consensus::Lsn> commit_by_term_;
};

}  // namespace sk::sim
