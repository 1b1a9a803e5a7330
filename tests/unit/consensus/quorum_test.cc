// Unit tests for consensus/quorum.h: majority sizes, and the quorum flush LSN checked against a
// naive oracle on many seeded random inputs (etcd's quorum tests do the same).
#include "consensus/quorum.h"

#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/prng.h"

namespace sk::consensus {
namespace {

// The definition, computed the slow way: the highest L such that at least a majority of the
// entries are >= L. Only entries' own values can be that L.
Lsn naive_quorum_flush_lsn(const std::vector<Lsn>& flush_lsns) {
  const std::size_t majority = flush_lsns.size() / 2 + 1;
  Lsn best = kInvalidLsn;
  for (Lsn candidate : flush_lsns) {
    std::size_t reaching = 0;
    for (Lsn other : flush_lsns) {
      if (other >= candidate) {
        ++reaching;
      }
    }
    if (reaching >= majority && candidate > best) {
      best = candidate;
    }
  }
  return best;
}

std::string describe(const std::vector<Lsn>& lsns) {
  std::string text = "[";
  for (Lsn lsn : lsns) {
    text += lsn.to_string() + " ";
  }
  return text + "]";
}

TEST(QuorumTest, QuorumSize_IsStrictMajority) {
  struct Case {
    std::size_t members;
    std::size_t quorum;
  };
  const Case cases[] = {{1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 3}, {6, 4}, {7, 4}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.members);
    EXPECT_EQ(quorum_size(c.members), c.quorum);
    // Two quorums always intersect.
    EXPECT_GT(2 * quorum_size(c.members), c.members);
  }
}

TEST(QuorumTest, QuorumFlushLsn_Examples) {
  struct Case {
    const char* name;
    std::vector<Lsn> flush_lsns;
    Lsn expected;
  };
  const Case cases[] = {
      {"single member", {Lsn(7)}, Lsn(7)},
      {"three equal", {Lsn(5), Lsn(5), Lsn(5)}, Lsn(5)},
      {"three distinct", {Lsn(30), Lsn(10), Lsn(20)}, Lsn(20)},
      {"one ahead alone", {Lsn(100), Lsn(0), Lsn(0)}, Lsn(0)},
      {"two of three ahead", {Lsn(100), Lsn(90), Lsn(0)}, Lsn(90)},
      {"five, third highest", {Lsn(1), Lsn(5), Lsn(2), Lsn(4), Lsn(3)}, Lsn(3)},
      {"five, two silent", {Lsn(9), Lsn(0), Lsn(9), Lsn(0), Lsn(9)}, Lsn(9)},
      {"five, three silent", {Lsn(9), Lsn(0), Lsn(9), Lsn(0), Lsn(0)}, Lsn(0)},
      {"four needs three", {Lsn(40), Lsn(30), Lsn(20), Lsn(10)}, Lsn(20)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(quorum_flush_lsn(c.flush_lsns), c.expected);
    EXPECT_EQ(naive_quorum_flush_lsn(c.flush_lsns), c.expected);
  }
}

TEST(QuorumTest, QuorumFlushLsn_MatchesNaiveOracleOnRandomInputs) {
  Prng prng(20240611);
  for (std::size_t members : {std::size_t{3}, std::size_t{5}, std::size_t{1}, std::size_t{4}}) {
    for (int round = 0; round < 2000; ++round) {
      std::vector<Lsn> flush_lsns;
      for (std::size_t i = 0; i < members; ++i) {
        // A small range forces ties; kInvalidLsn stands for members that have not acknowledged.
        const std::uint64_t value =
            prng.chance(1, 5) ? 0 : prng.below(round % 2 == 0 ? 8u : 1u << 30);
        flush_lsns.push_back(Lsn(value));
      }
      SCOPED_TRACE(describe(flush_lsns));
      ASSERT_EQ(quorum_flush_lsn(flush_lsns), naive_quorum_flush_lsn(flush_lsns));
    }
  }
}

TEST(QuorumTest, QuorumFlushLsn_IgnoresOrderOfMembers) {
  const std::vector<Lsn> a = {Lsn(3), Lsn(1), Lsn(4), Lsn(1), Lsn(5)};
  const std::vector<Lsn> b = {Lsn(5), Lsn(4), Lsn(3), Lsn(1), Lsn(1)};
  EXPECT_EQ(quorum_flush_lsn(a), quorum_flush_lsn(b));
  EXPECT_EQ(quorum_flush_lsn(a), Lsn(3));
}

}  // namespace
}  // namespace sk::consensus
