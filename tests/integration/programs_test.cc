// Every program answers --version (its name and the project's version) and --help, with exit
// status 0 and without needing anything else: what a packager or an operator tries first.
#include <gtest/gtest.h>

#include "tests/integration/cluster_fixture.h"

namespace sk::testing {
namespace {

struct Program {
  std::string name;
  std::string path;
};

std::vector<Program> programs() {
  return {{"safekeeper", safekeeper_binary()},
          {"walproposer", walproposer_binary()},
          {"sk-loadgen", loadgen_binary()},
          {"skctl", skctl_binary()}};
}

TEST(Programs, EachAnswersVersionWithItsNameAndTheProjectsVersion) {
  TempDir dir("sk_programs");
  for (const Program& program : programs()) {
    const auto log = dir.path() / (program.name + ".version");
    ChildProcess p = ChildProcess::spawn({program.path, "--version"}, log);
    EXPECT_EQ(p.wait_exit(std::chrono::seconds(10)), std::optional<int>(0)) << program.name;
    EXPECT_EQ(file_text(log), program.name + " " + SK_PROJECT_VERSION + "\n") << program.name;
  }
}

TEST(Programs, EachAnswersHelpWithItsUsage) {
  TempDir dir("sk_programs");
  for (const Program& program : programs()) {
    const auto log = dir.path() / (program.name + ".help");
    ChildProcess p = ChildProcess::spawn({program.path, "--help"}, log);
    EXPECT_EQ(p.wait_exit(std::chrono::seconds(10)), std::optional<int>(0)) << program.name;
    EXPECT_NE(file_text(log).find("usage: "), std::string::npos) << program.name;
    EXPECT_NE(file_text(log).find("--version"), std::string::npos) << program.name;
  }
}

}  // namespace
}  // namespace sk::testing
