// skctl's command table and parser; see command_line.h.
#include "safekeeper/skctl/command_line.h"

#include <algorithm>
#include <set>

#include <boost/program_options.hpp>

namespace sk::skctl {
namespace po = boost::program_options;
namespace {

struct CommandSpec {
  std::string group;
  std::string verb;
  std::string operand;  // Its name in the usage text; empty: none.
  std::vector<std::string> required;
  std::vector<std::string> optional;
  std::string summary;
};

// Flags that take no value.
const std::set<std::string> kSwitches = {"--read-only"};

// Accepted by every command.
const std::set<std::string> kGlobalFlags = {"--safekeepers", "--tenant",         "--output",
                                            "--home",        "--snapshot-store", "--pg-bindir",
                                            "--walproposer", "--token-file",     "--tls-ca"};

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> table = {
      {"tenant",
       "create",
       "NAME",
       {},
       {"--tenant-id", "--history-retention"},
       "create a tenant (history retention: 7d unless given)"},
      {"tenant", "list", "", {}, {}, "list tenants"},
      {"tenant",
       "set",
       "",
       {"--history-retention"},
       {},
       "change the tenant's settings: how far back its history is kept"},
      {"branch",
       "create",
       "NAME",
       {},
       {"--parent", "--timeline-id", "--idempotency-key", "--protected", "--ttl", "--expires-at"},
       "create a branch; no --parent: a new root branch"},
      {"branch",
       "set",
       "NAME",
       {},
       {"--protected", "--ttl", "--expires-at"},
       "protect a branch (true|false) or set when it expires"},
      {"branch", "list", "", {}, {"--limit"}, "list branches"},
      {"branch", "get", "NAME", {}, {}, "show a branch"},
      {"branch",
       "schema-diff",
       "A B",
       {},
       {},
       "diff the schemas (pg_dump --schema-only) of two branches' servers on this machine"},
      {"branch", "delete", "NAME", {}, {}, "delete a branch without children"},
      {"branch", "reset", "NAME", {}, {}, "restart a branch at its parent's head"},
      {"branch",
       "restore",
       "NAME",
       {"--to"},
       {"--preserve-as"},
       "restore a branch in place to a point of its own or another branch's history"},
      {"snapshot",
       "create",
       "",
       {"--branch"},
       {"--port", "--host"},
       "base-back-up the branch's compute into the snapshot store"},
      {"snapshot", "list", "", {}, {}, "list snapshots"},
      {"snapshot",
       "delete",
       "ID",
       {},
       {},
       "unregister a snapshot no start would use; remove its files from the store"},
      {"snapshot",
       "follow",
       "",
       {"--branch", "--port", "--every"},
       {"--interval-ms"},
       "take a snapshot every SIZE of WAL (compute start runs it)"},
      {"compute",
       "start",
       "",
       {"--branch", "--pgdata", "--port"},
       {"--durability", "--read-only", "--snapshot-every"},
       "start a read-write PostgreSQL on a branch"},
      {"compute", "stop", "", {"--branch"}, {}, "stop a branch's compute"},
      {"replica",
       "start",
       "",
       {"--branch", "--pgdata", "--port"},
       {"--durability"},
       "start a read replica of a branch"},
      {"replica", "stop", "", {"--pgdata"}, {}, "stop a replica"},
      {"connection-string", "", "BRANCH", {}, {}, "print the libpq URI of a branch's compute"},
      {"safekeeper",
       "add",
       "HOST:PORT",
       {},
       {"--replacing", "--timeout"},
       "add the running safekeeper whose HTTP API is at HOST:PORT to every timeline"},
      {"safekeeper", "remove", "ID", {}, {"--timeout"}, "take safekeeper ID out of every timeline"},
      {"token",
       "keygen",
       "",
       {"--out"},
       {},
       "make an Ed25519 key pair: DIR/private.pem (0600) signs, DIR/public.pem is what "
       "safekeepers trust"},
      {"token",
       "issue",
       "",
       {"--scope", "--key"},
       {"--ttl", "--subject"},
       "print a token for tenant:ID, tenant:ID:read, admin or safekeeper (ttl 24h unless "
       "given)"},
  };
  return table;
}

}  // namespace

