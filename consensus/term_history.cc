// Term history queries and the highest-common-point computation shared by proposer and acceptor.
#include "consensus/term_history.h"

#include <algorithm>

#include "consensus/check.h"

namespace sk::consensus {

Term TermHistory::last_term() const {
  return entries_.empty() ? Term(0) : entries_.back().term;
}

TermHistory TermHistory::up_to(Lsn end_lsn) const {
  std::vector<TermSwitch> kept;
  for (const TermSwitch& entry : entries_) {
    if (entry.lsn > end_lsn) {
      break;
    }
    kept.push_back(entry);
  }
  return TermHistory(std::move(kept));
}

std::optional<Term> TermHistory::term_at(Lsn lsn) const {
  std::optional<Term> found;
  for (const TermSwitch& entry : entries_) {
    if (entry.lsn > lsn) {
      break;
    }
    found = entry.term;
  }
  return found;
}

void TermHistory::append(TermSwitch entry) {
  SK_CHECK(entries_.empty() || entries_.back().term < entry.term);
  SK_CHECK(entries_.empty() || entries_.back().lsn <= entry.lsn);
  entries_.push_back(entry);
}

bool TermHistory::is_well_formed() const {
  for (std::size_t i = 1; i < entries_.size(); ++i) {
    if (!(entries_[i - 1].term < entries_[i].term) || entries_[i].lsn < entries_[i - 1].lsn) {
      return false;
    }
  }
  return true;
}

std::string TermHistory::to_string() const {
  std::string text = "[";
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0) {
      text += ", ";
    }
    text +=
        "(" + std::to_string(entries_[i].term.value()) + ", " + entries_[i].lsn.to_string() + ")";
  }
  return text + "]";
}

std::optional<Lsn> find_highest_common_point(const TermHistory& proposer,
                                             const TermHistory& acceptor, Lsn acceptor_flush_lsn) {
  const auto& prop = proposer.entries();
  const auto& acc = acceptor.entries();
  std::size_t common = 0;  // Number of leading entries with equal terms.
  while (common < prop.size() && common < acc.size() && prop[common].term == acc[common].term) {
    // One term has one start, whoever reports it; anything else is a broken history.
    if (prop[common].lsn != acc[common].lsn) {
      return std::nullopt;
    }
    ++common;
  }
  if (common == 0) {
    return std::nullopt;
  }
  const std::size_t last = common - 1;
  Lsn proposer_term_end = last + 1 < prop.size() ? prop[last + 1].lsn : kMaxLsn;
  Lsn acceptor_term_end = last + 1 < acc.size() ? acc[last + 1].lsn : acceptor_flush_lsn;
  return std::min({proposer_term_end, acceptor_term_end, acceptor_flush_lsn});
}

}  // namespace sk::consensus
