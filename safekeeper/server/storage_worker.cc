// StorageWorker; see storage_worker.h.
#include "safekeeper/server/storage_worker.h"

#include <map>
#include <set>
#include <utility>

#include "consensus/check.h"

namespace sk::safekeeper {

StorageWorker::StorageWorker(Lookup lookup, NewSession new_session, AfterRound after_round)
    : lookup_(std::move(lookup)),
      new_session_(std::move(new_session)),
      after_round_(std::move(after_round)) {}

void StorageWorker::start(Deliver deliver) {
  SK_CHECK(!thread_.joinable());
  deliver_ = std::move(deliver);
  thread_ = std::thread([this] { run(); });
}

StorageWorker::~StorageWorker() {
  stop();
}

void StorageWorker::enqueue(Work work) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(work));
  }
  wake_.notify_one();
}

void StorageWorker::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void StorageWorker::connection_closed(std::uint64_t connection) {
  post([this, connection] { failed_.erase(connection); });
}

void StorageWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  }
}

StorageWorker::Stats StorageWorker::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void StorageWorker::run() {
  bool background_due = true;  // What is on disk at start is followed up once.
  for (;;) {
    std::deque<Work> work;
    std::deque<std::function<void()>> tasks;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock,
                 [&] { return stopping_ || !queue_.empty() || !tasks_.empty() || background_due; });
      if (queue_.empty() && tasks_.empty() && (stopping_ || !background_due)) {
        return;  // Stopping, and nothing left (background work is not finished then).
      }
      work.swap(queue_);
      tasks.swap(tasks_);
    }
    for (auto& task : tasks) {
      task();
    }
    const bool round = !work.empty();
    if (round) {
      const std::size_t messages = work.size();
      std::vector<Completion> completions = run_round(std::move(work));
      {
        std::lock_guard lock(mutex_);
        ++stats_.rounds;
        stats_.messages += messages;
      }
      deliver_(std::move(completions));
    }
    if (round || background_due) {
      background_due = after_round_ && after_round_();
    }
  }
}

std::vector<StorageWorker::Completion> StorageWorker::run_round(std::deque<Work> work) {
  std::map<std::uint64_t, Completion> by_connection;
  auto completion = [&](std::uint64_t connection) -> Completion& {
    Completion& c = by_connection[connection];
    c.connection = connection;
    return c;
  };
  // Timelines in the order first touched, with the connections that submitted to each.
  std::vector<Timeline*> touched;
  std::map<Timeline*, std::set<std::uint64_t>> submitters;
  if (new_session_) {
    std::set<storage::TimelineKey> greeted;
    for (const Work& item : work) {
      if (std::holds_alternative<consensus::ProposerGreeting>(item.message) &&
          greeted.insert(item.key).second) {
        new_session_(item.key);
      }
    }
  }

  for (Work& item : work) {
    Completion& c = completion(item.connection);
    ++c.messages;
    if (c.error || failed_.contains(item.connection)) {
      continue;  // The connection is being closed; the rest of its messages are void.
    }
    Timeline* timeline = lookup_(item.key);
    if (timeline == nullptr) {
      c.error = Error(ErrorCode::kNotFound, "timeline " + storage::timeline_name(item.key) +
                                                " is not hosted on this safekeeper");
      failed_.insert(item.connection);
      continue;
    }
    if (!submitters.contains(timeline)) {
      touched.push_back(timeline);
    }
    submitters[timeline].insert(item.connection);
    if (Status submitted = timeline->submit(item.from, item.message, item.connection); !submitted) {
      c.error = submitted.error();
      failed_.insert(item.connection);
    }
  }

  std::uint64_t batches = 0;
  for (Timeline* timeline : touched) {
    auto replies = timeline->commit_batch();
    ++batches;
    if (!replies) {
      for (std::uint64_t connection : submitters[timeline]) {
        Completion& c = completion(connection);
        if (!c.error) {
          c.error = replies.error();
          failed_.insert(connection);
        }
      }
      continue;
    }
    for (TaggedReply& reply : *replies) {
      completion(reply.tag).replies.push_back(std::move(reply.out));
    }
  }
  {
    std::lock_guard lock(mutex_);
    stats_.batches += batches;
  }
  std::vector<Completion> completions;
  completions.reserve(by_connection.size());
  for (auto& [connection, c] : by_connection) {
    completions.push_back(std::move(c));
  }
  return completions;
}

}  // namespace sk::safekeeper
