// SafetyChecker: see the header for the properties. Each failure names the property, the nodes
// and the LSNs involved, so a trace can be read back from it.
#include "tests/sim/safety_checker.h"

#include <algorithm>
#include <set>

#include "consensus/state_digest.h"
#include "tests/sim/payload.h"

namespace sk::sim {

using consensus::Lsn;
using consensus::NodeId;
using consensus::Term;
using consensus::TermHistory;

namespace {

std::string node(NodeId id) {
  return "node " + std::to_string(id.value());
}
std::string term_text(Term term) {
  return "term " + std::to_string(term.value());
}

}  // namespace

bool same_terms(const TermHistory& a, const TermHistory& b, Lsn from, Lsn to) {
  if (from >= to) {
    return true;
  }
  // Both are step functions of the LSN: compare at `from` and at every switch inside the range.
  std::vector<Lsn> points{from};
  for (const auto* history : {&a, &b}) {
    for (const auto& entry : history->entries()) {
      if (entry.lsn > from && entry.lsn < to) {
        points.push_back(entry.lsn);
      }
    }
  }
  for (Lsn point : points) {
    if (a.term_at(point) != b.term_at(point)) {
      return false;
    }
  }
  return true;
}

SafetyChecker::SafetyChecker(std::size_t acceptor_count, Lsn timeline_start_lsn)
    : configurations_{[acceptor_count] {
        std::vector<NodeId> all;
        for (std::size_t i = 1; i <= acceptor_count; ++i) {
          all.push_back(NodeId(i));
        }
        return consensus::Configuration::of(std::move(all));
      }()},
      timeline_start_lsn_(timeline_start_lsn),
      committed_end_lsn_(timeline_start_lsn) {}

std::optional<Violation> SafetyChecker::on_elected(NodeId proposer, Term term,
                                                   const TermHistory& history, Lsn term_start_lsn) {
  auto [it, inserted] = elected_.emplace(term, Elected{proposer, history, term_start_lsn});
  if (!inserted) {
    // Each proposer reports its election once: a second report is a second winner, another
    // node or a restarted one under the same id.
    return Violation{"election-safety", term_text(term) + " won by " + node(it->second.proposer) +
                                            " and again by " + node(proposer)};
  }
  // Everything committed in lower terms must be in the new proposer's log.
  Lsn required_end = timeline_start_lsn_;
  for (auto commit = commit_by_term_.begin();
       commit != commit_by_term_.end() && commit->first < term; ++commit) {
    required_end = std::max(required_end, commit->second);
  }
  if (term_start_lsn < required_end ||
      !same_terms(history, committed_history_, timeline_start_lsn_, required_end)) {
    return Violation{"log-safety", node(proposer) + " elected in " + term_text(term) +
                                       " with log " + history.to_string() + " ending at " +
                                       term_start_lsn.to_string() + ", which lacks committed " +
                                       committed_history_.to_string() + " up to " +
                                       required_end.to_string()};
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::on_commit(NodeId proposer, Term term,
                                                  const TermHistory& history, Lsn previous,
                                                  Lsn commit) {
  if (commit < previous) {
    return Violation{"commit-monotonic", node(proposer) + " moved its commit LSN back from " +
                                             previous.to_string() + " to " + commit.to_string()};
  }
  const Lsn overlap_end = std::min(commit, committed_end_lsn_);
  if (!same_terms(history, committed_history_, timeline_start_lsn_, overlap_end)) {
    return Violation{"log-safety", node(proposer) + " in " + term_text(term) + " committed " +
                                       history.to_string() + " up to " + commit.to_string() +
                                       ", but " + committed_history_.to_string() +
                                       " was committed up to " + committed_end_lsn_.to_string()};
  }
  // A proposer already elected in a higher term must hold what this one just committed: the
  // acknowledgements it counted were given before their senders voted for the higher term.
  for (auto it = elected_.upper_bound(term); it != elected_.end(); ++it) {
    const Elected& later = it->second;
    if (later.term_start_lsn < commit ||
        !same_terms(history, later.history, timeline_start_lsn_, commit)) {
      return Violation{"log-safety", node(proposer) + " in " + term_text(term) +
                                         " committed up to " + commit.to_string() + " what " +
                                         node(later.proposer) + " elected in " +
                                         term_text(it->first) + " with " +
                                         later.history.to_string() + " does not hold"};
    }
  }
  Lsn& term_commit = commit_by_term_[term];
  term_commit = std::max(term_commit, commit);
  if (commit > committed_end_lsn_) {
    committed_history_ = history.up_to(commit);
    committed_end_lsn_ = commit;
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::on_acceptor_commit(NodeId acceptor, Lsn previous,
                                                           Lsn commit, const TermHistory& history) {
  if (commit < previous) {
    return Violation{"commit-monotonic", node(acceptor) + " moved its commit LSN back from " +
                                             previous.to_string() + " to " + commit.to_string()};
  }
  if (commit > committed_end_lsn_) {
    return Violation{"commit-monotonic", node(acceptor) + " exposes commit LSN " +
                                             commit.to_string() + " beyond the committed " +
                                             committed_end_lsn_.to_string()};
  }
  if (!same_terms(history, committed_history_, timeline_start_lsn_, commit)) {
    return Violation{"log-safety", node(acceptor) + " serves " + history.to_string() + " up to " +
                                       commit.to_string() +
                                       " as committed, but the committed log is " +
                                       committed_history_.to_string()};
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::check_acceptors(
    const std::vector<DurableAcceptorView>& acceptors, const std::vector<Lsn>& verify_from) const {
  std::set<NodeId> holders;
  for (std::size_t i = 0; i < acceptors.size(); ++i) {
    const DurableAcceptorView& view = acceptors[i];
    const Lsn end = view.end_lsn();
    const TermHistory history = view.history->up_to(end);
    // Property 4: the WAL must cover the durable commit LSN, or committed data is gone.
    if (view.commit_lsn > end) {
      return Violation{"commit-monotonic", node(view.id) + " durable commit LSN " +
                                               view.commit_lsn.to_string() +
                                               " is beyond its durable WAL end " + end.to_string()};
    }
    // Properties 2 and 3: every byte is the byte its history's term wrote.
    for (Lsn lsn = std::max(verify_from[i], view.wal_start_lsn); lsn < end;
         lsn = lsn.plus_bytes(1)) {
      std::optional<Term> term = history.term_at(lsn);
      const std::uint8_t byte = (*view.wal)[lsn.bytes_since(view.wal_start_lsn)];
      if (!term || byte != wal_byte(*term, lsn)) {
        return Violation{"log-matching",
                         node(view.id) + " holds at " + lsn.to_string() + " a byte its history " +
                             history.to_string() + " does not explain" +
                             (term ? " (expected the byte of " + term_text(*term) + ")" : "")};
      }
    }
    if (end >= committed_end_lsn_ &&
        same_terms(history, committed_history_, timeline_start_lsn_, committed_end_lsn_)) {
      holders.insert(view.id);
    }
  }
  if (committed_end_lsn_ <= timeline_start_lsn_) {
    return std::nullopt;
  }
  // A quorum with no copy could elect a proposer that never learns of the commit.
  std::map<NodeId, consensus::Generation> generations;
  for (const DurableAcceptorView& view : acceptors) {
    generations[view.id] = view.generation;
  }
  for (const consensus::Configuration& configuration : configurations_) {
    const auto could_vote_without_a_copy = [&](NodeId n) {
      return !holders.contains(n) && generations[n] <= configuration.generation;
    };
    if (configuration.is_quorum(could_vote_without_a_copy)) {
      return Violation{"log-safety", "only " + std::to_string(holders.size()) + " of " +
                                         std::to_string(acceptors.size()) +
                                         " acceptors durably hold the committed log " +
                                         committed_history_.to_string() + " up to " +
                                         committed_end_lsn_.to_string() + ": a quorum of " +
                                         configuration.describe() + " holds none"};
    }
  }
  return std::nullopt;
}

std::optional<Violation> SafetyChecker::check_log_matching(
    const std::vector<DurableAcceptorView>& acceptors) const {
  for (std::size_t i = 0; i < acceptors.size(); ++i) {
    for (std::size_t j = i + 1; j < acceptors.size(); ++j) {
      const DurableAcceptorView& a = acceptors[i];
      const DurableAcceptorView& b = acceptors[j];
      const TermHistory ha = a.history->up_to(a.end_lsn());
      const TermHistory hb = b.history->up_to(b.end_lsn());
      // Where the two histories stop agreeing, bounded by the shorter log.
      Lsn agree_end = std::min(a.end_lsn(), b.end_lsn());
      const Lsn from = std::max(a.wal_start_lsn, b.wal_start_lsn);
      for (const auto* h : {&ha, &hb}) {
        for (const auto& entry : h->entries()) {
          if (entry.lsn >= from && entry.lsn < agree_end &&
              ha.term_at(entry.lsn) != hb.term_at(entry.lsn)) {
            agree_end = entry.lsn;
          }
        }
      }
      if (ha.term_at(from) != hb.term_at(from)) {
        continue;
      }
      for (Lsn lsn = from; lsn < agree_end; lsn = lsn.plus_bytes(1)) {
        if ((*a.wal)[lsn.bytes_since(a.wal_start_lsn)] !=
            (*b.wal)[lsn.bytes_since(b.wal_start_lsn)]) {
          return Violation{"log-matching", node(a.id) + " and " + node(b.id) +
                                               " agree on history up to " + agree_end.to_string() +
                                               " but differ at " + lsn.to_string()};
        }
      }
    }
  }
  return std::nullopt;
}

std::uint64_t SafetyChecker::digest(std::span<const consensus::NodeId> proposer_order) const {
  consensus::StateDigest digest;
  auto mix = [&digest](std::uint64_t value) { digest.mix(value); };
  mix(committed_end_lsn_.value());
  for (const auto& entry : committed_history_.entries()) {
    mix(entry.term.value());
    mix(entry.lsn.value());
  }
  for (const auto& [term, commit] : commit_by_term_) {
    mix(term.value());
    mix(commit.value());
  }
  for (const auto& [term, elected] : elected_) {
    mix(term.value());
    // A proposer no longer in the order (removed by the simulator) enters by its id.
    const auto position = std::find(proposer_order.begin(), proposer_order.end(), elected.proposer);
    mix(position != proposer_order.end()
            ? static_cast<std::uint64_t>(position - proposer_order.begin())
            : proposer_order.size() + elected.proposer.value());
    mix(elected.term_start_lsn.value());
    for (const auto& entry : elected.history.entries()) {
      mix(entry.term.value());
      mix(entry.lsn.value());
    }
  }
  return digest.value();
}

}  // namespace sk::sim
