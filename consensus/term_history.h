// TermHistory: which term wrote which range of the WAL. Entry i says "term T_i wrote from LSN_i
// up to LSN_{i+1}" (the last entry up to the end of the log). The WAL itself carries no terms;
// this list is how acceptors and proposers tell whose bytes they hold, find the highest point
// where two logs still agree, and so what a diverging acceptor must truncate.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "consensus/types.h"

namespace sk::consensus {

struct TermSwitch {
  Term term;
  Lsn lsn;  // Where `term` started writing.
  friend bool operator==(const TermSwitch&, const TermSwitch&) = default;
};

// Invariant (checked by is_well_formed): terms strictly increase, LSNs never decrease. Two entries
// may share an LSN: a term that wrote nothing is followed by the next at the same point.
class TermHistory {
 public:
  TermHistory() = default;
  explicit TermHistory(std::vector<TermSwitch> entries) : entries_(std::move(entries)) {}

  const std::vector<TermSwitch>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

  // Term of the last entry, or Term(0) when empty.
  Term last_term() const;
  // The history as it applies to a log that ends at `end_lsn`: entries starting after it are
  // dropped. An entry starting exactly at end_lsn is kept (a new term that has not written yet
  // already owns the log's end; Neon's "non-strict" rule).
  TermHistory up_to(Lsn end_lsn) const;
  // The term that wrote the byte at `lsn`, if the history covers it.
  std::optional<Term> term_at(Lsn lsn) const;

  void append(TermSwitch entry);
  bool is_well_formed() const;
  // "[(1, 0/16B3748), (3, 0/16B9000)]", for logs and traces.
  std::string to_string() const;

  friend bool operator==(const TermHistory&, const TermHistory&) = default;

 private:
  std::vector<TermSwitch> entries_;
};

// The highest LSN up to which an acceptor's log (history `acceptor`, WAL ending at
// `acceptor_flush_lsn`) is known to equal the proposer's log (history `proposer`, of unbounded
// length). The acceptor must truncate there and be streamed from there. nullopt when the two
// histories share no first term, which for timelines created with a start entry means corruption.
//
// Walks the common prefix of terms; the last common term ends at the next entry of whichever
// history switches first, or at the acceptor's flush LSN if its history ends there.
std::optional<Lsn> find_highest_common_point(const TermHistory& proposer,
                                             const TermHistory& acceptor, Lsn acceptor_flush_lsn);

}  // namespace sk::consensus