std::string usage() {
  std::string text =
      "usage: skctl [global flags] COMMAND [flags]\n"
      "\n"
      "commands:\n";
  for (const CommandSpec& c : commands()) {
    std::string line = "  " + c.group + (c.verb.empty() ? "" : " " + c.verb) +
                       (c.operand.empty() ? "" : " " + c.operand);
    for (const std::string& f : c.required) {
      line += " " + f + " " +
              (f == "--port"                     ? "P"
               : f == "--pgdata" || f == "--out" ? "DIR"
               : f == "--key"                    ? "FILE"
               : f == "--scope"                  ? "SCOPE"
               : f == "--history-retention"      ? "DURATION"
                                                 : "NAME");
    }
    for (const std::string& f : c.optional) {
      line += " [" + f + (kSwitches.contains(f) ? "]" : " X]");
    }
    line.resize(std::max<std::size_t>(line.size() + 1, 60), ' ');
    text += line + c.summary + "\n";
  }
  text +=
      "\n"
      "  --parent NAME[@LSN|@TIMESTAMP]  branch from NAME at an LSN (X/X), as of an RFC 3339\n"
      "                                  time, or at its head\n"
      "  --to NAME[@LSN|@TIMESTAMP]   branch restore: where the branch starts from now on; it\n"
      "                               keeps its name (--preserve-as KEPT keeps the old state)\n"
      "  --protected true|false       branch create/set: refuse delete and reset while true\n"
      "  --ttl DURATION               branch create/set: deleted that long from now (once it\n"
      "                               has no children); --expires-at RFC3339|never instead\n"
      "  --history-retention DURATION how far back the tenant's WAL is kept and branches may\n"
      "                               start: 90s, 15m, 24h, 7d, 1h30m (1h to 30d by default)\n"
      "  --read-only                  compute start: a read-only server at --branch\n"
      "                               NAME@LSN|@TIMESTAMP (time travel; no branch is made)\n"
      "  --snapshot-every SIZE        compute start: a snapshot every SIZE of WAL (1GB; 0: none)\n"
      "  --replacing ID               safekeeper add: take ID out in the same change (a lost\n"
      "                               node replaced: 3 nodes stay 3)\n"
      "  --timeout DURATION           safekeeper add/remove: how long each timeline may take to\n"
      "                               catch up (default 10m); run again to resume\n"
      "  --durability quorum|local    quorum (default): the safekeepers keep every commit,\n"
      "                               PostgreSQL runs with fsync and full_page_writes off;\n"
      "                               local: PostgreSQL's own defaults as well\n"
      "\n"
      "global flags:\n"
      "  --safekeepers HOST:PORT,...  the safekeepers' HTTP addresses, any or several\n"
      "                               (env SKCTL_SAFEKEEPERS; default 127.0.0.1:7676)\n"
      "  --tenant NAME|ID             (env SKCTL_TENANT; default: the only tenant)\n"
      "  --output table|json          (default table)\n"
      "  --home DIR                   the computes' state and logs (env SKCTL_HOME;\n"
      "                               default ~/.skctl)\n"
      "  --snapshot-store DIR         where snapshots are kept, best on XFS (reflink=1) or\n"
      "                               btrfs so that they clone (env SKCTL_SNAPSHOT_STORE;\n"
      "                               default HOME/snapshots)\n"
      "  --pg-bindir DIR              PostgreSQL 15's programs (default: pg_config --bindir)\n"
      "  --walproposer PATH           (default: next to skctl, then PATH)\n"
      "  --token-file FILE            the token sent to the safekeepers and given to the\n"
      "                               computes' walproposers (env SKCTL_TOKEN_FILE, or the\n"
      "                               token itself in SKCTL_TOKEN)\n"
      "  --tls-ca FILE                the CA of the safekeepers' certificates, for https://\n"
      "                               addresses in --safekeepers (env SKCTL_TLS_CA)\n"
      "  --version, --help\n"
      "\n"
      "exit status: 0 done; 1 refused or failed (one line on stderr says why); 2 bad usage;\n"
      "3 no safekeeper could be reached, or the cluster has no quorum.\n";
  return text;
}

namespace {

// Every flag of every command, for Boost.Program_options to split the words from the flags;
// which flags a command accepts is checked against its row of the table afterwards.
po::options_description all_flags() {
  std::set<std::string> names(kGlobalFlags.begin(), kGlobalFlags.end());
  for (const CommandSpec& c : commands()) {
    names.insert(c.required.begin(), c.required.end());
    names.insert(c.optional.begin(), c.optional.end());
  }
  po::options_description flags;
  flags.add_options()("help,h", "")("version", "")(
      "words", po::value<std::vector<std::string>>()->composing(), "");
  for (const std::string& name : names) {
    if (kSwitches.contains(name)) {
      flags.add_options()(name.substr(2).c_str(), "");
    } else {
      flags.add_options()(name.substr(2).c_str(), po::value<std::string>(), "");
    }
  }
  return flags;
}

}  // namespace

