// consensus-explore: exhaustive exploration of the consensus core within bounds.
//   consensus-explore [--proposers P] [--acceptors A] [--terms T] [--entries E]
//                     [--channels fifo|latest] [--channel-capacity C] [--duplicates]
//                     [--instant-replies] [--no-symmetry | --verify-symmetry]
//                     [--search bfs|dfs]
//                     [--mutation NAME] [--expect-violation] [--max-states N] [--progress]
// Prints the distinct states, transitions and depth. Exit 0 when the exploration completed with
// no violation (with --expect-violation: when a violation was found; with --verify-symmetry: when
// the reduced run reached one state per renaming class of the full run), 1 otherwise, 2 for bad
// usage.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "safekeeper/cli/command_line.h"
#include "tests/model/explorer.h"
#include "tests/sim/mutation_flag.h"

namespace {

using sk::model::ExploreOptions;
using sk::model::ExploreResult;

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
  const bool expect_violation = flags.has("expect-violation");
  const bool verify_symmetry = flags.has("verify-symmetry");

  if (verify_symmetry) {
    if (expect_violation || options.mutation != sk::consensus::Mutation::kNone) {
      flags.usage_error("--verify-symmetry explores the correct protocol only");
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
