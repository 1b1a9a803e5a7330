// BranchApiTest: a three-node cluster running the branch log, and the HTTP calls the branch
// tests make (any node, with headers), with accessors for the JSON they get back.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/integration/cluster_fixture.h"

namespace sk::testing {

using Reply = SafekeeperCluster::Reply;
using Headers = std::vector<std::pair<std::string, std::string>>;

class BranchApiTest : public ClusterTest {
 protected:
  bool with_branch_log() const override { return true; }

  // The reply of node i; status 0 if it could not be reached.
  Reply call(int i, const std::string& method, const std::string& target,
             const std::string& body = "", const Headers& headers = {});
  // POST /v1/tenants for kTenant through node i.
  Reply create_tenant(int i);
  static std::string tenant_path();    // /v1/tenants/<kTenant>
  static std::string branches_path();  // /v1/tenants/<kTenant>/branches
};

// A string field of an object ("" if absent or not a string).
std::string text(const boost::json::value& object, const char* field);
// The fields of an error body {"error": {"code", "message", "request_id"}}.
std::string error_code(const Reply& reply);
std::string error_message(const Reply& reply);
std::string error_request_id(const Reply& reply);

}  // namespace sk::testing