Result<ParsedCommandLine> parse_command_line(const std::vector<std::string>& args) {
  ParsedCommandLine parsed;
  po::positional_options_description words_at;
  words_at.add("words", -1);
  po::variables_map values;
  try {
    po::store(
        po::command_line_parser(args)
            .options(all_flags())
            .positional(words_at)
            .style(po::command_line_style::unix_style & ~po::command_line_style::allow_guessing)
            .run(),
        values);
  } catch (const po::error& e) {
    return Error(ErrorCode::kInvalidArgument, e.what());
  }
  std::vector<std::string> words;
  if (values.count("words") > 0) {
    words = values["words"].as<std::vector<std::string>>();
  }
  if (values.count("help") > 0 || (!words.empty() && words[0] == "help")) {
    parsed.help = true;
    return parsed;
  }
  if (values.count("version") > 0) {
    parsed.version = true;
    return parsed;
  }
  std::map<std::string, std::string> flags;
  for (const auto& [name, value] : values) {
    if (name != "words") {
      flags["--" + name] = kSwitches.contains("--" + name) ? "true" : value.as<std::string>();
    }
  }
  if (words.empty()) {
    return Error(ErrorCode::kInvalidArgument, "no command given");
  }
  const CommandSpec* spec = nullptr;
  for (const CommandSpec& c : commands()) {
    const bool verb_matches = c.verb.empty() || (words.size() > 1 && words[1] == c.verb);
    if (c.group == words[0] && verb_matches) {
      spec = &c;
      break;
    }
  }
  if (spec == nullptr) {
    const bool group_known = std::any_of(commands().begin(), commands().end(),
                                         [&](const CommandSpec& c) { return c.group == words[0]; });
    return Error(ErrorCode::kInvalidArgument,
                 group_known
                     ? (words.size() > 1 ? "unknown command \"" + words[0] + " " + words[1] + "\""
                                         : "\"" + words[0] + "\" needs a subcommand")
                     : "unknown command \"" + words[0] + "\"");
  }
  const std::size_t consumed = spec->verb.empty() ? 1 : 2;
  const std::size_t operands = words.size() - consumed;
  // The usage names each operand: "NAME", or "A B" for two.
  const std::size_t wanted =
      spec->operand.empty()
          ? 0U
          : static_cast<std::size_t>(std::count(spec->operand.begin(), spec->operand.end(), ' ')) +
                1U;
  if (operands != wanted) {
    const std::string command = spec->group + (spec->verb.empty() ? "" : " " + spec->verb);
    return Error(ErrorCode::kInvalidArgument,
                 wanted == 0   ? command + " takes no argument, got \"" + words[consumed] + "\""
                 : wanted == 1 ? command + " takes one argument, " + spec->operand
                               : command + " takes " + std::to_string(wanted) + " arguments, " +
                                     spec->operand);
  }
  for (const auto& [name, value] : flags) {
    const bool known =
        kGlobalFlags.contains(name) ||
        std::find(spec->required.begin(), spec->required.end(), name) != spec->required.end() ||
        std::find(spec->optional.begin(), spec->optional.end(), name) != spec->optional.end();
    if (!known) {
      return Error(ErrorCode::kInvalidArgument, "unknown option " + name + " for " + spec->group +
                                                    (spec->verb.empty() ? "" : " " + spec->verb));
    }
  }
  for (const std::string& name : spec->required) {
    if (!flags.contains(name)) {
      return Error(ErrorCode::kInvalidArgument, spec->group + " " + spec->verb + " needs " + name);
    }
  }
  if (flags.contains("--output") && flags["--output"] != "table" && flags["--output"] != "json") {
    return Error(ErrorCode::kInvalidArgument,
                 "--output must be table or json, not \"" + flags["--output"] + "\"");
  }
  std::vector<std::string> given(words.begin() + static_cast<std::ptrdiff_t>(consumed),
                                 words.end());
  parsed.invocation = {spec->group, spec->verb, operands ? words[consumed] : "", std::move(flags),
                       std::move(given)};
  return parsed;
}

Result<ParentSpec> parse_parent(const std::string& text, const std::string& flag) {
  ParentSpec spec;
  const auto at = text.find('@');
  spec.branch = text.substr(0, at);
  if (spec.branch.empty()) {
    return Error(ErrorCode::kInvalidArgument, flag + " \"" + text + "\" names no branch");
  }
  if (at == std::string::npos) {
    return spec;
  }
  const std::string point = text.substr(at + 1);
  if (point.find('/') != std::string::npos) {
    spec.lsn = consensus::Lsn::parse(point);
    if (!spec.lsn) {
      return Error(ErrorCode::kInvalidArgument, flag + ": \"" + point + "\" is not an LSN (X/X)");
    }
  } else if (point.empty()) {
    return Error(ErrorCode::kInvalidArgument, flag + " \"" + text + "\": nothing after '@'");
  } else {
    spec.timestamp = point;
  }
  return spec;
}

}  // namespace sk::skctl
