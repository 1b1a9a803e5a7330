// IdentityCheck; see identity_check.h.
#include "safekeeper/server/identity_check.h"

#include <algorithm>

#include "safekeeper/log/log.h"
#include "safekeeper/storage/peer_incarnations.h"

namespace sk::safekeeper {

using storage::format_incarnation;

IdentityCheck::IdentityCheck(Node& node, std::vector<consensus::NodeId> cluster)
    : node_(node), cluster_(std::move(cluster)), needed_(confirmations_needed(cluster_.size())) {
  if (!node_.incarnation_confirmed() && needed_ == 0) {
    if (Status saved = node_.confirm_incarnation(); !saved) {
      log_error("cannot record this node's incarnation as confirmed: " + saved.error().to_string());
    }
  }
}

std::size_t IdentityCheck::confirmations_needed(std::size_t cluster_size) {
  return cluster_size <= 1 ? 0 : (cluster_size - 1) / 2 + 1;
}

Status IdentityCheck::admit(consensus::NodeId peer, std::uint64_t incarnation) {
  if (peer == node_.node_id()) {
    return {};
  }
  auto known = node_.peer_incarnations().admit(peer, incarnation);
  if (!known) {
    return known.error();
  }
  if (known->has_value()) {
    return Error(ErrorCode::kIdentityConflict,
                 "node " + std::to_string(peer.value()) + " greeted node " +
                     std::to_string(node_.node_id().value()) + " from data directory incarnation " +
                     format_incarnation(incarnation) +
                     ", but that node id belongs to incarnation " + format_incarnation(**known) +
                     ": a node whose data directory was lost has forgotten its votes and must "
                     "join under a new id");
  }
  return {};
}

Status IdentityCheck::serving() const {
  if (confirmed()) {
    return {};
  }
  return Error(ErrorCode::kUnavailable, "node " + std::to_string(node_.node_id().value()) +
                                            " does not serve yet: " + describe());
}

void IdentityCheck::on_admitted(consensus::NodeId peer) {
  std::lock_guard lock(mutex_);
  if (node_.incarnation_confirmed() || peer == node_.node_id() ||
      std::find(cluster_.begin(), cluster_.end(), peer) == cluster_.end()) {
    return;
  }
  admitted_by_.insert(peer);
  if (admitted_by_.size() < needed_) {
    return;
  }
  if (Status saved = node_.confirm_incarnation(); !saved) {
    log_error("cannot record this node's incarnation as confirmed: " + saved.error().to_string());
    return;
  }
  log_info("data directory incarnation " + format_incarnation(node_.incarnation()) +
           " confirmed by " + std::to_string(admitted_by_.size()) +
           " peers: serving votes and WAL");
}

bool IdentityCheck::confirmed() const {
  return node_.incarnation_confirmed();
}

std::string IdentityCheck::describe() const {
  if (node_.incarnation_confirmed()) {
    return "confirmed";
  }
  std::lock_guard lock(mutex_);
  return "new data directory (incarnation " + format_incarnation(node_.incarnation()) +
         "): waiting for " + std::to_string(needed_) + " of the other " +
         std::to_string(cluster_.size() - 1) + " nodes to record it (" +
         std::to_string(admitted_by_.size()) + " have)";
}

}  // namespace sk::safekeeper
