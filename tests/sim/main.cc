// consensus-sim: runs the deterministic simulation for one seed or a range of seeds.
//   consensus-sim --seed N | --seeds A..B  [--steps K] [--acceptors 3|5] [--mutation NAME]
//                 [--real-nodes] [--expect-violation] [--trace] [--list-mutations]
// --real-nodes runs the node's code (Timeline over the in-memory stores, ProposerDriver) instead
// of the bare state machines; see simulation.h.
// --keep-going runs every seed even after a violation, printing one line per violating seed
// (to measure how often a mutation is caught). SK_SIM_SEED=N is the same as --seed N.
// Exit status: 0 when every seed passed (with --expect-violation: when some seed found a
// violation), 1 otherwise, 2 for bad usage. On a violation it prints the seed, the step, the
// property broken, the last trace lines and the command that replays it.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <unistd.h>

#include "tests/sim/simulation.h"

namespace {

using sk::consensus::Mutation;

int usage(const char* message) {
  std::fprintf(stderr,
               "consensus-sim: %s\nusage: consensus-sim (--seed N | --seeds A..B) [--steps K] "
               "[--acceptors 3|5] [--mutation NAME] [--real-nodes] [--expect-violation] "
               "[--keep-going] [--trace] "
               "[--list-mutations]\n",
               message);
  return 2;
}

// The seed being run, for the report of a failed SK_CHECK (which aborts).
volatile std::sig_atomic_t current_seed = 0;

extern "C" void report_seed_on_abort(int) {
  // Only async-signal-safe calls: format the number by hand, write(2).
  char text[64] = "consensus-sim: aborted while running seed ";
  std::size_t length = 42;
  char digits[24];
  std::size_t count = 0;
  auto seed = static_cast<unsigned long long>(current_seed);
  do {
    digits[count++] = static_cast<char>('0' + seed % 10);
    seed /= 10;
  } while (seed != 0);
  while (count > 0) {
    text[length++] = digits[--count];
  }
  text[length++] = '\n';
  (void)!::write(STDERR_FILENO, text, length);
  std::signal(SIGABRT, SIG_DFL);
  std::raise(SIGABRT);
}

bool parse_u64(std::string_view text, std::uint64_t& value) {
  if (text.empty()) {
    return false;
  }
  char* end = nullptr;
  std::string copy(text);
  value = std::strtoull(copy.c_str(), &end, 10);
  return end == copy.c_str() + copy.size();
}

}  // namespace

