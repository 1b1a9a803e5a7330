// configuration_json.h: what the API shows reads back the same, and bad bodies are refused with
// the field named.
#include "safekeeper/server/configuration_json.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace sk::safekeeper {
namespace {

using consensus::Configuration;
using consensus::Generation;
using consensus::NodeId;

TEST(ConfigurationJsonTest, WhatIsShown_ReadsBackTheSame) {
  const Configuration joint{Generation(3),
                            {NodeId(1), NodeId(2), NodeId(3)},
                            {NodeId(1), NodeId(2), NodeId(4)},
                            {{NodeId(4), "sk-4.example:5454"}}};
  const boost::json::value shown = configuration_json(joint);
  EXPECT_EQ(boost::json::serialize(shown),
            R"({"generation":3,"members":[1,2,3],"new_members":[1,2,4],)"
            R"("addresses":{"4":"sk-4.example:5454"}})");
  auto read = parse_configuration(shown);
  ASSERT_TRUE(read.has_value()) << read.error().to_string();
  EXPECT_EQ(*read, joint);
  EXPECT_TRUE(configuration_json(Configuration{}).is_null());
}

TEST(ConfigurationJsonTest, OptionalFields_MayBeLeftOut) {
  auto plain = parse_configuration_body(R"({"generation": 2, "members": [1, 2, 4]})");
  ASSERT_TRUE(plain.has_value()) << plain.error().to_string();
  EXPECT_EQ(plain->describe(), "g2 {1,2,4}");
  EXPECT_TRUE(plain->addresses.empty());
}

TEST(ConfigurationJsonTest, BadBodies_AreRefusedNamingWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"[]", "JSON object"},
      {"{nope", "JSON object"},
      {R"({"members": [1]})", "generation"},
      {R"({"generation": -1, "members": [1]})", "generation"},
      {R"({"generation": 1, "members": [1], "extra": 1})", "extra"},
      {R"({"generation": 1, "members": "1,2"})", "members"},
      {R"({"generation": 1, "members": [0]})", "members"},
      {R"({"generation": 1, "members": [2, 1]})", "sorted"},
      {R"({"generation": 1, "members": []})", "at least one member"},
      {R"({"generation": 1, "members": [1], "addresses": {"2": "b:2"}})", "node 2"},
      {R"({"generation": 1, "members": [1], "addresses": {"x": "b:2"}})", "addresses"},
      {R"({"generation": 1, "members": [1], "addresses": {"1": 5}})", "addresses"},
  };
  for (const auto& [body, named] : cases) {
    auto parsed = parse_configuration_body(body);
    ASSERT_FALSE(parsed.has_value()) << body;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument) << body;
    EXPECT_NE(parsed.error().message().find(named), std::string::npos)
        << body << ": " << parsed.error().message();
  }
}

}  // namespace
}  // namespace sk::safekeeper
