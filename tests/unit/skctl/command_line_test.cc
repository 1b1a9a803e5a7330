// skctl's command line: the table of commands, and --parent NAME[@LSN|@TIMESTAMP].
#include "safekeeper/skctl/command_line.h"

#include <gtest/gtest.h>

namespace sk::skctl {
namespace {

TEST(SkctlCommandLine, ParsesACommandWithItsOperandAndFlags) {
  auto parsed = parse_command_line(
      {"--output", "json", "branch", "create", "dev", "--parent=main@0/16B3748"});
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->invocation.group, "branch");
  EXPECT_EQ(parsed->invocation.verb, "create");
  EXPECT_EQ(parsed->invocation.operand, "dev");
  EXPECT_EQ(parsed->invocation.flag("--parent"), "main@0/16B3748");
  EXPECT_EQ(parsed->invocation.flag("--output"), "json");
}

TEST(SkctlCommandLine, ConnectionStringTakesTheBranchAsItsOperand) {
  auto parsed = parse_command_line({"connection-string", "main"});
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->invocation.group, "connection-string");
  EXPECT_EQ(parsed->invocation.operand, "main");
}

TEST(SkctlCommandLine, SnapshotDeleteTakesTheSnapshotIdAsItsOperand) {
  auto parsed = parse_command_line(
      {"--snapshot-store", "/store", "snapshot", "delete", "0123456789abcdef0123456789abcdef"});
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->invocation.group, "snapshot");
  EXPECT_EQ(parsed->invocation.verb, "delete");
  EXPECT_EQ(parsed->invocation.operand, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(parsed->invocation.flag("--snapshot-store"), "/store");
  auto missing = parse_command_line({"snapshot", "delete"});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("takes one argument, ID"), std::string::npos)
      << missing.error().message();
  EXPECT_FALSE(parse_command_line({"snapshot", "delete", "x", "--branch", "main"}));
  EXPECT_NE(usage().find("snapshot delete ID"), std::string::npos);
}

TEST(SkctlCommandLine, HelpAnywhere) {
  auto parsed = parse_command_line({"branch", "--help"});
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->help);
}

TEST(SkctlCommandLine, VersionAnywhere) {
  auto parsed = parse_command_line({"--version"});
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->version);
  EXPECT_FALSE(parsed->help);
}

TEST(SkctlCommandLine, EachMistakeIsNamed) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "no command"},
      {{"branhc", "list"}, "unknown command \"branhc\""},
      {{"branch", "frobnicate"}, "unknown command \"branch frobnicate\""},
      {{"branch"}, "needs a subcommand"},
      {{"branch", "create"}, "takes one argument, NAME"},
      {{"branch", "list", "extra"}, "takes no argument"},
      {{"branch", "list", "--parnet", "x"}, "unrecognised option '--parnet'"},
      {{"branch", "list", "--parent", "x"}, "unknown option --parent for branch list"},
      {{"compute", "start", "--branch", "b", "--port", "5432"}, "needs --pgdata"},
      {{"branch", "get", "x", "--output", "yaml"}, "--output must be table or json"},
      {{"branch", "get", "x", "--tenant"},
       "the required argument for option '--tenant' is missing"},
      {{"branch", "get", "x", "--tenant", "a", "--tenant", "b"},
       "option '--tenant' cannot be specified more than once"},
  };
  for (const auto& [args, expected] : cases) {
    auto parsed = parse_command_line(args);
    ASSERT_FALSE(parsed) << expected;
    EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find(expected), std::string::npos)
        << parsed.error().message() << " lacks " << expected;
  }
}

TEST(SkctlParent, NameAloneIsTheParentsHead) {
  auto p = parse_parent("main");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->branch, "main");
  EXPECT_FALSE(p->lsn);
  EXPECT_FALSE(p->timestamp);
}

TEST(SkctlParent, AnLsnHasASlashAnythingElseIsATimestamp) {
  auto at_lsn = parse_parent("main@0/16B3748");
  ASSERT_TRUE(at_lsn);
  EXPECT_EQ(at_lsn->lsn, consensus::Lsn(0x16B3748));
  auto at_time = parse_parent("dev/feature@2026-11-24T10:00:00+01:00");
  ASSERT_TRUE(at_time);
  EXPECT_EQ(at_time->branch, "dev/feature");
  EXPECT_EQ(at_time->timestamp, "2026-11-24T10:00:00+01:00");
}

TEST(SkctlParent, RejectsWhatCannotBeAPoint) {
  EXPECT_FALSE(parse_parent("@0/1"));
  EXPECT_FALSE(parse_parent("main@"));
  EXPECT_FALSE(parse_parent("main@0/xyz"));
}

}  // namespace
}  // namespace sk::skctl
