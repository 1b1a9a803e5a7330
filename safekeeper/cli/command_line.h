// How the programs read their flags: Boost.Program_options, one table of flags per program.
// `--help` prints the usage made from that table and `--version` the program's name and the
// project's version, both exiting 0; an unknown flag, a missing value or a bad one prints one
// line, "PROGRAM: what is wrong (see --help)", and exits 2. What a value means (an LSN, a list
// of safekeepers) is the program's to check, through usage_error().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace sk::cli {

inline constexpr int kExitUsage = 2;

class CommandLine {
 public:
  // `synopsis` follows "usage: PROGRAM " on the first line of --help.
  CommandLine(std::string program, std::string synopsis);
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // A flag `--NAME VALUE` (or `--NAME=VALUE`); `value_name` and `help` are for --help.
  CommandLine& value(const char* name, const char* value_name, const char* help);
  // A flag without a value.
  CommandLine& toggle(const char* name, const char* help);

  // Reads argv (a flag given twice is a mistake). Exits on --help, --version and mistakes.
  void parse(int argc, char** argv);

  std::optional<std::string> get(const char* name) const;
  // The value as a whole number (at least 1 with `positive`) or a non-negative real; a value
  // that is not one is a mistake (usage_error).
  std::optional<std::uint64_t> get_unsigned(const char* name, bool positive = false) const;
  std::optional<double> get_real(const char* name) const;
  bool has(const char* name) const;
  [[noreturn]] void usage_error(const std::string& message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sk::cli