int main(int argc, char** argv) {
  sk::sim::SimOptions options;
  std::uint64_t first_seed = 1;
  std::uint64_t last_seed = 1;
  bool expect_violation = false;
  bool keep_going = false;
  // SK_SIM_SEED picks the seed when no --seed/--seeds is given (handy under ctest or a debugger).
  if (const char* env_seed = std::getenv("SK_SIM_SEED"); env_seed != nullptr) {
    if (!parse_u64(env_seed, first_seed)) {
      return usage("SK_SIM_SEED must be a number");
    }
    last_seed = first_seed;
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto next = [&]() -> std::string_view { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--seed") {
      if (!parse_u64(next(), first_seed)) {
        return usage("--seed takes a number");
      }
      last_seed = first_seed;
    } else if (arg == "--seeds") {
      std::string_view range = next();
      auto dots = range.find("..");
      if (dots == std::string_view::npos || !parse_u64(range.substr(0, dots), first_seed) ||
          !parse_u64(range.substr(dots + 2), last_seed) || last_seed < first_seed) {
        return usage("--seeds takes A..B with A <= B");
      }
    } else if (arg == "--steps") {
      if (!parse_u64(next(), options.steps)) {
        return usage("--steps takes a number");
      }
    } else if (arg == "--acceptors") {
      std::uint64_t n = 0;
      if (!parse_u64(next(), n) || (n != 3 && n != 5)) {
        return usage("--acceptors takes 3 or 5");
      }
      options.acceptors = n;
    } else if (arg == "--mutation") {
      std::string_view name = next();
      auto mutation = sk::consensus::mutation_from_name(name);
      if (!mutation) {
        return usage("unknown mutation (see --list-mutations)");
      }
      options.mutation = *mutation;
    } else if (arg == "--real-nodes") {
      options.real_nodes = true;
    } else if (arg == "--expect-violation") {
      expect_violation = true;
    } else if (arg == "--keep-going") {
      keep_going = true;
    } else if (arg == "--trace") {
      options.print_trace = true;
    } else if (arg == "--list-mutations") {
      for (const auto& info : sk::consensus::all_mutations()) {
        std::printf("%.*s\n", static_cast<int>(info.name.size()), info.name.data());
      }
      return 0;
    } else {
      return usage(("unknown argument " + std::string(arg)).c_str());
    }
  }

  std::signal(SIGABRT, report_seed_on_abort);
  const auto started = std::chrono::steady_clock::now();
  std::uint64_t seeds_run = 0;
  std::uint64_t violations = 0;
  sk::sim::SimStats totals;
  for (std::uint64_t seed = first_seed; seed <= last_seed; ++seed) {
    options.seed = seed;
    current_seed = static_cast<std::sig_atomic_t>(seed);
    sk::sim::SimResult result = sk::sim::run_simulation(options);
    ++seeds_run;
    totals.events += result.stats.events;
    totals.messages_delivered += result.stats.messages_delivered;
    totals.elections += result.stats.elections;
    totals.acceptor_crashes += result.stats.acceptor_crashes;
    totals.fenced += result.stats.fenced;
    totals.committed_bytes += result.stats.committed_bytes;
    totals.timeline_stops += result.stats.timeline_stops;
    totals.batches += result.stats.batches;
    if (!result.violation) {
      continue;
    }
    ++violations;
    if (keep_going) {
      std::printf("VIOLATION seed %llu step %llu property %s\n",
                  static_cast<unsigned long long>(seed),
                  static_cast<unsigned long long>(result.step), result.violation->property.c_str());
      continue;
    }
    std::printf("VIOLATION seed %llu step %llu property %s\n  %s\n  trace (last %zu lines):\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(result.step),
                result.violation->property.c_str(), result.violation->detail.c_str(),
                result.trace_tail.size());
    for (const std::string& line : result.trace_tail) {
      std::printf("    %s\n", line.c_str());
    }
    std::string mutation =
        options.mutation == Mutation::kNone
            ? ""
            : " --mutation " + std::string(sk::consensus::mutation_name(options.mutation));
    std::printf("  replay: %s --seed %llu --steps %llu --acceptors %zu%s%s --trace\n", argv[0],
                static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(options.steps), options.acceptors, mutation.c_str(),
                options.real_nodes ? " --real-nodes" : "");
    break;  // The first violation is the one to look at.
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "%llu seeds x %llu steps, %zu acceptors%s, mutation %.*s: %llu violations in %.1f s "
      "(%llu events, %llu messages, %llu elections, %llu fenced, %llu acceptor crashes, "
      "%llu bytes committed",
      static_cast<unsigned long long>(seeds_run), static_cast<unsigned long long>(options.steps),
      options.acceptors, options.real_nodes ? " (real nodes)" : "",
      static_cast<int>(sk::consensus::mutation_name(options.mutation).size()),
      sk::consensus::mutation_name(options.mutation).data(),
      static_cast<unsigned long long>(violations), seconds,
      static_cast<unsigned long long>(totals.events),
      static_cast<unsigned long long>(totals.messages_delivered),
      static_cast<unsigned long long>(totals.elections),
      static_cast<unsigned long long>(totals.fenced),
      static_cast<unsigned long long>(totals.acceptor_crashes),
      static_cast<unsigned long long>(totals.committed_bytes));
  if (options.real_nodes) {
    std::printf(", %llu timeline stops, %llu group commits",
                static_cast<unsigned long long>(totals.timeline_stops),
                static_cast<unsigned long long>(totals.batches));
  }
  std::printf(")\n");
  if (expect_violation) {
    std::printf(violations > 0 ? "mutation caught\n" : "mutation NOT caught\n");
    return violations > 0 ? 0 : 1;
  }
  return violations == 0 ? 0 : 1;
}
