// Every program answers --version (its name and the project's version) and --help, with exit
// status 0 and without needing anything else: what a packager or an operator tries first; and
// every one refuses a mistake on its command line the same way, with exit status 2.
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

TEST(Programs, EachRefusesAnUnknownFlagOrAStrayWordWithExitStatus2AndOneLine) {
  TempDir dir("sk_programs");
  const std::vector<std::vector<std::string>> mistakes = {{"--no-such-flag"}, {"stray-word"}};
  for (const Program& program : programs()) {
    for (std::size_t i = 0; i < mistakes.size(); ++i) {
      const auto log = dir.path() / (program.name + ".mistake" + std::to_string(i));
      std::vector<std::string> argv{program.path};
      argv.insert(argv.end(), mistakes[i].begin(), mistakes[i].end());
      ChildProcess p = ChildProcess::spawn(argv, log);
      EXPECT_EQ(p.wait_exit(std::chrono::seconds(10)), std::optional<int>(2))
          << program.name << " " << mistakes[i][0];
      const std::string text = file_text(log);
      EXPECT_EQ(text.rfind(program.name + ": ", 0), 0U) << text;
      EXPECT_NE(text.find("(see --help)\n"), std::string::npos) << text;
    }
  }
}

}  // namespace
}  // namespace sk::testing
