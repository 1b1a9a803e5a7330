// skctl's command line: `skctl [global flags] GROUP VERB [OPERAND] [flags]`, checked against the
// table of commands (command_line.cc) so that a typo is one clear line, not a request.
// Pure: no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::skctl {

struct Invocation {
  std::string group;    // "tenant", "branch", ..., "safekeeper", "token", "connection-string"
  std::string verb;     // "create", "list", ...; empty for connection-string
  std::string operand;  // The (first) positional argument some commands take (a name).
  std::map<std::string, std::string> flags;  // "--parent" -> "main@0/16B3748"
  std::vector<std::string> operands;         // Every positional argument, `operand` first.

  bool has(const std::string& flag) const { return flags.contains(flag); }
  std::string flag(const std::string& name, const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
};

// What the command line asked for: a command, help or the version.
struct ParsedCommandLine {
  bool help = false;
  bool version = false;
  Invocation invocation;
};

// kInvalidArgument naming the word or flag at fault.
Result<ParsedCommandLine> parse_command_line(const std::vector<std::string>& args);
std::string usage();

// `--parent NAME[@LSN|@TIMESTAMP]` (and restore's `--to`; `flag` names it in errors): an LSN has a
// '/', anything else after '@' is an RFC 3339 timestamp (checked by the server).
struct ParentSpec {
  std::string branch;
  std::optional<consensus::Lsn> lsn;
  std::optional<std::string> timestamp;
};
Result<ParentSpec> parse_parent(const std::string& text, const std::string& flag = "--parent");

}  // namespace sk::skctl
