// BranchRoutes; see branch_routes.h.
#include "safekeeper/server/branch_routes.h"

#include <boost/json.hpp>

#include "branchmgr/rfc3339.h"
#include "safekeeper/server/api_json.h"
#include "safekeeper/server/branch_json.h"
#include "safekeeper/server/branch_requests.h"

namespace sk::safekeeper {

namespace json = boost::json;

BranchRoutes::BranchRoutes(BranchCommandRunner& runner, ApiRoutes::RunOnIo run_on_io)
    : runner_(runner), run_on_io_(std::move(run_on_io)) {}

void BranchRoutes::answer(const Respond& respond, ApiResponse response) const {
  run_on_io_([respond, response = std::move(response)] { respond(response); });
}

void BranchRoutes::read(const ApiRequest& request, const Respond& respond, Render render) {
  runner_.read([this, request_id = request.request_id, respond,
                render = std::move(render)](Result<const BranchCommands*> commands) {
    auto body = commands ? render(**commands) : Result<json::object>(commands.error());
    answer(respond, body ? json_response(200, *body) : error_response(body.error(), request_id));
  });
}

void BranchRoutes::change(const ApiRequest& request, const Respond& respond, int success_status,
                          BranchCommandRunner::Decide decide) {
  runner_.change(
      std::move(decide), [this, request_id = request.request_id, respond, success_status](
                             const BranchCommands& commands, Result<branchmgr::Object> object) {
        answer(respond, object ? json_response(success_status, object_json(commands, *object))
                               : error_response(object.error(), request_id));
      });
}

bool BranchRoutes::handle(const ApiRequest& request, const std::vector<std::string>& path,
                          Respond& respond) {
  if (path.size() < 2 || path[0] != "v1" || path[1] != "tenants" ||
      (path.size() >= 4 && path[3] == "timelines")) {
    return false;
  }
  if (path.size() == 2) {
    return tenants(request, respond);
  }
  auto tenant = parse_id<consensus::TenantId>("tenant id", path[2]);
  if (!tenant) {
    respond(error_response(tenant.error(), request.request_id));
    return true;
  }
  const consensus::TenantId t = *tenant;
  if (path.size() == 3) {
    if (request.method == "PATCH") {
      auto parsed = parse_tenant_settings(request.body);
      if (!parsed) {
        respond(error_response(parsed.error(), request.request_id));
        return true;
      }
      change(request, respond, 200,
             [t, r = *parsed](BranchCommands& c) { return c.change_tenant(t, r); });
      return true;
    }
    if (request.method != "GET" && request.method != "HEAD") {
      respond(method_not_allowed_response(request, "GET, PATCH"));
      return true;
    }
    read(request, respond, [t](const BranchCommands& c) -> Result<json::object> {
      auto found = c.view().find_tenant(t);
      return found ? Result<json::object>(tenant_json(c.view(), **found)) : found.error();
    });
    return true;
  }
  if (path[3] == "branches") {
    return branches(request, t, path, respond);
  }
  if (path[3] == "snapshots") {
    return snapshots(request, t, path, respond);
  }
  return false;
}

bool BranchRoutes::tenants(const ApiRequest& request, Respond& respond) {
  if (request.method == "POST") {
    auto parsed = parse_create_tenant(request.body);
    if (!parsed) {
      respond(error_response(parsed.error(), request.request_id));
      return true;
    }
    change(request, respond, 201, [r = *parsed](BranchCommands& c) { return c.create_tenant(r); });
  } else if (request.method == "GET" || request.method == "HEAD") {
    read(request, respond, [](const BranchCommands& c) -> Result<json::object> {
      json::array list;
      for (const branchmgr::Tenant& tenant : c.view().tenants()) {
        list.push_back(tenant_json(c.view(), tenant));
      }
      return json::object{{"tenants", std::move(list)}};
    });
  } else {
    respond(method_not_allowed_response(request, "GET, POST"));
  }
  return true;
}

bool BranchRoutes::branches(const ApiRequest& request, const consensus::TenantId& t,
                            const std::vector<std::string>& path, Respond& respond) {
  const std::string& method = request.method;
  const bool get = method == "GET" || method == "HEAD";
  auto only = [&](bool allowed, const char* allow) {
    if (!allowed) {
      respond(method_not_allowed_response(request, allow));
    }
    return allowed;
  };
  if (path.size() == 4) {
    if (method == "POST") {
      auto parsed = parse_create_branch(request.body);
      if (!parsed) {
        respond(error_response(parsed.error(), request.request_id));
        return true;
      }
      parsed->idempotency_key = request.idempotency_key;
      change(request, respond, 201,
             [t, r = *parsed](BranchCommands& c) { return c.create_branch(t, r); });
    } else if (only(get, "GET, POST")) {
      list_branches(request, t, respond);
    }
    return true;
  }
  const std::string& name = path[4];
  if (path.size() == 5) {
    if (method == "DELETE") {
      change(request, respond, 200,
             [t, name](BranchCommands& c) { return c.delete_branch(t, name); });
    } else if (method == "PATCH") {
      auto parsed = parse_branch_settings(request.body);
      if (!parsed) {
        respond(error_response(parsed.error(), request.request_id));
        return true;
      }
      change(request, respond, 200,
             [t, name, r = *parsed](BranchCommands& c) { return c.change_branch(t, name, r); });
    } else if (only(get, "GET, PATCH, DELETE")) {
      read(request, respond, [t, name](const BranchCommands& c) -> Result<json::object> {
        auto branch = c.view().find_branch(t, name);
        return branch ? Result<json::object>(branch_json(c, **branch)) : branch.error();
      });
    }
    return true;
  }
  if (path.size() != 6) {
    return false;
  }
  if (path[5] == "lsn_by_timestamp") {
    if (only(get, "GET")) {
      lsn_by_timestamp(request, t, name, respond);
    }
    return true;
  }
  if (path[5] == "restore") {
    if (only(method == "POST", "POST")) {
      auto parsed = parse_restore_branch(request.body);
      if (!parsed) {
        respond(error_response(parsed.error(), request.request_id));
        return true;
      }
      change(request, respond, 200,
             [t, name, r = *parsed](BranchCommands& c) { return c.restore_branch(t, name, r); });
    }
    return true;
  }
  if (path[5] == "reset") {
    if (only(method == "POST", "POST")) {
      change(request, respond, 200,
             [t, name](BranchCommands& c) { return c.reset_branch(t, name); });
    }
    return true;
  }
  return false;
}

bool BranchRoutes::snapshots(const ApiRequest& request, const consensus::TenantId& t,
                             const std::vector<std::string>& path, Respond& respond) {
  const std::string& method = request.method;
  if (path.size() == 4) {
    if (method == "POST") {
      auto parsed = parse_register_snapshot(request.body);
      if (!parsed) {
        respond(error_response(parsed.error(), request.request_id));
        return true;
      }
      change(request, respond, 201,
             [t, r = *parsed](BranchCommands& c) { return c.register_snapshot(t, r); });
    } else if (method == "GET" || method == "HEAD") {
      read(request, respond, [t](const BranchCommands& c) -> Result<json::object> {
        if (auto tenant = c.view().find_tenant(t); !tenant) {
          return tenant.error();
        }
        json::array list;
        for (const branchmgr::Snapshot& s : c.view().snapshots(t)) {
          json::object snapshot = snapshot_json(c.view(), s);
          // Removable: no start of any branch would restore from it (the delete rule).
          snapshot["removable"] = c.view().snapshot_to_delete(t, s.id).has_value();
          list.push_back(std::move(snapshot));
        }
        return json::object{{"snapshots", std::move(list)}};
      });
    } else {
      respond(method_not_allowed_response(request, "GET, POST"));
    }
    return true;
  }
  if (path.size() != 5) {
    return false;
  }
  if (method != "DELETE") {
    respond(method_not_allowed_response(request, "DELETE"));
    return true;
  }
  auto id = parse_id<consensus::SnapshotId>("snapshot id", path[4]);
  if (!id) {
    respond(error_response(id.error(), request.request_id));
    return true;
  }
  change(request, respond, 200,
         [t, id = *id](BranchCommands& c) { return c.delete_snapshot(t, id); });
  return true;
}

void BranchRoutes::list_branches(const ApiRequest& request, const consensus::TenantId& t,
                                 const Respond& respond) {
  auto page = parse_page(request.target);
  if (!page) {
    respond(error_response(page.error(), request.request_id));
    return;
  }
  read(request, respond, [t, page = *page](const BranchCommands& c) -> Result<json::object> {
    if (auto tenant = c.view().find_tenant(t); !tenant) {
      return tenant.error();
    }
    json::array list;
    json::value next = nullptr;
    for (const branchmgr::Branch& branch : c.view().branches(t)) {
      if (page.after && branch.name <= *page.after) {
        continue;
      }
      if (list.size() == page.limit) {
        next = page_cursor(list.back().as_object().at("name").as_string());
        break;
      }
      list.push_back(branch_json(c, branch));
    }
    return json::object{{"branches", std::move(list)},
                        {"pagination", json::object{{"next", next}}}};
  });
}

void BranchRoutes::lsn_by_timestamp(const ApiRequest& request, const consensus::TenantId& t,
                                    const std::string& name_or_id, const Respond& respond) {
  const auto text = query_parameter(request.target, "timestamp");
  const auto t_us = text ? branchmgr::parse_rfc3339(*text) : std::nullopt;
  if (!t_us) {
    respond(error_response(Error(ErrorCode::kInvalidArgument,
                                 "query parameter 'timestamp' must be an RFC 3339 time (e.g. "
                                 "2026-11-24T10:15:30Z; send '+' as %2B)"),
                           request.request_id));
    return;
  }
  read(request, respond,
       [t, name_or_id, at = *t_us](const BranchCommands& c) -> Result<json::object> {
         auto branch = c.view().find_branch(t, name_or_id);
         if (!branch) {
           return branch.error();
         }
         auto as_of = c.as_of_timestamp(**branch, at);
         if (!as_of) {
           return as_of.error();
         }
         return json::object{{"timestamp", branchmgr::format_rfc3339(at)},
                             {"kind", branchmgr::timestamp_kind_name(as_of->kind)},
                             {"lsn", lsn_json(as_of->lsn)}};
       });
}

}  // namespace sk::safekeeper
