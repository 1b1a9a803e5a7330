// consensus-explore: exhaustive exploration of the consensus core within bounds.
//   consensus-explore [--proposers P] [--acceptors A] [--terms T] [--entries E]
//                     [--channels fifo|latest] [--channel-capacity C] [--duplicates]
//                     [--instant-replies] [--no-symmetry | --verify-symmetry]
//                     [--search bfs|dfs]
//                     [--configurations C1;C2;... | --change OLD>NEW [--change-guard G]]
//                     [--mutation NAME] [--expect-violation] [--max-states N] [--progress]
// Prints the distinct states, transitions and depth. Exit 0 when the exploration completed with
// no violation (with --expect-violation: when a violation was found; with --verify-symmetry: when
// the reduced run reached one state per renaming class of the full run), 1 otherwise, 2 for bad
// usage.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "safekeeper/cli/command_line.h"
#include "tests/model/explorer.h"
#include "tests/sim/mutation_flag.h"

namespace {

using sk::model::ExploreOptions;
using sk::model::ExploreResult;

// "1,2,3;1,2,3>1,2,4": one configuration per proposer, ';' between them, '>' from the old members
// to the new ones of a joint one. nullopt for anything else.
std::optional<std::vector<sk::consensus::Configuration>> parse_configurations(
    const std::string& text, std::size_t acceptors) {
  auto parse_set =
      [&](const std::string& list) -> std::optional<std::vector<sk::consensus::NodeId>> {
    std::vector<sk::consensus::NodeId> set;
    std::size_t pos = 0;
    while (pos <= list.size()) {
      const std::size_t comma = std::min(list.find(',', pos), list.size());
      const std::string item = list.substr(pos, comma - pos);
      char* end = nullptr;
      const unsigned long id = std::strtoul(item.c_str(), &end, 10);
      if (item.empty() || *end != '\0' || id == 0 || id > acceptors) {
        return std::nullopt;
      }
      set.push_back(sk::consensus::NodeId(id));
      pos = comma + 1;
    }
    return set;
  };
  std::vector<sk::consensus::Configuration> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t semicolon = std::min(text.find(';', pos), text.size());
    const std::string item = text.substr(pos, semicolon - pos);
    const std::size_t arrow = item.find('>');
    auto members = parse_set(item.substr(0, arrow));
    if (!members) {
      return std::nullopt;
    }
    sk::consensus::Configuration configuration = sk::consensus::Configuration::of(*members);
    if (arrow != std::string::npos) {
      auto next = parse_set(item.substr(arrow + 1));
      if (!next) {
        return std::nullopt;
      }
      auto joint = sk::consensus::start_change(configuration, *next);
      if (!joint) {
        return std::nullopt;
      }
      configuration = *joint;
    }
    out.push_back(std::move(configuration));
    pos = semicolon + 1;
  }
  return out;
}

