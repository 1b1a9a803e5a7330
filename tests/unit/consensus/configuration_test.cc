// Unit tests for consensus/configuration.h: joint quorums checked against the definition on
// every subset of small configurations, the intersection that makes a change safe, and the
// steps of a change.
#include "consensus/configuration.h"

#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "consensus/prng.h"

namespace sk::consensus {
namespace {

std::vector<NodeId> ids(std::initializer_list<std::uint64_t> values) {
  std::vector<NodeId> out;
  for (std::uint64_t v : values) {
    out.push_back(NodeId(v));
  }
  return out;
}

// The definition, the slow way: a majority of each set, counted one by one.
bool naive_is_quorum(const Configuration& c, const std::set<NodeId>& agreeing) {
  auto majority_of = [&](const std::vector<NodeId>& set) {
    std::size_t count = 0;
    for (NodeId n : set) {
      count += agreeing.contains(n) ? 1 : 0;
    }
    return count * 2 > set.size();
  };
  return majority_of(c.members) && (c.new_members.empty() || majority_of(c.new_members));
}

// Every subset of the configuration's acceptors.
std::vector<std::set<NodeId>> subsets(const Configuration& c) {
  const std::vector<NodeId> all = c.acceptors();
  std::vector<std::set<NodeId>> out;
  for (std::uint32_t mask = 0; mask < (1u << all.size()); ++mask) {
    std::set<NodeId> subset;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if ((mask >> i) & 1u) {
        subset.insert(all[i]);
      }
    }
    out.push_back(subset);
  }
  return out;
}

// A random configuration over node ids 1..6: members of 1-5, joint half of the time.
Configuration random_configuration(Prng& prng) {
  auto random_set = [&] {
    std::vector<NodeId> set;
    while (set.empty()) {
      for (std::uint64_t n = 1; n <= 6; ++n) {
        if (prng.next() % 2 == 0 && set.size() < 5) {
          set.push_back(NodeId(n));
        }
      }
    }
    return set;
  };
  Configuration c = Configuration::of(random_set());
  if (prng.next() % 2 == 0) {
    c.new_members = Configuration::of(random_set()).members;
  }
  return c;
}

TEST(ConfigurationTest, IsQuorum_MatchesTheDefinitionOnEverySubset) {
  Prng prng(7);
  for (int round = 0; round < 300; ++round) {
    const Configuration c = random_configuration(prng);
    for (const std::set<NodeId>& agreeing : subsets(c)) {
      EXPECT_EQ(c.is_quorum([&](NodeId n) { return agreeing.contains(n); }),
                naive_is_quorum(c, agreeing))
          << c.describe() << " with " << agreeing.size() << " agreeing";
    }
  }
}

TEST(ConfigurationTest, QuorumPosition_IsTheHighestPositionAQuorumReaches) {
  Prng prng(11);
  for (int round = 0; round < 300; ++round) {
    const Configuration c = random_configuration(prng);
    std::map<NodeId, Lsn> positions;
    for (NodeId n : c.acceptors()) {
      if (prng.next() % 5 != 0) {  // Some acceptors report nothing: 0/0.
        positions[n] = Lsn(prng.next() % 4 * 100);
      }
    }
    Lsn expected(0);
    for (const auto& [node, candidate] : positions) {
      const bool reached = naive_is_quorum(c, [&] {
        std::set<NodeId> at_or_past;
        for (const auto& [other, position] : positions) {
          if (position >= candidate) {
            at_or_past.insert(other);
          }
        }
        return at_or_past;
      }());
      if (reached && candidate > expected) {
        expected = candidate;
      }
    }
    EXPECT_EQ(c.quorum_position(positions), expected) << c.describe();
  }
}

// Why a change is safe: during each step, any quorum of one configuration and any quorum of the
// next share an acceptor, so no two decisions (votes, commits) can be made without one acceptor
// seeing both. Checked on every pair of quorums for 3 -> 3 with one node swapped, and 3 -> 5.
TEST(ConfigurationTest, QuorumsOfConsecutiveConfigurationsAlwaysIntersect) {
  for (const auto& [old_set, new_set] :
       {std::pair{ids({1, 2, 3}), ids({1, 2, 4})}, std::pair{ids({1, 2, 3}), ids({1, 2, 3, 4, 5})},
        std::pair{ids({1, 2, 3}), ids({4, 5, 6})}}) {
    const Configuration plain_old = Configuration::of(old_set);
    const Configuration joint = start_change(plain_old, new_set).value();
    const Configuration plain_new = finish_change(joint).value();
    const Configuration aborted = abort_change(joint).value();
    for (const auto& [first, second] :
         {std::pair{&plain_old, &joint}, std::pair{&joint, &plain_new},
          std::pair{&joint, &aborted}}) {
      for (const std::set<NodeId>& q1 : subsets(joint)) {
        if (!naive_is_quorum(*first, q1)) {
          continue;
        }
        for (const std::set<NodeId>& q2 : subsets(joint)) {
          if (!naive_is_quorum(*second, q2)) {
            continue;
          }
          bool shared = false;
          for (NodeId n : q1) {
            shared = shared || q2.contains(n);
          }
          EXPECT_TRUE(shared) << first->describe() << " and " << second->describe();
        }
      }
    }
    // Without the joint step the old and new sets alone can decide apart ({1,2,3} -> {4,5,6}).
    if (old_set == ids({1, 2, 3}) && new_set == ids({4, 5, 6})) {
      EXPECT_TRUE(naive_is_quorum(plain_old, {NodeId(1), NodeId(2)}));
      EXPECT_TRUE(naive_is_quorum(plain_new, {NodeId(4), NodeId(5)}));
    }
  }
}

TEST(ConfigurationTest, AChangeGoesThroughJointOneGenerationPerStep) {
  const Configuration start = Configuration::of(ids({3, 1, 2, 2}));
  EXPECT_EQ(start.members, ids({1, 2, 3}));
  EXPECT_EQ(start.generation, Generation(0));
  EXPECT_EQ(start.describe(), "g0 {1,2,3}");

  const Configuration joint = start_change(start, ids({4, 1, 2})).value();
  EXPECT_TRUE(joint.joint());
  EXPECT_EQ(joint.generation, Generation(1));
  EXPECT_EQ(joint.describe(), "g1 {1,2,3} -> {1,2,4}");
  EXPECT_EQ(joint.acceptors(), ids({1, 2, 3, 4}));
  EXPECT_TRUE(joint.contains(NodeId(4)));
  EXPECT_FALSE(joint.contains(NodeId(5)));

  const Configuration done = finish_change(joint).value();
  EXPECT_EQ(done.describe(), "g2 {1,2,4}");
  EXPECT_FALSE(done.contains(NodeId(3)));
  EXPECT_EQ(abort_change(joint).value().describe(), "g2 {1,2,3}");

  EXPECT_EQ(start_change(joint, ids({5})).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(finish_change(start).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(abort_change(start).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(start_change(start, {}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(start_change(start, ids({1, 2, 3})).error().code(), ErrorCode::kInvalidArgument);
}

TEST(ConfigurationTest, Validate_RefusesEmptyUnsortedOrRepeatedSets) {
  EXPECT_TRUE(validate(Configuration::of(ids({1, 2, 3}))).has_value());
  EXPECT_FALSE(validate(Configuration{}).has_value());
  EXPECT_FALSE(validate(Configuration{Generation(1), ids({2, 1}), {}}).has_value());
  EXPECT_FALSE(validate(Configuration{Generation(1), ids({1, 2}), ids({3, 3})}).has_value());
}

TEST(ConfigurationTest, Addresses_AreOfAcceptorsAndFollowTheSetThroughAChange) {
  Configuration start = Configuration::of(ids({1, 2, 3}));
  start.addresses = {{NodeId(1), "a:1"}, {NodeId(3), "c:3"}};
  EXPECT_TRUE(validate(start).has_value());

  Configuration joint = start_change(start, ids({1, 2, 4})).value();
  EXPECT_EQ(joint.addresses, start.addresses);
  joint.addresses.emplace(NodeId(4), "d:4");
  EXPECT_TRUE(validate(joint).has_value());
  EXPECT_NE(joint.digest(), start_change(start, ids({1, 2, 4})).value().digest());

  const std::map<NodeId, std::string> new_set{{NodeId(1), "a:1"}, {NodeId(4), "d:4"}};
  EXPECT_EQ(finish_change(joint).value().addresses, new_set);
  const std::map<NodeId, std::string> old_set{{NodeId(1), "a:1"}, {NodeId(3), "c:3"}};
  EXPECT_EQ(abort_change(joint).value().addresses, old_set);

  Configuration stranger = start;
  stranger.addresses.emplace(NodeId(9), "z:9");
  EXPECT_EQ(validate(stranger).error().code(), ErrorCode::kInvalidArgument);
  Configuration blank = start;
  blank.addresses[NodeId(2)] = "";
  EXPECT_EQ(validate(blank).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sk::consensus
