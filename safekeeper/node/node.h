// Node: everything one safekeeper keeps on disk, and the timelines it hosts. Owns the data
// directory:
//
//   <data dir>/control/                       the node's LMDB environment (control states)
//   <data dir>/timelines/<tenant>/<timeline>/  one timeline's WAL segment files
//
// open() recovers every timeline whose control state is saved: its WAL is replayed (torn tails
// cut back and reported), and the pair is checked (the WAL must reach the saved commit LSN). A
// timeline that cannot be opened is kept aside with its error, so that one damaged timeline
// never stops the others; the error is reported, never ignored.
//
// A data directory has an incarnation: a random number made with it, stored with the node id.
// A directory made by this start is unconfirmed until enough peers have recorded its
// incarnation (server/identity_check.h): a node whose directory was wiped has forgotten its
// votes, and must not pass for the node it was. A directory from before incarnations existed
// gets one, confirmed (its votes are intact).
//
// The node keeps a free-space reserve on the data directory's file system (DiskReserve), shared
// by every timeline's WAL store: below it appends are refused with kNoSpace, which stops the
// timeline until space returns (reopen_if_stopped).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "safekeeper/storage/file_wal_store.h"
#include "safekeeper/storage/io_metrics.h"
#include "safekeeper/storage/lmdb_control_store.h"
#include "safekeeper/storage/metered_stores.h"
#include "safekeeper/storage/peer_incarnations.h"
#include "safekeeper/storage/slot_store.h"
#include "safekeeper/timeline/timeline.h"

namespace sk::safekeeper {

struct NodeOptions {
  consensus::NodeId node_id;
  std::filesystem::path data_dir;
  std::uint64_t lmdb_map_size_bytes = std::uint64_t{64} << 20;
  storage::ReserveSize disk_reserve{};  // Default: the smaller of 5 % and 2 GiB.
  // Measures the data directory's file system; tests inject their own.
  storage::DiskReserve::Probe disk_probe = storage::DiskReserve::statvfs_probe;
  TimelineOptions timeline;
};

class Node {
 public:
  // Lines for the log: what recovery found and did, per timeline.
  using Report = std::vector<std::string>;

  // kFailedPrecondition when the data directory belongs to another node id; kIoError when it is
  // missing or unusable; errors of the LMDB environment as they are.
  static Result<std::unique_ptr<Node>> open(const NodeOptions& options, Report& report);
  ~Node();

  // A timeline new to this node. kAlreadyExists if it is hosted (or kept aside) already.
  Result<Timeline*> create_timeline(const consensus::TimelineIdentity& identity);
  // A timeline stopped by a storage error that left its files as they were (NO_SPACE from a
  // write or a segment's creation, or UNAVAILABLE: the process was out of descriptors or memory;
  // no failed fdatasync) is opened again from disk, as after a crash, so that it serves again
  // once space or descriptors are back. At most one attempt per second per
  // timeline, and none while free space is still below the reserve (the attempt would replay
  // the WAL only to be refused again). True if it was reopened. After a failed fdatasync the
  // page cache can no longer be trusted, and only a restart recovers.
  bool reopen_if_stopped(const storage::TimelineKey& key, std::chrono::steady_clock::time_point now,
                         Report& report);
  // Stops hosting the timeline and deletes it from disk: its control record first (after a
  // crash in between, only WAL files that no start opens are left), then its WAL directory.
  // Readers in the middle of a read finish it from the files they opened. A timeline kept aside
  // goes the same way. Absent is fine.
  Status remove_timeline(const storage::TimelineKey& key);
  // nullptr if not hosted, or kept aside (see broken()).
  Timeline* timeline(const storage::TimelineKey& key);
  std::vector<storage::TimelineKey> timelines() const;
  // Timelines found on disk that could not be opened, with why.
  const std::map<storage::TimelineKey, Error>& broken() const { return broken_; }

  consensus::NodeId node_id() const { return options_.node_id; }
  // This data directory's incarnation (never 0), and whether peers have confirmed it.
  std::uint64_t incarnation() const { return incarnation_; }
  bool incarnation_confirmed() const { return incarnation_confirmed_; }
  // Records, durably, that peers have confirmed the incarnation. Any thread.
  Status confirm_incarnation();
  // The incarnations peers greeted this node with; any thread (LMDB only), one at a time.
  storage::PeerIncarnations& peer_incarnations() { return *peer_incarnations_; }
  const NodeOptions& options() const { return options_; }
  // What every hosted timeline's stores did; readable from any thread.
  const storage::IoMetrics& io_metrics() const { return *io_metrics_; }
  // The readers' replication slots, in the node's LMDB environment. Unlike the rest of the node,
  // usable from the replication port's thread: it touches nothing but LMDB, whose write
  // transactions serialise themselves.
  storage::SlotStore& slot_store() { return *slot_store_; }
  // The node's LMDB environment, for the databases kept beside the control states by the layers
  // above (the commit-time index's pieces). Worker thread.
  storage::LmdbEnv& lmdb() { return *env_; }
  // The free-space reserve; its probes are for the worker's thread, its numbers for any.
  storage::DiskReserve& disk_reserve() { return *reserve_; }
  const storage::DiskReserve& disk_reserve() const { return *reserve_; }
  // What a hosted timeline's WAL segment files take on disk; 0 if it is not hosted.
  std::uint64_t wal_bytes_on_disk(const storage::TimelineKey& key) const;
  // The first LSN of a hosted timeline's WAL still on disk (its start until WAL was removed).
  std::optional<consensus::Lsn> first_held_lsn(const storage::TimelineKey& key) const;
  // Removes the hosted timeline's whole WAL segments below `horizon`, which must not exceed its
  // commit LSN (storage::FileWalStore::remove_below). How many segments went; kNotFound if the
  // timeline is not hosted or stopped.
  Result<std::size_t> remove_wal_below(const storage::TimelineKey& key, consensus::Lsn horizon);

 private:
  // Members in the order they are built; the timeline (destroyed first) uses the metered store.
  struct Hosted {
    std::unique_ptr<storage::FileWalStore> wal;
    std::unique_ptr<storage::MeteredWalStore> metered_wal;
    std::unique_ptr<Timeline> timeline;
    std::chrono::steady_clock::time_point next_reopen{};  // See reopen_if_stopped().
  };
  explicit Node(NodeOptions options);
  std::filesystem::path wal_dir(const storage::TimelineKey& key) const;
  // Records the node id and a new incarnation in a new data directory; refuses one that belongs
  // to another node id.
  Status check_node_id();
  void open_timeline(const storage::TimelineKey& key, Report& report);

  NodeOptions options_;
  std::unique_ptr<storage::IoMetrics> io_metrics_ = std::make_unique<storage::IoMetrics>();
  std::unique_ptr<storage::DiskReserve> reserve_;  // Before the stores that use it.
  std::unique_ptr<storage::LmdbEnv> env_;
  std::unique_ptr<storage::LmdbControlStore> lmdb_control_;
  std::unique_ptr<storage::MeteredControlStore> control_;
  std::unique_ptr<storage::SlotStore> slot_store_;
  std::unique_ptr<storage::PeerIncarnations> peer_incarnations_;
  std::uint64_t incarnation_ = 0;
  std::atomic<bool> incarnation_confirmed_{false};
  std::map<storage::TimelineKey, Hosted> hosted_;
  std::map<storage::TimelineKey, Error> broken_;
};

}  // namespace sk::safekeeper