void print_result(const ExploreOptions& options, const ExploreResult& result) {
  const auto mutation = sk::consensus::mutation_name(options.mutation);
  std::printf(
      "bounds %zu proposers / %zu acceptors / %llu terms / %llu entries, mutation %.*s: "
      "%llu distinct states%s, %llu transitions, depth %llu, %s, %.1f s\n",
      options.proposers, options.acceptors, static_cast<unsigned long long>(options.max_term),
      static_cast<unsigned long long>(options.max_entries), static_cast<int>(mutation.size()),
      mutation.data(), static_cast<unsigned long long>(result.distinct_states),
      options.symmetry ? " (up to renaming of nodes)" : "",
      static_cast<unsigned long long>(result.transitions),
      static_cast<unsigned long long>(result.depth),
      result.violation ? "VIOLATION"
                       : (result.complete ? "complete, 0 violations" : "INCOMPLETE (state limit)"),
      result.seconds);
  if (options.change) {
    const auto& change = *options.change;
    const sk::consensus::Configuration start{sk::consensus::Generation(1), change.old_members, {}};
    const auto joint = sk::consensus::start_change(start, change.new_members).value();
    std::printf("  membership change %s -> %s -> %s, %s\n", start.describe().c_str(),
                joint.describe().c_str(),
                sk::consensus::finish_change(joint).value().describe().c_str(),
                change.guard == ExploreOptions::MembershipChange::Guard::kWalAndTerm
                    ? "NEW takes over once a majority of it holds the WAL and the term"
                : change.guard == ExploreOptions::MembershipChange::Guard::kWal
                    ? "WEAKENED: NEW takes over once a majority of it holds the WAL"
                    : "UNGUARDED: NEW may take over at any moment");
  }
  for (std::size_t i = 0; i < options.configurations.size(); ++i) {
    std::printf("  proposers %zu mod %zu: configuration %s\n", i, options.configurations.size(),
                options.configurations[i].describe().c_str());
  }
  if (result.violation) {
    std::printf("VIOLATION %s: %s\npath (%zu lines):\n", result.violation->property.c_str(),
                result.violation->detail.c_str(), result.trace.size());
    for (const std::string& line : result.trace) {
      std::printf("  %s\n", line.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  sk::cli::CommandLine flags("consensus-explore", "[options]");
  flags.value("proposers", "P", "proposers (default 2)")
      .value("acceptors", "A", "acceptors (default 3)")
      .value("terms", "T", "the highest term explored")
      .value("entries", "E", "WAL entries each term may append (0 allowed)")
      .value("channels", "fifo|latest", "what a connection keeps in flight")
      .value("channel-capacity", "C", "messages in flight per connection")
      .toggle("duplicates", "also explore duplicate deliveries")
      .toggle("instant-replies", "deliver acceptors' replies within the same event")
      .toggle("no-symmetry", "no reduction by renaming nodes")
      .toggle("verify-symmetry", "check the reduction against a full run")
      .value("search", "bfs|dfs", "breadth-first (default) or depth-first")
      .value("configurations", "C1;C2",
             "each proposer's configuration in turn: ids '1,2,3', or joint '1,2,3>1,2,4'")
      .value("change", "OLD>NEW",
             "an operator moves the acceptors from OLD to NEW through a joint configuration")
      .value("change-guard", "G",
             "with --change, what the switch to NEW waits for: none, wal (the commit LSN) or "
             "wal-and-term (also the term; the default)")
      .value("mutation", "NAME", "a broken protocol variant")
      .toggle("expect-violation", "exit 0 only if a violation is found")
      .value("max-states", "N", "stop after N distinct states")
      .toggle("progress", "print progress lines");
  flags.parse(argc, argv);
  ExploreOptions options;
  options.proposers =
      static_cast<std::size_t>(flags.get_unsigned("proposers", true).value_or(options.proposers));
  options.acceptors =
      static_cast<std::size_t>(flags.get_unsigned("acceptors", true).value_or(options.acceptors));
  options.max_term = flags.get_unsigned("terms", true).value_or(options.max_term);
  options.max_entries = flags.get_unsigned("entries").value_or(options.max_entries);
  options.channel_capacity = static_cast<std::size_t>(
      flags.get_unsigned("channel-capacity", true).value_or(options.channel_capacity));
  options.max_states = flags.get_unsigned("max-states", true).value_or(options.max_states);
  if (auto model = flags.get("channels")) {
    if (*model != "fifo" && *model != "latest") {
      flags.usage_error("--channels takes fifo or latest");
    }
    options.channels =
        *model == "fifo" ? sk::model::ChannelModel::kFifo : sk::model::ChannelModel::kLatest;
  }
  if (auto mode = flags.get("search")) {
    if (*mode != "bfs" && *mode != "dfs") {
      flags.usage_error("--search takes bfs or dfs");
    }
    options.depth_first = *mode == "dfs";
  }
  options.mutation = sk::sim::mutation_flag(flags);
  options.duplicates = flags.has("duplicates");
  options.instant_replies = flags.has("instant-replies");
  options.symmetry = !flags.has("no-symmetry");
  options.progress = flags.has("progress");
  if (auto text = flags.get("configurations")) {
    auto configurations = parse_configurations(*text, options.acceptors);
    if (!configurations) {
      flags.usage_error("--configurations takes ids from 1 to --acceptors, as 1,2,3;1,2,3>1,2,4");
    }
    options.configurations = std::move(*configurations);
    options.symmetry = false;  // Acceptors and proposers are no longer interchangeable.
  }
  if (auto text = flags.get("change")) {
    auto configurations = parse_configurations(*text, options.acceptors);
    if (!configurations || configurations->size() != 1 || !(*configurations)[0].joint() ||
        !options.configurations.empty()) {
      flags.usage_error(
          "--change takes OLD>NEW, ids from 1 to --acceptors, as 1,2,3>1,2,4, "
          "and no --configurations");
    }
    using Guard = ExploreOptions::MembershipChange::Guard;
    Guard guard = Guard::kWalAndTerm;
    if (auto name = flags.get("change-guard")) {
      if (*name != "none" && *name != "wal" && *name != "wal-and-term") {
        flags.usage_error("--change-guard takes none, wal or wal-and-term");
      }
      guard = *name == "none" ? Guard::kNone : *name == "wal" ? Guard::kWal : Guard::kWalAndTerm;
    }
    options.change = ExploreOptions::MembershipChange{(*configurations)[0].members,
                                                      (*configurations)[0].new_members, guard};
    options.symmetry = false;
  }
  const bool expect_violation = flags.has("expect-violation");
  const bool verify_symmetry = flags.has("verify-symmetry");

  if (verify_symmetry) {
    if (expect_violation || options.mutation != sk::consensus::Mutation::kNone) {
      flags.usage_error("--verify-symmetry explores the correct protocol only");
    }
    if (!options.configurations.empty()) {
      flags.usage_error("--verify-symmetry does not apply to --configurations");
    }
    const sk::model::SymmetryCheck check = sk::model::verify_symmetry(options);
    ExploreOptions full = options;
    full.symmetry = false;
    print_result(full, check.full);
    std::printf("  renaming classes among them: %llu\n",
                static_cast<unsigned long long>(check.full.orbits));
    print_result(options, check.reduced);
    std::printf(check.holds()
                    ? "symmetry holds: one state per renaming class\n"
                    : "SYMMETRY BROKEN: the counts differ (a decision reads a node id?)\n");
    return check.holds() ? 0 : 1;
  }
  const ExploreResult result = sk::model::explore(options);
  print_result(options, result);
  if (expect_violation) {
    std::printf(result.violation ? "mutation caught\n" : "mutation NOT caught\n");
    return result.violation ? 0 : 1;
  }
  return result.violation || !result.complete ? 1 : 0;
}
