// Configurations in JSON; see configuration_json.h.
#include "safekeeper/server/configuration_json.h"

#include <string>

#include <boost/json.hpp>

namespace sk::safekeeper {

namespace json = boost::json;

namespace {

Error bad(std::string message) {
  return Error(ErrorCode::kInvalidArgument, "configuration: " + std::move(message));
}

json::array ids_json(const std::vector<consensus::NodeId>& ids) {
  json::array out;
  for (consensus::NodeId id : ids) {
    out.push_back(id.value());
  }
  return out;
}

Result<std::uint64_t> node_id_of(const json::value& value, std::string_view field) {
  if (value.is_uint64()) {
    return value.as_uint64();
  }
  if (value.is_int64() && value.as_int64() > 0) {
    return static_cast<std::uint64_t>(value.as_int64());
  }
  return bad(std::string(field) + " must hold node ids (positive integers)");
}

Result<std::vector<consensus::NodeId>> ids_of(const json::object& object, std::string_view field) {
  std::vector<consensus::NodeId> ids;
  const json::value* value = object.if_contains(field);
  if (value == nullptr) {
    return ids;
  }
  if (!value->is_array()) {
    return bad(std::string(field) + " must be an array of node ids");
  }
  for (const json::value& item : value->as_array()) {
    auto id = node_id_of(item, field);
    if (!id) {
      return id.error();
    }
    ids.emplace_back(*id);
  }
  return ids;
}

}  // namespace

json::value configuration_json(const consensus::Configuration& configuration) {
  if (configuration.none()) {
    return nullptr;
  }
  json::object addresses;
  for (const auto& [id, address] : configuration.addresses) {
    addresses[std::to_string(id.value())] = address;
  }
  return json::object{{"generation", configuration.generation.value()},
                      {"members", ids_json(configuration.members)},
                      {"new_members", ids_json(configuration.new_members)},
                      {"addresses", std::move(addresses)}};
}

Result<consensus::Configuration> parse_configuration(const json::value& value) {
  if (!value.is_object()) {
    return bad("must be a JSON object");
  }
  const json::object& object = value.as_object();
  for (const auto& field : object) {
    const std::string_view key = field.key();
    if (key != "generation" && key != "members" && key != "new_members" && key != "addresses") {
      return bad("unknown field \"" + std::string(key) + "\"");
    }
  }
  consensus::Configuration configuration;
  const json::value* generation = object.if_contains("generation");
  if (generation == nullptr ||
      !(generation->is_uint64() || (generation->is_int64() && generation->as_int64() >= 0))) {
    return bad("generation (a non-negative integer) is required");
  }
  configuration.generation = consensus::Generation(
      generation->is_uint64() ? generation->as_uint64()
                              : static_cast<std::uint64_t>(generation->as_int64()));
  auto members = ids_of(object, "members");
  if (!members) {
    return members.error();
  }
  configuration.members = std::move(*members);
  auto new_members = ids_of(object, "new_members");
  if (!new_members) {
    return new_members.error();
  }
  configuration.new_members = std::move(*new_members);
  if (const json::value* addresses = object.if_contains("addresses")) {
    if (!addresses->is_object()) {
      return bad("addresses must map node ids to \"host:port\" strings");
    }
    for (const auto& [key, address] : addresses->as_object()) {
      const std::string text(key);
      char* end = nullptr;
      const unsigned long long id = std::strtoull(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || id == 0 || !address.is_string()) {
        return bad("addresses must map node ids to \"host:port\" strings, not \"" + text + "\"");
      }
      configuration.addresses.emplace(consensus::NodeId(id), std::string(address.as_string()));
    }
  }
  if (Status valid = consensus::validate(configuration); !valid) {
    return Error(ErrorCode::kInvalidArgument, valid.error().message());
  }
  return configuration;
}

Result<consensus::Configuration> parse_configuration_body(std::string_view body) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec) {
    return Error(ErrorCode::kInvalidArgument,
                 "the request body must be a JSON object: " + ec.message());
  }
  return parse_configuration(parsed);
}

}  // namespace sk::safekeeper
