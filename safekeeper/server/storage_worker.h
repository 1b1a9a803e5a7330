// StorageWorker: the one thread that touches the node's timelines and stores. Connections hand
// it messages (enqueue, from any thread); it takes everything queued at once (a round), submits
// each message to its timeline in arrival order, then commits each touched timeline's batch. So
// every message that arrived while the previous round's fdatasync ran shares the next one: group
// commit without a timer, and an acknowledgement never waits for more than one fdatasync beyond
// its own.
//
// Results go back through the `deliver` given to start(), called on the worker thread once per
// round with one Completion per connection that had work in it; the server posts them to its
// I/O thread. The worker is built before the server that enqueues into it, and started once that
// server (its results' receiver) exists.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "safekeeper/timeline/timeline.h"

namespace sk::safekeeper {

class StorageWorker {
 public:
  struct Work {
    std::uint64_t connection = 0;
    storage::TimelineKey key;
    consensus::NodeId from;
    consensus::Message message;
  };
  // What one round did for one connection: its replies, in order, and, if one of its messages
  // failed, why (the server then sends the replies, an error frame, and closes the connection;
  // the connection's later messages of that round were not submitted).
  struct Completion {
    std::uint64_t connection = 0;
    std::size_t messages = 0;  // How many of the connection's messages the round consumed.
    std::vector<consensus::Outbound> replies;
    std::optional<Error> error;
  };
  // The timeline a key names, or nullptr; called on the worker thread only.
  using Lookup = std::function<Timeline*(const storage::TimelineKey&)>;
  using Deliver = std::function<void(std::vector<Completion>)>;
  // Called on the worker thread before a round's messages are submitted, once for each timeline
  // a proposer greets in that round (a new session): the node may reopen a stopped timeline
  // there, while no pointer to it is held.
  using NewSession = std::function<void(const storage::TimelineKey&)>;
  // Called on the worker thread after each round's batches: commit LSNs may have moved (the
  // replication port wakes its caught-up readers here). Returns true while background work
  // that follows the log (indexing) has more to do: the worker then calls it again before it
  // waits, between rounds, as if a round had run. Called once when the thread starts.
  using AfterRound = std::function<bool()>;

  struct Stats {
    std::uint64_t rounds = 0;
    std::uint64_t messages = 0;
    std::uint64_t batches = 0;  // Timeline batches committed (each at most one fdatasync).
  };

  StorageWorker(Lookup lookup, NewSession new_session = {}, AfterRound after_round = {});
  // Starts the thread; what was enqueued or posted before waits for it. Once only.
  void start(Deliver deliver);
  // Stops as stop() does.
  ~StorageWorker();
  StorageWorker(const StorageWorker&) = delete;
  StorageWorker& operator=(const StorageWorker&) = delete;

  void enqueue(Work work);
  // The connection is gone: forget that it failed (see failed_). Call once nothing of it is
  // queued any more.
  void connection_closed(std::uint64_t connection);
  // Runs `task` on the worker thread before the next round's messages: the way other threads
  // (HTTP) read or change timelines, which only the worker thread may touch. Tasks queued before
  // stop() run; tasks queued after it are dropped (the process is going down).
  void post(std::function<void()> task);
  // Finishes the round in progress and every message queued before the call, then ends the
  // thread: a SIGTERM never abandons an fdatasync half way or drops an accepted message.
  void stop();
  Stats stats() const;

 private:
  void run();
  std::vector<Completion> run_round(std::deque<Work> work);

  Lookup lookup_;
  Deliver deliver_;
  NewSession new_session_;
  AfterRound after_round_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Work> queue_;
  std::deque<std::function<void()>> tasks_;
  // Connections one of whose messages failed: their later messages are skipped in every later
  // round too, not only in the failing one (worker thread only).
  std::set<std::uint64_t> failed_;
  bool stopping_ = false;
  Stats stats_;
  std::thread thread_;  // Started by start(), once everything above exists.
};

}  // namespace sk::safekeeper
