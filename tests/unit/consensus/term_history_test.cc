// Unit tests for consensus/term_history.h: the queries on one history and the highest common
// point between a proposer's history and an acceptor's (Neon's find_highest_common_point cases).
#include "consensus/term_history.h"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace sk::consensus {
namespace {

// A history from (term, lsn) pairs, to keep the tables readable.
TermHistory history(std::initializer_list<std::pair<std::uint64_t, std::uint64_t>> entries) {
  std::vector<TermSwitch> switches;
  for (auto [term, lsn] : entries) {
    switches.push_back({Term(term), Lsn(lsn)});
  }
  return TermHistory(std::move(switches));
}

TEST(TermHistoryTest, LastTerm_IsTermOfLastEntry) {
  EXPECT_EQ(TermHistory().last_term(), Term(0));
  EXPECT_EQ(history({{0, 100}}).last_term(), Term(0));
  EXPECT_EQ(history({{0, 100}, {2, 150}, {5, 300}}).last_term(), Term(5));
}

TEST(TermHistoryTest, UpTo_DropsEntriesStartingAfterEnd) {
  const TermHistory h = history({{0, 100}, {2, 150}, {3, 150}, {5, 300}});
  struct Case {
    std::uint64_t end_lsn;
    TermHistory expected;
  };
  const Case cases[] = {
      {99, history({})},
      {100, history({{0, 100}})},
      {149, history({{0, 100}})},
      // An entry starting exactly at the end is kept: that term already owns the log's end.
      {150, history({{0, 100}, {2, 150}, {3, 150}})},
      {299, history({{0, 100}, {2, 150}, {3, 150}})},
      {300, h},
      {UINT64_MAX, h},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.end_lsn);
    EXPECT_EQ(h.up_to(Lsn(c.end_lsn)), c.expected);
  }
}

TEST(TermHistoryTest, UpTo_OfEmptyHistory_IsEmpty) {
  EXPECT_TRUE(TermHistory().up_to(Lsn(1000)).empty());
}

TEST(TermHistoryTest, TermAt_IsTermThatWroteTheByte) {
  // Term 2 wrote nothing: term 3 started where it did.
  const TermHistory h = history({{0, 100}, {2, 150}, {3, 150}, {5, 300}});
  struct Case {
    std::uint64_t lsn;
    std::optional<std::uint64_t> term;
  };
  const Case cases[] = {
      {0, std::nullopt}, {99, std::nullopt}, {100, 0}, {149, 0},
      {150, 3},          {299, 3},           {300, 5}, {UINT64_MAX, 5},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.lsn);
    std::optional<Term> got = h.term_at(Lsn(c.lsn));
    ASSERT_EQ(got.has_value(), c.term.has_value());
    if (c.term) {
      EXPECT_EQ(*got, Term(*c.term));
    }
  }
  EXPECT_FALSE(TermHistory().term_at(Lsn(0)).has_value());
}

TEST(TermHistoryTest, IsWellFormed_RequiresIncreasingTermsAndNonDecreasingLsns) {
  struct Case {
    const char* name;
    TermHistory h;
    bool well_formed;
  };
  const Case cases[] = {
      {"empty", history({}), true},
      {"one entry", history({{0, 100}}), true},
      {"increasing", history({{0, 100}, {1, 100}, {4, 200}}), true},
      {"term repeated", history({{0, 100}, {1, 150}, {1, 200}}), false},
      {"term decreasing", history({{0, 100}, {3, 150}, {2, 200}}), false},
      {"lsn decreasing", history({{0, 100}, {1, 150}, {2, 120}}), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.h.is_well_formed(), c.well_formed);
  }
}

TEST(TermHistoryTest, Append_KeepsHistoryWellFormed) {
  TermHistory h;
  h.append({Term(0), Lsn(100)});
  h.append({Term(3), Lsn(100)});
  h.append({Term(4), Lsn(250)});
  EXPECT_EQ(h, history({{0, 100}, {3, 100}, {4, 250}}));
  EXPECT_TRUE(h.is_well_formed());
}

TEST(TermHistoryDeathTest, Append_LowerTerm_Aborts) {
  TermHistory h = history({{0, 100}, {3, 150}});
  EXPECT_DEATH(h.append({Term(3), Lsn(200)}), "check failed");
}

TEST(TermHistoryDeathTest, Append_LowerLsn_Aborts) {
  TermHistory h = history({{0, 100}, {3, 150}});
  EXPECT_DEATH(h.append({Term(4), Lsn(149)}), "check failed");
}

TEST(TermHistoryTest, ToString_ListsTermsAndLsns) {
  EXPECT_EQ(TermHistory().to_string(), "[]");
  EXPECT_EQ(history({{1, 0x16B3748}, {3, 0x16B9000}}).to_string(),
            "[(1, 0/16B3748), (3, 0/16B9000)]");
}

