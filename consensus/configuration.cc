// Configuration and its changes; see configuration.h.
#include "consensus/configuration.h"

#include <algorithm>

#include "consensus/quorum.h"
#include "consensus/state_digest.h"

namespace sk::consensus {

namespace {

std::vector<NodeId> sorted_unique(std::vector<NodeId> nodes) {
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  return nodes;
}

bool has_majority(const std::vector<NodeId>& set, const std::function<bool(NodeId)>& agrees) {
  const auto agreeing = static_cast<std::size_t>(std::count_if(set.begin(), set.end(), agrees));
  return agreeing >= quorum_size(set.size());
}

Lsn set_position(const std::vector<NodeId>& set, const std::map<NodeId, Lsn>& positions) {
  std::vector<Lsn> reached;
  reached.reserve(set.size());
  for (NodeId node : set) {
    auto it = positions.find(node);
    reached.push_back(it == positions.end() ? Lsn(0) : it->second);
  }
  return quorum_flush_lsn(std::move(reached));
}

// The addresses of `set`'s nodes among `addresses`.
std::map<NodeId, std::string> addresses_of(const std::vector<NodeId>& set,
                                           const std::map<NodeId, std::string>& addresses) {
  std::map<NodeId, std::string> kept;
  for (NodeId node : set) {
    if (auto it = addresses.find(node); it != addresses.end()) {
      kept.emplace(node, it->second);
    }
  }
  return kept;
}

std::string describe_set(const std::vector<NodeId>& set) {
  std::string text = "{";
  for (NodeId node : set) {
    text += (text.size() > 1 ? "," : "") + std::to_string(node.value());
  }
  return text + "}";
}

}  // namespace

Configuration Configuration::of(std::vector<NodeId> members) {
  return Configuration{Generation(0), sorted_unique(std::move(members)), {}};
}

std::vector<NodeId> Configuration::acceptors() const {
  std::vector<NodeId> all = members;
  for (NodeId node : new_members) {
    if (!std::binary_search(members.begin(), members.end(), node)) {
      all.push_back(node);
    }
  }
  return all;
}

bool Configuration::contains(NodeId node) const {
  return std::binary_search(members.begin(), members.end(), node) ||
         std::binary_search(new_members.begin(), new_members.end(), node);
}

bool Configuration::is_quorum(const std::function<bool(NodeId)>& agrees) const {
  return has_majority(members, agrees) && (!joint() || has_majority(new_members, agrees));
}

Lsn Configuration::quorum_position(const std::map<NodeId, Lsn>& positions) const {
  const Lsn old_set = set_position(members, positions);
  return joint() ? std::min(old_set, set_position(new_members, positions)) : old_set;
}

std::string Configuration::describe() const {
  std::string text = "g" + std::to_string(generation.value()) + " " + describe_set(members);
  if (joint()) {
    text += " -> " + describe_set(new_members);
  }
  return text;
}

std::uint64_t Configuration::digest() const {
  StateDigest digest;
  digest.mix(generation.value());
  for (const auto* set : {&members, &new_members}) {
    digest.mix(set->size());
    for (NodeId id : *set) {
      digest.mix(id.value());
    }
  }
  digest.mix(addresses.size());
  for (const auto& [id, address] : addresses) {
    digest.mix(id.value());
    digest.mix(address.size());
    for (char c : address) {
      digest.mix(static_cast<unsigned char>(c));
    }
  }
  return digest.value();
}

Status validate(const Configuration& configuration) {
  if (configuration.members.empty()) {
    return Error(ErrorCode::kInvalidArgument, "a configuration needs at least one member");
  }
  for (const auto* set : {&configuration.members, &configuration.new_members}) {
    if (*set != sorted_unique(*set)) {
      return Error(ErrorCode::kInvalidArgument,
                   "configuration " + configuration.describe() + ": ids must be sorted and unique");
    }
  }
  for (const auto& [id, address] : configuration.addresses) {
    if (!configuration.contains(id) || address.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "configuration " + configuration.describe() + ": an address for node " +
                       std::to_string(id.value()) +
                       (address.empty() ? " is empty" : ", which is not one of its acceptors"));
    }
  }
  return {};
}

Result<Configuration> start_change(const Configuration& current, std::vector<NodeId> new_members) {
  if (current.joint()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "configuration " + current.describe() + " is already changing");
  }
  new_members = sorted_unique(std::move(new_members));
  if (new_members.empty()) {
    return Error(ErrorCode::kInvalidArgument, "a configuration needs at least one member");
  }
  if (new_members == current.members) {
    return Error(ErrorCode::kInvalidArgument,
                 "configuration " + current.describe() + " already has these members");
  }
  return Configuration{Generation(current.generation.value() + 1), current.members,
                       std::move(new_members), current.addresses};
}

Result<Configuration> finish_change(const Configuration& joint) {
  if (!joint.joint()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "configuration " + joint.describe() + " is not changing");
  }
  return Configuration{Generation(joint.generation.value() + 1),
                       joint.new_members,
                       {},
                       addresses_of(joint.new_members, joint.addresses)};
}

Result<Configuration> abort_change(const Configuration& joint) {
  if (!joint.joint()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "configuration " + joint.describe() + " is not changing");
  }
  return Configuration{Generation(joint.generation.value() + 1),
                       joint.members,
                       {},
                       addresses_of(joint.members, joint.addresses)};
}

}  // namespace sk::consensus
