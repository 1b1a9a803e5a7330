// Node; see node.h.
#include "safekeeper/node/node.h"

#include <random>
#include <system_error>

namespace sk::safekeeper {

namespace fs = std::filesystem;
using storage::LmdbEnv;
using storage::TimelineKey;

namespace {

constexpr std::string_view kNodeIdKey = "node_id";
constexpr std::string_view kIncarnationKey = "incarnation";
constexpr std::string_view kConfirmedKey = "incarnation_confirmed";

std::uint64_t new_incarnation() {
  std::random_device entropy;  // The kernel's random source.
  std::uint64_t value = 0;
  while (value == 0) {
    value = (std::uint64_t{entropy()} << 32) | entropy();
  }
  return value;
}

}  // namespace

Node::Node(NodeOptions options) : options_(std::move(options)) {}

Node::~Node() = default;

fs::path Node::wal_dir(const TimelineKey& key) const {
  return options_.data_dir / "timelines" / key.tenant_id.to_hex() / key.timeline_id.to_hex();
}

Result<std::unique_ptr<Node>> Node::open(const NodeOptions& options, Report& report) {
  std::error_code ec;
  if (!fs::is_directory(options.data_dir, ec)) {
    return Error(ErrorCode::kIoError, "data directory " + options.data_dir.string() +
                                          " does not exist or is not a directory");
  }
  const fs::path control_dir = options.data_dir / "control";
  fs::create_directories(control_dir, ec);
  if (ec) {
    return Error(ErrorCode::kIoError,
                 "cannot create " + control_dir.string() + ": " + ec.message());
  }
  std::unique_ptr<Node> node(new Node(options));
  node->reserve_ = std::make_unique<storage::DiskReserve>(options.data_dir, options.disk_reserve,
                                                          options.disk_probe);
  auto env = LmdbEnv::open(control_dir, {.map_size_bytes = options.lmdb_map_size_bytes});
  if (!env) {
    return env.error();
  }
  node->env_ = std::move(*env);
  node->lmdb_control_ = std::make_unique<storage::LmdbControlStore>(*node->env_);
  node->slot_store_ = std::make_unique<storage::SlotStore>(*node->env_);
  node->peer_incarnations_ = std::make_unique<storage::PeerIncarnations>(*node->env_);
  node->control_ =
      std::make_unique<storage::MeteredControlStore>(*node->lmdb_control_, *node->io_metrics_);
  if (Status owned = node->check_node_id(); !owned) {
    return owned.error();
  }
  auto keys = node->control_->list();
  if (!keys) {
    return keys.error();
  }
  for (const TimelineKey& key : *keys) {
    node->open_timeline(key, report);
  }
  return node;
}

Status Node::check_node_id() {
  const std::string ours = std::to_string(options_.node_id.value());
  auto stored = env_->get(LmdbEnv::Database::kMeta, kNodeIdKey);
  if (!stored) {
    return stored.error();
  }
  if (stored->has_value() && **stored != ours) {
    return Error(ErrorCode::kFailedPrecondition, "data directory " + options_.data_dir.string() +
                                                     " belongs to node " + **stored +
                                                     ", not to node " + ours);
  }
  auto incarnation = env_->get(LmdbEnv::Database::kMeta, kIncarnationKey);
  if (!incarnation) {
    return incarnation.error();
  }
  if (incarnation->has_value()) {
    auto value = storage::parse_incarnation(**incarnation);
    if (!value || *value == 0) {
      return Error(ErrorCode::kCorruption, "data directory " + options_.data_dir.string() +
                                               ": its incarnation is not 16 hex digits");
    }
    auto confirmed = env_->get(LmdbEnv::Database::kMeta, kConfirmedKey);
    if (!confirmed) {
      return confirmed.error();
    }
    incarnation_ = *value;
    incarnation_confirmed_ = confirmed->has_value();
    return {};
  }
  // New (no node id yet): unconfirmed. Made before incarnations existed: its votes are intact.
  incarnation_ = new_incarnation();
  incarnation_confirmed_ = stored->has_value();
  std::vector<std::pair<std::string, std::string>> puts = {
      {std::string(kNodeIdKey), ours},
      {std::string(kIncarnationKey), storage::format_incarnation(incarnation_)}};
  if (incarnation_confirmed_) {
    puts.emplace_back(std::string(kConfirmedKey), "yes");
  }
  return env_->write(LmdbEnv::Database::kMeta, puts);
}

Status Node::confirm_incarnation() {
  if (Status saved = env_->put(LmdbEnv::Database::kMeta, kConfirmedKey, "yes"); !saved) {
    return saved;
  }
  incarnation_confirmed_ = true;
  return {};
}

void Node::open_timeline(const TimelineKey& key, Report& report) {
  const std::string name = storage::timeline_name(key);
  auto state = control_->load(key);
  if (!state) {
    report.push_back("timeline " + name + ": not opened: " + state.error().to_string());
    broken_.emplace(key, state.error());
    return;
  }
  const consensus::TimelineIdentity& identity = (*state)->identity;
  auto wal = storage::FileWalStore::open(wal_dir(key), identity.timeline_start_lsn,
                                         identity.wal_seg_size_bytes, reserve_.get());
  if (!wal) {
    report.push_back("timeline " + name + ": not opened: " + wal.error().to_string());
    broken_.emplace(key, wal.error());
    return;
  }
  const storage::WalRecoveryReport& recovered = wal->report;
  if (recovered.cut) {
    report.push_back("timeline " + name + ": WAL cut back at " + recovered.end_lsn.to_string() +
                     " (" + recovered.cut->file + " offset " +
                     std::to_string(recovered.cut->offset) + ": " + recovered.cut->why + ")");
  }
  for (const std::string& file : recovered.removed_files) {
    report.push_back("timeline " + name + ": removed " + file + " (beyond the WAL's end)");
  }
  auto metered = std::make_unique<storage::MeteredWalStore>(*wal->store, *io_metrics_);
  auto timeline = Timeline::open(options_.node_id, key, *control_, *metered, options_.timeline);
  if (!timeline) {
    report.push_back("timeline " + name + ": not opened: " + timeline.error().to_string());
    broken_.emplace(key, timeline.error());
    return;
  }
  report.push_back("timeline " + name + ": term " +
                   std::to_string((*timeline)->acceptor().term().value()) + ", flush " +
                   recovered.end_lsn.to_string() + ", commit " +
                   (*timeline)->durable_state().commit_lsn.to_string());
  hosted_.emplace(key, Hosted{std::move(wal->store), std::move(metered), std::move(*timeline)});
}

Result<Timeline*> Node::create_timeline(const consensus::TimelineIdentity& identity) {
  const TimelineKey key{identity.tenant_id, identity.timeline_id};
  if (hosted_.contains(key) || broken_.contains(key)) {
    return Error(ErrorCode::kAlreadyExists,
                 "timeline " + storage::timeline_name(key) + " already exists on this node");
  }
  // The WAL directory first, then the control state: a crash in between leaves an empty WAL
  // directory and no saved state, which the next create reuses.
  auto wal = storage::FileWalStore::open(wal_dir(key), identity.timeline_start_lsn,
                                         identity.wal_seg_size_bytes, reserve_.get());
  if (!wal) {
    return wal.error();
  }
  auto metered = std::make_unique<storage::MeteredWalStore>(*wal->store, *io_metrics_);
  auto timeline =
      Timeline::create(options_.node_id, identity, *control_, *metered, options_.timeline);
  if (!timeline) {
    return timeline.error();
  }
  Timeline* created = timeline->get();
  hosted_.emplace(key, Hosted{std::move(wal->store), std::move(metered), std::move(*timeline)});
  return created;
}

bool Node::reopen_if_stopped(const TimelineKey& key, std::chrono::steady_clock::time_point now,
                             Report& report) {
  auto it = hosted_.find(key);
  if (it == hosted_.end()) {
    return false;
  }
  Hosted& hosted = it->second;
  const std::optional<Error>& failure = hosted.timeline->failure();
  const bool passing = failure && (failure->code() == ErrorCode::kNoSpace ||
                                   failure->code() == ErrorCode::kUnavailable);
  if (!passing || hosted.wal->sync_failed() || now < hosted.next_reopen) {
    return false;
  }
  if (reserve_->below_reserve_now()) {
    hosted.next_reopen = now + std::chrono::seconds(1);
    return false;
  }
  const std::string name = storage::timeline_name(key);
  report.push_back("timeline " + name + ": reopening after " + failure->to_string());
  hosted_.erase(it);  // The timeline first, then its stores (Hosted's member order).
  open_timeline(key, report);
  auto reopened = hosted_.find(key);
  if (reopened == hosted_.end()) {
    return false;  // Kept aside in broken_, with its report line.
  }
  reopened->second.next_reopen = now + std::chrono::seconds(1);
  return true;
}

std::uint64_t Node::wal_bytes_on_disk(const TimelineKey& key) const {
  auto it = hosted_.find(key);
  return it == hosted_.end() ? 0 : it->second.wal->bytes_on_disk();
}

std::optional<consensus::Lsn> Node::first_held_lsn(const TimelineKey& key) const {
  auto it = hosted_.find(key);
  if (it == hosted_.end()) {
    return std::nullopt;
  }
  return it->second.wal->first_held_lsn();
}

Result<std::size_t> Node::remove_wal_below(const TimelineKey& key, consensus::Lsn horizon) {
  auto it = hosted_.find(key);
  if (it == hosted_.end() || it->second.timeline->failure()) {
    return Error(ErrorCode::kNotFound, "timeline " + storage::timeline_name(key) +
                                           " is not serving here: no WAL is removed");
  }
  const consensus::Lsn committed = it->second.timeline->acceptor().state().commit_lsn;
  if (horizon > committed) {
    return Error(ErrorCode::kInvalidArgument, "removal of WAL below " + horizon.to_string() +
                                                  " of timeline " + storage::timeline_name(key) +
                                                  ", above its commit LSN " +
                                                  committed.to_string());
  }
  Result<std::size_t> removed = it->second.wal->remove_below(horizon);
  if (removed) {
    io_metrics_->wal_segments_removed += *removed;
  } else {
    ++io_metrics_->io_errors;
  }
  return removed;
}

Status Node::remove_timeline(const TimelineKey& key) {
  if (Status erased = control_->erase(key); !erased) {
    return erased;
  }
  hosted_.erase(key);  // The timeline first, then its stores (Hosted's member order).
  broken_.erase(key);
  std::error_code ec;
  fs::remove_all(wal_dir(key), ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "removing " + wal_dir(key).string() + ": " + ec.message());
  }
  return {};
}

Timeline* Node::timeline(const TimelineKey& key) {
  auto it = hosted_.find(key);
  return it == hosted_.end() ? nullptr : it->second.timeline.get();
}

std::vector<TimelineKey> Node::timelines() const {
  std::vector<TimelineKey> keys;
  for (const auto& [key, hosted] : hosted_) {
    keys.push_back(key);
  }
  return keys;
}

}  // namespace sk::safekeeper
