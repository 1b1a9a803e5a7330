// The --safekeepers flag both proposer programs take.
#include "safekeeper/proposer/cluster_setup.h"

#include <gtest/gtest.h>

namespace sk::proposer {
namespace {

TEST(ParseAcceptorListTest, IdsHostsAndPorts_InOrder) {
  auto list = parse_acceptor_list("1=127.0.0.1:5454,2=sk-2.local:5455,10=::1:6000");
  ASSERT_TRUE(list.has_value()) << list.error().to_string();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, consensus::NodeId(1));
  EXPECT_EQ((*list)[0].host, "127.0.0.1");
  EXPECT_EQ((*list)[0].port, 5454);
  EXPECT_EQ((*list)[1].host, "sk-2.local");
  EXPECT_EQ((*list)[2].id, consensus::NodeId(10));
  EXPECT_EQ((*list)[2].host, "::1");
  EXPECT_EQ((*list)[2].port, 6000);
}

TEST(ParseAcceptorListTest, MalformedItems_AreRefusedByName) {
  for (const char* bad : {"", "1=host", "host:5454", "0=h:1", "1=h:0", "1=h:65536", "1=:5454",
                          "x=h:1", "1=h:1,", "1=h:1x"}) {
    SCOPED_TRACE(bad);
    auto list = parse_acceptor_list(bad);
    ASSERT_FALSE(list.has_value());
    EXPECT_EQ(list.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(SplitListTest, KeepsEmptyItems) {
  EXPECT_EQ(split_list("a,b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(split_list(""), (std::vector<std::string>{""}));
  EXPECT_EQ(split_list("a,,b,"), (std::vector<std::string>{"a", "", "b", ""}));
}

}  // namespace
}  // namespace sk::proposer