TEST(TermHistoryTest, FindHighestCommonPoint_Table) {
  struct Case {
    const char* name;
    TermHistory proposer;
    TermHistory acceptor;
    std::uint64_t acceptor_flush_lsn;
    std::optional<std::uint64_t> expected;
  };
  const Case cases[] = {
      // The proposer adopted the acceptor's log and added its own term at the end of it.
      {"identical histories, acceptor is the donor", history({{0, 100}, {1, 100}, {2, 300}}),
       history({{0, 100}, {1, 100}}), 300, 300},
      {"identical histories ending in the same term", history({{0, 100}, {1, 100}, {2, 300}}),
       history({{0, 100}, {1, 100}, {2, 300}}), 450, 450},
      // Behind in the same term: everything it has is common; it is streamed from its end.
      {"acceptor behind", history({{0, 100}, {1, 100}, {2, 300}}), history({{0, 100}, {1, 100}}),
       200, 200},
      {"acceptor behind in an older term", history({{0, 100}, {1, 100}, {2, 300}, {4, 500}}),
       history({{0, 100}, {1, 100}}), 250, 250},
      // The acceptor wrote term 2 from 180, which the proposer's log does not hold: term 1 is
      // common only up to where the acceptor switched away from it.
      {"acceptor with a diverging later term", history({{0, 100}, {1, 100}, {3, 250}}),
       history({{0, 100}, {1, 100}, {2, 180}}), 400, 180},
      // The proposer's log switched to term 3 at 250 while the acceptor has term 1 to 400.
      {"proposer switches before acceptor flush", history({{0, 100}, {1, 100}, {3, 250}}),
       history({{0, 100}, {1, 100}}), 400, 250},
      {"both switch, proposer first", history({{0, 100}, {1, 100}, {3, 200}}),
       history({{0, 100}, {1, 100}, {2, 220}}), 400, 200},
      {"no common first term", history({{1, 100}, {2, 200}}), history({{0, 100}, {1, 100}}), 300,
       std::nullopt},
      {"same term, different start", history({{0, 100}, {2, 200}}), history({{0, 100}, {2, 150}}),
       300, std::nullopt},
      {"same first term, different start", history({{0, 100}, {2, 200}}), history({{0, 50}}), 300,
       std::nullopt},
      {"empty acceptor history", history({{0, 100}, {2, 200}}), history({}), 0, std::nullopt},
      {"empty proposer history", history({}), history({{0, 100}}), 100, std::nullopt},
      // The acceptor adopted term 2's history (2 starts at 300) but holds WAL only to 200: its
      // log is common up to its flush, not up to where its history says term 1 ended.
      {"acceptor history ahead of flush, same terms",
       history({{0, 100}, {1, 100}, {2, 300}, {4, 500}}), history({{0, 100}, {1, 100}, {2, 300}}),
       200, 200},
      {"acceptor history ahead of flush, other terms", history({{0, 100}, {1, 100}, {3, 250}}),
       history({{0, 100}, {1, 100}, {2, 300}}), 200, 200},
      {"acceptor history ahead of flush, proposer switches first",
       history({{0, 100}, {1, 100}, {3, 150}}), history({{0, 100}, {1, 100}, {2, 300}}), 200, 150},
      // Empty terms (two entries at one LSN) are compared like any other.
      {"empty term in both", history({{0, 100}, {1, 100}, {2, 100}, {5, 400}}),
       history({{0, 100}, {1, 100}, {2, 100}}), 350, 350},
      {"acceptor at timeline start", history({{0, 100}, {1, 100}}), history({{0, 100}}), 100, 100},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.name) + ": proposer " + c.proposer.to_string() + ", acceptor " +
                 c.acceptor.to_string() + " flushed to " + Lsn(c.acceptor_flush_lsn).to_string());
    std::optional<Lsn> got =
        find_highest_common_point(c.proposer, c.acceptor, Lsn(c.acceptor_flush_lsn));
    ASSERT_EQ(got.has_value(), c.expected.has_value());
    if (c.expected) {
      EXPECT_EQ(*got, Lsn(*c.expected));
    }
  }
}

// The acceptor computes the point from its whole history, the proposer from the history the
// acceptor reported in its vote (cut at its flush LSN). Both must agree, or ProposerElected
// would be refused forever.
TEST(TermHistoryTest, FindHighestCommonPoint_SameForHistoryCutAtFlush) {
  const TermHistory proposers[] = {
      history({{0, 100}, {1, 100}, {2, 300}, {4, 500}}),
      history({{0, 100}, {1, 100}, {3, 250}}),
      history({{0, 100}, {1, 100}, {3, 150}}),
      history({{0, 100}, {1, 100}, {2, 300}, {3, 300}}),
  };
  const TermHistory acceptor = history({{0, 100}, {1, 100}, {2, 300}});
  for (const TermHistory& proposer : proposers) {
    for (std::uint64_t flush : {100u, 150u, 200u, 250u, 300u, 350u, 600u}) {
      SCOPED_TRACE(proposer.to_string() + " flush " + std::to_string(flush));
      EXPECT_EQ(find_highest_common_point(proposer, acceptor, Lsn(flush)),
                find_highest_common_point(proposer, acceptor.up_to(Lsn(flush)), Lsn(flush)));
    }
  }
}

// Whatever the inputs, the common point is never beyond what the acceptor holds.
TEST(TermHistoryTest, FindHighestCommonPoint_NeverBeyondAcceptorFlush) {
  const TermHistory proposer = history({{0, 100}, {1, 100}, {3, 250}});
  for (std::uint64_t flush : {100u, 120u, 250u, 900u}) {
    SCOPED_TRACE(flush);
    std::optional<Lsn> got =
        find_highest_common_point(proposer, history({{0, 100}, {1, 100}}), Lsn(flush));
    ASSERT_TRUE(got.has_value());
    EXPECT_LE(*got, Lsn(flush));
  }
}

}  // namespace
}  // namespace sk::consensus
