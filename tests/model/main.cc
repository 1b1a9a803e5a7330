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

#include "tests/model/explorer.h"

namespace {

using sk::model::ExploreOptions;
using sk::model::ExploreResult;

int usage(const std::string& message) {
  std::fprintf(
      stderr,
      "consensus-explore: %s\nusage: consensus-explore [--proposers P] [--acceptors A] "
      "[--terms T] [--entries E] [--channels fifo|latest] [--channel-capacity C] [--duplicates] "
      "[--instant-replies] [--no-symmetry | --verify-symmetry] "
      "[--search bfs|dfs] [--mutation NAME] [--expect-violation] [--max-states N] "
      "[--progress]\n",
      message.c_str());
  return 2;
}

bool parse_u64(const char* text, std::uint64_t& value) {
  if (text == nullptr || *text == '\0') {
    return false;
  }
  char* end = nullptr;
  value = std::strtoull(text, &end, 10);
  return *end == '\0';
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
  ExploreOptions options;
  bool expect_violation = false;
  bool verify_symmetry = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    std::uint64_t number = 0;
    if (arg == "--expect-violation") {
      expect_violation = true;
    } else if (arg == "--search") {
      std::string_view mode = value ? value : "";
      if (mode != "bfs" && mode != "dfs") {
        return usage("--search takes bfs or dfs");
      }
      options.depth_first = mode == "dfs";
      ++i;
    } else if (arg == "--channels") {
      std::string_view model = value ? value : "";
      if (model != "fifo" && model != "latest") {
        return usage("--channels takes fifo or latest");
      }
      options.channels =
          model == "fifo" ? sk::model::ChannelModel::kFifo : sk::model::ChannelModel::kLatest;
      ++i;
    } else if (arg == "--instant-replies") {
      options.instant_replies = true;
    } else if (arg == "--no-symmetry") {
      options.symmetry = false;
    } else if (arg == "--verify-symmetry") {
      verify_symmetry = true;
    } else if (arg == "--duplicates") {
      options.duplicates = true;
    } else if (arg == "--progress") {
      options.progress = true;
    } else if (arg == "--mutation") {
      auto mutation = value ? sk::consensus::mutation_from_name(value) : std::nullopt;
      if (!mutation) {
        return usage("unknown mutation");
      }
      options.mutation = *mutation;
      ++i;
    } else if (arg == "--proposers" || arg == "--acceptors" || arg == "--terms" ||
               arg == "--entries" || arg == "--max-states" || arg == "--channel-capacity") {
      if (!parse_u64(value, number) || (number == 0 && arg != "--entries")) {
        return usage(std::string(arg) + " takes a positive number");
      }
      ++i;
      if (arg == "--proposers") {
        options.proposers = number;
      } else if (arg == "--acceptors") {
        options.acceptors = number;
      } else if (arg == "--terms") {
        options.max_term = number;
      } else if (arg == "--entries") {
        options.max_entries = number;
      } else if (arg == "--channel-capacity") {
        options.channel_capacity = number;
      } else {
        options.max_states = number;
      }
    } else {
      return usage("unknown argument " + std::string(arg));
    }
  }

  if (verify_symmetry) {
    if (expect_violation || options.mutation != sk::consensus::Mutation::kNone) {
      return usage("--verify-symmetry explores the correct protocol only");
    }
    const sk::model::SymmetryCheck check = sk::model::verify_symmetry(options);
    ExploreOptions full = options;
    full.symmetry = false;
    print_result(full, check.full);
    std::printf("  renaming classes among them: %llu\n",
                static_cast<unsigned long long>(check.full.orbits));
    print_result(options, check.reduced);
    std::printf(check.holds() ? "symmetry holds: one state per renaming class\n"
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
