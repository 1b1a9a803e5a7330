// ConnectionRegistry: the open connections of one listening port, by id, as both the proposer
// port and the replication port keep them. Accepting gives a connection the next id and counts
// it (accepted, open); forgetting it once its socket is closed uncounts it; close_all() closes
// every one when the port stops. A connection stays alive while it is kept here or while an
// operation of its own is pending (it holds a shared_ptr to itself in its handlers).
//
// I/O thread only. `Connection` needs close() and info().
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace sk::safekeeper {

template <class Connection>
class ConnectionRegistry {
 public:
  ConnectionRegistry(std::atomic<std::uint64_t>& accepted, std::atomic<std::uint64_t>& open)
      : accepted_(accepted), open_(open) {}

  // Keeps the connection `make(id)` returns, under the next id.
  template <class Make>
  std::shared_ptr<Connection> add(Make&& make) {
    const std::uint64_t id = next_id_++;
    std::shared_ptr<Connection> connection = make(id);
    connections_.emplace(id, connection);
    accepted_.fetch_add(1, std::memory_order_relaxed);
    open_.fetch_add(1, std::memory_order_relaxed);
    return connection;
  }

  // True the first time (the connection was kept): its caller then releases what the
  // connection held elsewhere.
  bool forget(std::uint64_t id) {
    if (connections_.erase(id) == 0) {
      return false;
    }
    open_.fetch_sub(1, std::memory_order_relaxed);
    return true;
  }

  // nullptr once forgotten.
  std::shared_ptr<Connection> find(std::uint64_t id) const {
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second;
  }

  void close_all() {
    auto connections = std::move(connections_);
    connections_.clear();
    for (auto& [id, connection] : connections) {
      connection->close();
    }
    open_.store(0, std::memory_order_relaxed);
  }

  // What each open connection says of itself (Connection::info()), in id order.
  auto infos() const {
    std::vector<decltype(std::declval<const Connection&>().info())> out;
    for (const auto& [id, connection] : connections_) {
      out.push_back(connection->info());
    }
    return out;
  }

 private:
  std::atomic<std::uint64_t>& accepted_;
  std::atomic<std::uint64_t>& open_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> connections_;
  std::uint64_t next_id_ = 1;
};

}  // namespace sk::safekeeper
