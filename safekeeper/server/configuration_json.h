// A timeline's consensus configuration (consensus/configuration.h) as the HTTP API shows and takes
// it, shared by the server (GET and PUT .../configuration) and skctl (which reads it back):
//   {"generation": 2, "members": [1, 2, 3], "new_members": [1, 2, 4],
//    "addresses": {"4": "sk-4.example:5454"}}
// new_members and addresses may be absent (empty). Ids are node ids; addresses proposer ports.
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "consensus/configuration.h"
#include "consensus/result.h"

namespace sk::safekeeper {

// null for none (an acceptor's before its first change).
boost::json::value configuration_json(const consensus::Configuration& configuration);
// kInvalidArgument naming the field for a wrong type or an unknown field, and what
// consensus::validate() refuses (unsorted or repeated ids, no members, a stray address).
Result<consensus::Configuration> parse_configuration(const boost::json::value& value);
// A request body holding one configuration object.
Result<consensus::Configuration> parse_configuration_body(std::string_view body);

}  // namespace sk::safekeeper
