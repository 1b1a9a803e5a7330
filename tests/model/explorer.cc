// Breadth-first exploration over Cluster states; see explorer.h.
#include "tests/model/explorer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <numeric>
#include <unordered_set>

#include "consensus/state_digest.h"
#include "tests/model/digest_set.h"
#include "tests/sim/cluster.h"

namespace sk::model {
namespace {

using namespace sk::consensus;
using sim::Cluster;
using sim::Envelope;

constexpr std::uint64_t kFirstProposerId = 101;

// A message in flight with a hash of its content (for equality and the digest). The hash names
// no node: the connection a message is on says who sent it to whom.
struct Keyed {
  std::uint64_t key;
  Envelope envelope;
};

// One direction of one connection: FIFO, as TCP is. A vector, not a deque: it holds one or two
// messages and is copied on every transition.
struct Channel {
  consensus::NodeId from;
  consensus::NodeId to;
  std::vector<Keyed> queue;
};

void put_u64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

void put_history(std::string& out, const TermHistory& history) {
  put_u64(out, history.size());
  for (const TermSwitch& entry : history.entries()) {
    put_u64(out, entry.term.value());
    put_u64(out, entry.lsn.value());
  }
}

void put_bytes(std::string& out, const std::vector<std::uint8_t>& bytes) {
  put_u64(out, bytes.size());
  out.append(bytes.begin(), bytes.end());
}

std::uint64_t content_key(const Envelope& envelope) {
  std::string out;
  put_u64(out, envelope.message.index());
  std::visit(
      [&out](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        // A greeting's node id is its sender's, which the connection already names.
        if constexpr (std::is_same_v<T, ProposerGreeting>) {
        } else if constexpr (std::is_same_v<T, AcceptorGreeting>) {
          put_u64(out, m.term.value());
        } else if constexpr (std::is_same_v<T, VoteRequest>) {
          put_u64(out, m.term.value());
        } else if constexpr (std::is_same_v<T, VoteResponse>) {
          put_u64(out, m.term.value());
          put_u64(out, m.vote_given);
          put_u64(out, m.flush_lsn.value());
          put_u64(out, m.truncate_lsn.value());
          put_history(out, m.history);
        } else if constexpr (std::is_same_v<T, ProposerElected>) {
          put_u64(out, m.term.value());
          put_u64(out, m.start_streaming_at.value());
          put_history(out, m.history);
        } else if constexpr (std::is_same_v<T, AppendRequest>) {
          put_u64(out, m.term.value());
          put_u64(out, m.begin_lsn.value());
          put_u64(out, m.end_lsn.value());
          put_u64(out, m.commit_lsn.value());
          put_u64(out, m.truncate_lsn.value());
          put_bytes(out, m.wal);
        } else if constexpr (std::is_same_v<T, AppendResponse>) {
          put_u64(out, m.term.value());
          put_u64(out, static_cast<std::uint64_t>(m.status));
          put_u64(out, m.flush_lsn.value());
          put_u64(out, m.commit_lsn.value());
        } else if constexpr (std::is_same_v<T, ReadWalRequest>) {
          put_u64(out, m.term.value());
          put_u64(out, m.begin_lsn.value());
          put_u64(out, m.end_lsn.value());
        } else if constexpr (std::is_same_v<T, ReadWalResponse>) {
          put_u64(out, m.term.value());
          put_u64(out, m.begin_lsn.value());
          put_u64(out, m.end_lsn.value());
          put_bytes(out, m.wal);
        }
      },
      envelope.message);
  return std::hash<std::string>{}(out);
}

ProposerConfig proposer_config(std::size_t index, const ExploreOptions& options);

enum class EventKind : std::uint8_t {
  kDeliver,    // The head of a channel arrives.
  kDuplicate,  // The head arrives and stays queued: it will arrive again.
  kDrop,       // The head is lost.
  kTimeout,
  kPropose,
  kCrashRestart,
  kRestartProposer,  // A fenced or superseded proposer is restarted, as its driver would.
  // Operator events of a membership change (ExploreOptions::change).
  kSwitchToJoint,  // Acceptor `index` takes J2.
  kSyncPoint,      // The operator records P.
  kSwitchToNew,    // Acceptor `index` takes C3.
};

struct Event {
  EventKind kind;
  std::uint32_t index;  // Into the channels, the proposers or the acceptors.
};

struct State {
  Cluster cluster;
  // Channels ordered by (from, to); only non-empty ones are kept.
  std::vector<Channel> channels;
  std::uint64_t entries = 0;
  std::uint32_t id = 0;
  std::uint32_t depth = 0;
  // The membership change's operator: P once recorded, and which of J2 (1) and C3 (2) some
  // acceptor has taken.
  std::optional<consensus::Lsn> sync_point{};
  consensus::Term sync_term{};
  std::uint8_t in_play = 0;
};

// The configurations of ExploreOptions::change: C1, J2, C3.
struct ChangeConfigurations {
  consensus::Configuration start;
  consensus::Configuration joint;
  consensus::Configuration end;
};
ChangeConfigurations change_configurations(const ExploreOptions::MembershipChange& change) {
  consensus::Configuration start{consensus::Generation(1), change.old_members, {}};
  consensus::Configuration joint = consensus::start_change(start, change.new_members).value();
  consensus::Configuration end = consensus::finish_change(joint).value();
  return {std::move(start), std::move(joint), std::move(end)};
}

consensus::Generation generation_of(const State& state, std::size_t acceptor) {
  const consensus::Acceptor* live = state.cluster.live_acceptor(acceptor);
  return live != nullptr ? live->state().configuration.generation : consensus::Generation(0);
}

bool in_set(const std::vector<NodeId>& set, NodeId id) {
  return std::find(set.begin(), set.end(), id) != set.end();
}

// True when the acceptors of `set` for which `holds` is true are a majority of it.
template <typename Holds>
bool majority_of(const State& state, const std::vector<NodeId>& set, Holds holds) {
  std::size_t count = 0;
  for (std::size_t a = 0; a < state.cluster.acceptor_count(); ++a) {
    if (in_set(set, state.cluster.acceptor_ids()[a]) && holds(a)) {
      ++count;
    }
  }
  return 2 * count > set.size();
}

// The sync point may be recorded: a majority of the old members are at J2 or above.
bool may_record_sync_point(const State& state, const ExploreOptions::MembershipChange& change) {
  return !state.sync_point && majority_of(state, change.old_members, [&](std::size_t a) {
    return generation_of(state, a) >= consensus::Generation(2);
  });
}

// C3 may be switched to: a majority of the new members report a commit LSN at or above P and
// a term at or above T. The term matters as much as the WAL: a quorum of C3 need not meet any
// quorum of C1, so without it a proposer of C3 could win a term a proposer of C1 won.
bool may_finish(const State& state, const ExploreOptions::MembershipChange& change) {
  using Guard = ExploreOptions::MembershipChange::Guard;
  if (change.guard == Guard::kNone) {
    return true;
  }
  return state.sync_point && majority_of(state, change.new_members, [&](std::size_t a) {
           const consensus::Acceptor* live = state.cluster.live_acceptor(a);
           return live != nullptr && live->commit_lsn() >= *state.sync_point &&
                  (change.guard == Guard::kWal || live->term() >= state.sync_term);
         });
}

// The checker's configurations: C1, and each of J2 and C3 once an acceptor has taken it.
void update_configurations_in_play(State& state, const ExploreOptions& options) {
  const ChangeConfigurations configurations = change_configurations(*options.change);
  std::vector<consensus::Configuration> in_play = {configurations.start};
  if ((state.in_play & 1) != 0) {
    in_play.push_back(configurations.joint);
  }
  if ((state.in_play & 2) != 0) {
    in_play.push_back(configurations.end);
  }
  state.cluster.set_configurations(std::move(in_play));
}

void add_messages(State& state, std::vector<Envelope> envelopes, const ExploreOptions& options) {
  for (Envelope& envelope : envelopes) {
    auto at = std::lower_bound(
        state.channels.begin(), state.channels.end(), std::pair(envelope.from, envelope.to),
        [](const Channel& c, const auto& key) { return std::pair(c.from, c.to) < key; });
    if (at == state.channels.end() || at->from != envelope.from || at->to != envelope.to) {
      at = state.channels.insert(at, Channel{envelope.from, envelope.to, {}});
    }
    Keyed keyed{content_key(envelope), std::move(envelope)};
    // A resend of a message still queued adds nothing (a duplicate delivery covers it); a full
    // channel loses what is sent (as a connection that gives up would).
    const bool queued = std::any_of(at->queue.begin(), at->queue.end(),
                                    [&](const Keyed& k) { return k.key == keyed.key; });
    if (queued) {
      continue;
    }
    if (options.channels == ChannelModel::kLatest) {
      at->queue.clear();
    } else if (at->queue.size() >= options.channel_capacity) {
      continue;
    }
    at->queue.push_back(std::move(keyed));
  }
}

void pop_head(State& state, std::uint32_t channel) {
  std::vector<Keyed>& queue = state.channels[channel].queue;
  queue.erase(queue.begin());
  if (state.channels[channel].queue.empty()) {
    state.channels.erase(state.channels.begin() + channel);
  }
}

std::uint64_t channel_digest(const Channel& channel) {
  StateDigest digest;
  for (const Keyed& keyed : channel.queue) {
    digest.mix(keyed.key);
  }
  digest.mix(channel.queue.size());
  return digest.value();
}

// The digest of `state` up to a renaming of acceptors and of proposers. The protocol treats
// acceptors alike and proposers alike (no decision reads a node id: see become_elected), so two
// states that differ only in which node is which have the same futures, renamed, and the same
// verdicts. Each acceptor becomes a signature of its own state, the sessions the proposers hold
// for it and its connections, listing proposers in a given order; sorted, the signatures do not
// depend on which acceptor is which. Minimising over every order of the proposers removes their
// names too. Two states get one digest exactly when one is a renaming of the other.
std::uint64_t symmetric_digest(const State& state) {
  const Cluster& cluster = state.cluster;
  const std::size_t proposers = cluster.proposer_count();
  const std::size_t acceptors = cluster.acceptor_count();
  const std::vector<NodeId> acceptor_ids = cluster.acceptor_ids();
  // Per (proposer, acceptor): the session and both directions of their connection.
  std::vector<std::uint64_t> pair_digests(proposers * acceptors);
  for (std::size_t p = 0; p < proposers; ++p) {
    const NodeId proposer_id = cluster.proposer(p).id();
    for (std::size_t a = 0; a < acceptors; ++a) {
      StateDigest digest;
      digest.mix(cluster.session_digest(p, a));
      for (const auto& [from, to] :
           {std::pair(proposer_id, acceptor_ids[a]), std::pair(acceptor_ids[a], proposer_id)}) {
        auto at = std::lower_bound(
            state.channels.begin(), state.channels.end(), std::pair(from, to),
            [](const Channel& c, const auto& key) { return std::pair(c.from, c.to) < key; });
        const bool open = at != state.channels.end() && at->from == from && at->to == to;
        digest.mix(open ? channel_digest(*at) : 0);
      }
      pair_digests[p * acceptors + a] = digest.value();
    }
  }
  std::vector<std::uint64_t> acceptor_digests(acceptors);
  for (std::size_t a = 0; a < acceptors; ++a) {
    acceptor_digests[a] = cluster.acceptor_digest(a);
  }
  std::vector<std::size_t> order(proposers);
  std::iota(order.begin(), order.end(), 0);
  std::uint64_t best = ~std::uint64_t{0};
  std::vector<std::uint64_t> signatures(acceptors);
  do {
    for (std::size_t a = 0; a < acceptors; ++a) {
      StateDigest signature;
      signature.mix(acceptor_digests[a]);
      for (std::size_t p : order) {
        signature.mix(pair_digests[p * acceptors + a]);
      }
      signatures[a] = signature.value();
    }
    std::sort(signatures.begin(), signatures.end());
    StateDigest digest;
    for (std::uint64_t signature : signatures) {
      digest.mix(signature);
    }
    for (std::size_t p : order) {
      digest.mix(cluster.proposer_digest(p));
    }
    digest.mix(cluster.checker_digest(order));
    digest.mix(state.entries);
    best = std::min(best, digest.value());
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

std::uint64_t digest(const State& state, const ExploreOptions& options) {
  if (options.symmetry && options.configurations.empty() && !options.change) {
    return symmetric_digest(state);
  }
  StateDigest digest;
  auto mix = [&digest](std::uint64_t value) { digest.mix(value); };
  mix(state.cluster.digest());
  mix(state.entries);
  mix(state.sync_point ? state.sync_point->value() + 1 : 0);
  mix(state.sync_term.value());
  mix(state.in_play);
  for (const Channel& channel : state.channels) {
    mix(channel.from.value());
    mix(channel.to.value());
    for (const Keyed& keyed : channel.queue) {
      mix(keyed.key);
    }
    mix(0x5eed);
  }
  return digest.value();
}

std::vector<Event> enabled_events(const State& state, const ExploreOptions& options) {
  std::vector<Event> events;
  for (std::uint32_t i = 0; i < state.channels.size(); ++i) {
    if (options.channels == ChannelModel::kLatest) {
      events.push_back({EventKind::kDuplicate, i});
      continue;
    }
    events.push_back({EventKind::kDeliver, i});
    if (options.duplicates) {
      events.push_back({EventKind::kDuplicate, i});
    }
    events.push_back({EventKind::kDrop, i});
  }
  for (std::uint32_t p = 0; p < state.cluster.proposer_count(); ++p) {
    events.push_back({EventKind::kTimeout, p});
    if (state.entries < options.max_entries &&
        state.cluster.proposer(p).phase() == ProposerPhase::kElected) {
      events.push_back({EventKind::kPropose, p});
    }
  }
  for (std::uint32_t p = 0; p < state.cluster.proposer_count(); ++p) {
    // Without a change a superseded proposer would restart with the configuration it has and
    // be superseded again: nothing is explored by it.
    const ProposerPhase phase = state.cluster.proposer(p).phase();
    if (phase == ProposerPhase::kFenced ||
        (phase == ProposerPhase::kSuperseded && options.change)) {
      events.push_back({EventKind::kRestartProposer, p});
    }
  }
  if (options.change) {
    const ExploreOptions::MembershipChange& change = *options.change;
    const bool finishing = may_finish(state, change);
    for (std::uint32_t a = 0; a < state.cluster.acceptor_count(); ++a) {
      const NodeId id = state.cluster.acceptor_ids()[a];
      if (!in_set(change.old_members, id) && !in_set(change.new_members, id)) {
        continue;
      }
      const consensus::Generation generation = generation_of(state, a);
      if (generation < consensus::Generation(2)) {
        events.push_back({EventKind::kSwitchToJoint, a});
      }
      if (finishing && generation < consensus::Generation(3)) {
        events.push_back({EventKind::kSwitchToNew, a});
      }
    }
    if (change.guard != ExploreOptions::MembershipChange::Guard::kNone &&
        may_record_sync_point(state, change)) {
      events.push_back({EventKind::kSyncPoint, 0});
    }
  }
  // A correct acceptor has nothing unsynced between events, so a crash changes nothing but the
  // connections, which message loss covers already; where a mutation leaves WAL unsynced, the
  // crash that loses it is explored.
  for (std::uint32_t a = 0; a < state.cluster.acceptor_count(); ++a) {
    if (state.cluster.acceptor_has_unsynced_wal(a)) {
      events.push_back({EventKind::kCrashRestart, a});
    }
  }
  return events;
}

std::string event_name(const Event& event, const State& before) {
  switch (event.kind) {
    case EventKind::kDeliver:
      return "deliver " + sim::describe(before.channels[event.index].queue.front().envelope);
    case EventKind::kDuplicate:
      return "deliver, keep a duplicate: " +
             sim::describe(before.channels[event.index].queue.front().envelope);
    case EventKind::kDrop:
      return "drop " + sim::describe(before.channels[event.index].queue.front().envelope);
    case EventKind::kTimeout:
      return "timeout at proposer " +
             std::to_string(before.cluster.proposer(event.index).id().value());
    case EventKind::kPropose:
      return "proposer " + std::to_string(before.cluster.proposer(event.index).id().value()) +
             " appends an entry";
    case EventKind::kCrashRestart:
      return "crash-restart acceptor " + std::to_string(event.index + 1);
    case EventKind::kRestartProposer:
      return "restart proposer " +
             std::to_string(before.cluster.proposer(event.index).id().value());
    case EventKind::kSwitchToJoint:
      return "operator: acceptor " + std::to_string(event.index + 1) +
             " to the joint configuration";
    case EventKind::kSyncPoint:
      return "operator: records the sync point";
    case EventKind::kSwitchToNew:
      return "operator: acceptor " + std::to_string(event.index + 1) + " to the new configuration";
  }
  return "?";
}

// Delivers one message; with instant replies, what an acceptor answers is delivered to the
// proposer at once, and only the proposer's reaction is queued.
std::vector<Envelope> deliver(State& state, const Envelope& envelope,
                              const ExploreOptions& options) {
  std::vector<Envelope> out = state.cluster.deliver(envelope);
  if (!options.instant_replies || envelope.to.value() >= kFirstProposerId) {
    return out;
  }
  std::vector<Envelope> reactions;
  for (const Envelope& reply : out) {
    for (Envelope& reaction : state.cluster.deliver(reply)) {
      reactions.push_back(std::move(reaction));
    }
  }
  return reactions;
}

void apply(State& state, const Event& event, const ExploreOptions& options) {
  switch (event.kind) {
    case EventKind::kDeliver: {
      const Envelope envelope = state.channels[event.index].queue.front().envelope;
      pop_head(state, event.index);
      add_messages(state, deliver(state, envelope, options), options);
      break;
    }
    case EventKind::kDuplicate: {
      const Envelope envelope = state.channels[event.index].queue.front().envelope;
      add_messages(state, deliver(state, envelope, options), options);
      break;
    }
    case EventKind::kDrop:
      pop_head(state, event.index);
      break;
    case EventKind::kTimeout:
      add_messages(state, state.cluster.tick(event.index), options);
      break;
    case EventKind::kPropose:
      add_messages(state, state.cluster.propose(event.index, 1), options);
      ++state.entries;
      break;
    case EventKind::kCrashRestart:
      add_messages(state, state.cluster.crash_acceptor(event.index), options);
      state.cluster.restart_acceptor(event.index);
      break;
    case EventKind::kRestartProposer: {
      ProposerConfig config = proposer_config(event.index, options);
      const Proposer& stopped = state.cluster.proposer(event.index);
      if (options.change) {
        config.configuration = stopped.newer_configuration().value_or(stopped.configuration());
      }
      add_messages(state, state.cluster.restart_proposer(event.index, std::move(config)), options);
      break;
    }
    case EventKind::kSwitchToJoint:
    case EventKind::kSwitchToNew: {
      const ChangeConfigurations configurations = change_configurations(*options.change);
      const bool joint = event.kind == EventKind::kSwitchToJoint;
      state.cluster.set_acceptor_configuration(event.index,
                                               joint ? configurations.joint : configurations.end);
      state.in_play |= joint ? 1 : 2;
      update_configurations_in_play(state, options);
      break;
    }
    case EventKind::kSyncPoint: {
      Lsn highest;
      Term highest_term;
      for (std::size_t a = 0; a < state.cluster.acceptor_count(); ++a) {
        const consensus::Acceptor* live = state.cluster.live_acceptor(a);
        if (live != nullptr && in_set(options.change->old_members, live->node_id()) &&
            generation_of(state, a) >= consensus::Generation(2)) {
          highest = std::max(highest, live->flush_lsn());
          highest_term = std::max(highest_term, live->term());
        }
      }
      state.sync_point = highest;
      state.sync_term = highest_term;
      break;
    }
  }
  state.cluster.check();
}

ProposerConfig proposer_config(std::size_t index, const ExploreOptions& options) {
  ProposerConfig config;
  config.proposer_id = NodeId(kFirstProposerId + index);
  // Every timeout fires on the next tick; silence never disconnects (crash-restart does).
  config.election_timeout_ticks = 1;
  config.election_jitter_ticks = 0;
  config.resend_ticks = 1;
  config.heartbeat_ticks = 1;
  config.peer_timeout_ticks = 0;
  config.max_term = Term(options.max_term);
  if (!options.configurations.empty()) {
    config.configuration = options.configurations[index % options.configurations.size()];
  }
  if (options.change) {
    config.configuration = change_configurations(*options.change).start;
  }
  return config;
}

State initial_state(const ExploreOptions& options) {
  State state{Cluster(options.acceptors, options.mutation), {}, 0, 0, 0};
  if (!options.configurations.empty()) {
    state.cluster.set_configurations(options.configurations);
  }
  if (options.change) {
    const consensus::Configuration start = change_configurations(*options.change).start;
    for (std::size_t a = 0; a < state.cluster.acceptor_count(); ++a) {
      if (in_set(start.members, state.cluster.acceptor_ids()[a])) {
        state.cluster.set_acceptor_configuration(a, start);
      }
    }
    update_configurations_in_play(state, options);
  }
  for (std::size_t p = 0; p < options.proposers; ++p) {
    add_messages(state, state.cluster.start_proposer(proposer_config(p, options)), options);
  }
  return state;
}

// Replays `path` from the initial state with tracing on, for the report of a violation.
std::vector<std::string> replay(const ExploreOptions& options, const std::vector<Event>& path) {
  std::vector<std::string> lines;
  State state = initial_state(options);
  state.cluster.set_trace_sink(
      [&lines](const std::string& line) { lines.push_back("    " + line); });
  for (const Event& event : path) {
    lines.push_back(event_name(event, state));
    apply(state, event, options);
  }
  return lines;
}

ExploreResult explore_breadth_first(const ExploreOptions& options) {
  ExploreResult result;
  // Parent and event of every distinct state, to print the path to a violation.
  std::vector<std::pair<std::uint32_t, Event>> origin;
  DigestSet visited;
  std::deque<State> frontier;

  frontier.push_back(initial_state(options));
  visited.insert(digest(frontier.back(), options));
  origin.push_back({0, Event{EventKind::kTimeout, 0}});
  std::optional<std::uint32_t> bad_state;

  std::uint32_t level = 0;
  while (!frontier.empty() && !bad_state && visited.size() < options.max_states) {
    State state = std::move(frontier.front());
    frontier.pop_front();
    if (options.progress && state.depth > level) {
      level = state.depth;
      std::fprintf(stderr, "depth %u: %zu distinct states, %zu queued\n", level, visited.size(),
                   frontier.size());
    }
    result.depth = std::max<std::uint64_t>(result.depth, state.depth);
    for (const Event& event : enabled_events(state, options)) {
      State next = state;
      apply(next, event, options);
      ++result.transitions;
      if (!visited.insert(digest(next, options))) {
        continue;
      }
      next.id = static_cast<std::uint32_t>(origin.size());
      next.depth = state.depth + 1;
      origin.push_back({state.id, event});
      if (next.cluster.violation()) {
        result.violation = next.cluster.violation();
        bad_state = next.id;
        result.depth = std::max<std::uint64_t>(result.depth, next.depth);
        break;
      }
      frontier.push_back(std::move(next));
    }
  }
  result.distinct_states = visited.size();
  result.complete = frontier.empty() && !bad_state;
  if (bad_state) {
    std::vector<Event> path;
    for (std::uint32_t id = *bad_state; id != 0; id = origin[id].first) {
      path.push_back(origin[id].second);
    }
    std::reverse(path.begin(), path.end());
    result.trace = replay(options, path);
  }
  return result;
}

ExploreResult explore_depth_first(const ExploreOptions& options) {
  ExploreResult result;
  DigestSet visited;
  // The current path: each frame is a state, its enabled events and the next one to try.
  struct Frame {
    State state;
    std::vector<Event> events;
    std::size_t next = 0;
  };
  std::vector<Frame> stack;
  DigestSet orbits;
  State initial = initial_state(options);
  visited.insert(digest(initial, options));
  if (options.count_orbits) {
    orbits.insert(symmetric_digest(initial));
  }
  std::vector<Event> initial_events = enabled_events(initial, options);
  stack.push_back(Frame{std::move(initial), std::move(initial_events), 0});

  bool stopped = false;
  while (!stack.empty() && !stopped) {
    Frame& top = stack.back();
    if (top.next == top.events.size()) {
      stack.pop_back();
      continue;
    }
    const Event event = top.events[top.next++];
    State next = top.state;
    apply(next, event, options);
    ++result.transitions;
    if (!visited.insert(digest(next, options))) {
      continue;
    }
    if (options.count_orbits) {
      orbits.insert(symmetric_digest(next));
    }
    if (options.progress && visited.size() % 1'000'000 == 0) {
      std::fprintf(stderr, "%zu distinct states, path length %zu\n", visited.size(), stack.size());
    }
    result.depth = std::max<std::uint64_t>(result.depth, stack.size());
    if (next.cluster.violation()) {
      result.violation = next.cluster.violation();
      std::vector<Event> path;
      for (const Frame& frame : stack) {
        path.push_back(frame.events[frame.next - 1]);
      }
      result.trace = replay(options, path);
      stopped = true;
      break;
    }
    if (visited.size() >= options.max_states) {
      stopped = true;
      break;
    }
    std::vector<Event> events = enabled_events(next, options);
    stack.push_back(Frame{std::move(next), std::move(events), 0});
  }
  result.distinct_states = visited.size();
  result.orbits = orbits.size();
  result.complete = !stopped;
  return result;
}

}  // namespace

ExploreResult explore(const ExploreOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  ExploreResult result;
  if (options.count_orbits) {
    // Counted by the depth-first search only, which holds no level of states in memory.
    ExploreOptions full = options;
    full.symmetry = false;
    full.depth_first = true;
    result = explore_depth_first(full);
  } else {
    result = options.depth_first ? explore_depth_first(options) : explore_breadth_first(options);
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

SymmetryCheck verify_symmetry(const ExploreOptions& options) {
  SymmetryCheck check;
  ExploreOptions full = options;
  full.count_orbits = true;
  check.full = explore(full);
  ExploreOptions reduced = options;
  reduced.count_orbits = false;
  reduced.symmetry = true;
  check.reduced = explore(reduced);
  return check;
}

}  // namespace sk::model
