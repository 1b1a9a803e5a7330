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
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include <unistd.h>

#include "safekeeper/cli/command_line.h"
#include "tests/sim/mutation_flag.h"
#include "tests/sim/simulation.h"

namespace {

using sk::consensus::Mutation;

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

// "A..B" with A <= B.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_range(const std::string& text) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) {
    return std::nullopt;
  }
  char* end = nullptr;
  const std::uint64_t first = std::strtoull(text.c_str(), &end, 10);
  if (end != text.c_str() + dots || dots == 0) {
    return std::nullopt;
  }
  const std::string rest = text.substr(dots + 2);
  const std::uint64_t last = std::strtoull(rest.c_str(), &end, 10);
  if (rest.empty() || *end != '\0' || last < first) {
    return std::nullopt;
  }
  return std::pair(first, last);
}

}  // namespace

int main(int argc, char** argv) {
  sk::sim::SimOptions options;
  std::uint64_t first_seed = 1;
  std::uint64_t last_seed = 1;
  sk::cli::CommandLine flags("consensus-sim", "(--seed N | --seeds A..B) [options]");
  flags.value("seed", "N", "run one seed (also SK_SIM_SEED=N; default 1)")
      .value("seeds", "A..B", "run seeds A to B")
      .value("steps", "K", "events per seed")
      .value("acceptors", "3|5", "cluster size (default 3)")
      .value("mutation", "NAME", "a broken protocol variant (see --list-mutations)")
      .toggle("real-nodes",
              "run the node's code: Timeline over the in-memory stores, ProposerDriver")
      .toggle("expect-violation", "exit 0 only if some seed finds a violation")
      .toggle("keep-going", "run every seed, one line per violating seed")
      .toggle("trace", "print every event")
      .toggle("list-mutations", "print the mutations' names and exit");
  flags.parse(argc, argv);
  if (flags.has("list-mutations")) {
    for (const auto& info : sk::consensus::all_mutations()) {
      std::printf("%.*s\n", static_cast<int>(info.name.size()), info.name.data());
    }
    return 0;
  }
  // SK_SIM_SEED picks the seed when no --seed/--seeds is given (handy under ctest or a debugger).
  const char* env_seed = std::getenv("SK_SIM_SEED");
  const std::optional<std::string> seed_text =
      flags.get("seed")
          ? flags.get("seed")
          : (env_seed != nullptr ? std::optional<std::string>(env_seed) : std::nullopt);
  if (seed_text) {
    const auto range = parse_range(*seed_text + ".." + *seed_text);
    if (!range) {
      flags.usage_error("--seed (or SK_SIM_SEED) takes a number");
    }
    first_seed = last_seed = range->first;
  }
  if (auto text = flags.get("seeds")) {
    const auto range = parse_range(*text);
    if (!range) {
      flags.usage_error("--seeds takes A..B with A <= B");
    }
    std::tie(first_seed, last_seed) = *range;
  }
  options.steps = flags.get_unsigned("steps").value_or(options.steps);
  options.acceptors =
      static_cast<std::size_t>(flags.get_unsigned("acceptors").value_or(options.acceptors));
  if (options.acceptors != 3 && options.acceptors != 5) {
    flags.usage_error("--acceptors takes 3 or 5");
  }
  options.mutation = sk::sim::mutation_flag(flags);
  options.real_nodes = flags.has("real-nodes");
  options.print_trace = flags.has("trace");
  const bool expect_violation = flags.has("expect-violation");
  const bool keep_going = flags.has("keep-going");

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
