// BranchRoutes; see branch_routes.h.
#include "safekeeper/server/branch_routes.h"

#include <chrono>
#include <random>
#include <variant>

#include <boost/json.hpp>

#include "branchmgr/commit_times.h"
#include "branchmgr/log_records.h"
#include "branchmgr/rfc3339.h"
#include "safekeeper/branchlog/composed_wal.h"
#include "safekeeper/pgwal/first_record.h"
#include "safekeeper/pgwal/wal_format.h"
#include "safekeeper/server/api_json.h"
#include "safekeeper/server/branch_requests.h"

namespace sk::safekeeper {

namespace json = boost::json;
using branchmgr::Branch;
using branchmgr::BranchView;
using consensus::Lsn;
using Respond = ApiRoutes::Respond;

namespace {

// How long a change may wait for a quorum before the client is told it failed.
constexpr auto kWriteDeadline = std::chrono::seconds(5);
constexpr std::size_t kDefaultPageSize = 100;
constexpr std::size_t kMaxPageSize = 1000;

template <class Id>
Id random_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  typename Id::Bytes bytes{};
  for (std::size_t i = 0; i < bytes.size(); i += 8) {
    const std::uint64_t word = random();
    for (std::size_t k = 0; k < 8; ++k) {
      bytes[i + k] = static_cast<std::uint8_t>(word >> (8 * k));
    }
  }
  return Id(bytes);
}

std::int64_t now_unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

proto::BranchLogEntry new_entry(proto::BranchLogChange change) {
  return {random_id<consensus::ProposalId>(), now_unix_us(), std::move(change)};
}

json::value lsn_json(std::optional<Lsn> lsn) {
  return lsn ? json::value(lsn->to_string()) : json::value(nullptr);
}

std::string hex_of(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

std::optional<std::string> unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    for (char c : hex.substr(i, 2)) {
      const int digit = consensus::hex_digit(c);
      if (digit < 0) {
        return std::nullopt;
      }
      value = value * 16 + static_cast<unsigned>(digit);
    }
    out.push_back(static_cast<char>(value));
  }
  return out;
}

Error not_found(std::string what) {
  return Error(ErrorCode::kNotFound, std::move(what));
}

// A change ready to be proposed, and the status its success is answered with.
struct Change {
  proto::BranchLogEntry entry;
  int success_status = 201;
};
// What a write decides on the worker thread: an answer now, or a change to propose.
using Decision = std::variant<ApiResponse, Change>;

}  // namespace

struct BranchRoutes::Impl : std::enable_shared_from_this<Impl> {
  Impl(Node& n, StorageWorker& w, BranchLogApplier& a, const CommitTimeIndexer& c,
       BranchLogWriter* wr, ApiRoutes::RunOnIo r)
      : node(n), worker(w), applier(a), commit_times(c), writer(wr), run_on_io(std::move(r)) {}

  Node& node;
  StorageWorker& worker;
  BranchLogApplier& applier;
  const CommitTimeIndexer& commit_times;
  BranchLogWriter* writer;
  ApiRoutes::RunOnIo run_on_io;

  // ----- Worker thread: the view and the timelines ----------------------------------------

  const Timeline* timeline_of(const Branch& branch) const {
    return node.timeline({branch.tenant_id, branch.timeline_id});
  }

  // The end of the branch's committed WAL, as far as this node knows: its own timeline's commit
  // LSN, or where it left its parent while it has no WAL of its own. nullopt: a root branch
  // without any WAL yet.
  std::optional<Lsn> head_of(const Branch& branch) const {
    std::optional<Lsn> head;
    if (branch.parent_timeline_id) {
      head = branch.branch_lsn;
    }
    if (const Timeline* own = timeline_of(branch)) {
      const Lsn committed = own->acceptor().state().commit_lsn;
      if (!head || committed > *head) {
        head = committed;
      }
    }
    return head;
  }

  // Where the branch's history begins: its root's timeline start. nullopt when the root's
  // timeline is not hosted here.
  std::optional<Lsn> history_start_of(const BranchView& view, const Branch& branch) const {
    const Branch root = view.ancestry(branch).back();
    if (const Timeline* timeline = timeline_of(root)) {
      return timeline->acceptor().state().identity.timeline_start_lsn;
    }
    return std::nullopt;
  }

  static const Branch* find_branch(const BranchView& view, const consensus::TenantId& tenant,
                                   const std::string& name_or_id) {
    if (const Branch* named = view.branch_named(tenant, name_or_id)) {
      return named;
    }
    auto id = consensus::TimelineId::parse_hex(name_or_id);
    return id ? view.branch_with_timeline(tenant, *id) : nullptr;
  }

  json::object tenant_json(const BranchView& view, const branchmgr::Tenant& tenant) const {
    return {{"tenant_id", tenant.id.to_hex()},
            {"name", tenant.name},
            {"created_at", branchmgr::format_rfc3339(tenant.created_at_us)},
            {"branches", view.branches(tenant.id).size()}};
  }

  json::object branch_json(const BranchView& view, const Branch& branch) const {
    json::value parent = nullptr;
    json::value parent_timeline = nullptr;
    if (branch.parent_timeline_id) {
      parent_timeline = branch.parent_timeline_id->to_hex();
      if (const Branch* p =
              view.branch_with_timeline(branch.tenant_id, *branch.parent_timeline_id)) {
        parent = p->name;
      }
    }
    return {{"tenant_id", branch.tenant_id.to_hex()},
            {"name", branch.name},
            {"timeline_id", branch.timeline_id.to_hex()},
            {"parent", parent},
            {"parent_timeline_id", parent_timeline},
            {"lsn",
             lsn_json(branch.parent_timeline_id ? std::optional(branch.branch_lsn) : std::nullopt)},
            {"head_lsn", lsn_json(head_of(branch))},
            {"created_at", branchmgr::format_rfc3339(branch.created_at_us)},
            {"updated_at", branchmgr::format_rfc3339(branch.updated_at_us)}};
  }

  json::object snapshot_json(const BranchView& view, const branchmgr::Snapshot& s) const {
    const Branch* branch = view.branch_with_timeline(s.tenant_id, s.timeline_id);
    return {{"snapshot_id", s.id.to_hex()},
            {"tenant_id", s.tenant_id.to_hex()},
            {"branch", branch != nullptr ? json::value(branch->name) : json::value(nullptr)},
            {"timeline_id", s.timeline_id.to_hex()},
            {"start_lsn", s.start_lsn.to_string()},
            {"end_lsn", s.end_lsn.to_string()},
            {"location", s.location},
            {"checksum", s.checksum},
            {"size_bytes", s.size_bytes},
            {"created_at", branchmgr::format_rfc3339(s.created_at_us)}};
  }

  json::object object_json(const BranchView& view, const branchmgr::Outcome& outcome) const {
    if (const auto* tenant = std::get_if<branchmgr::Tenant>(&outcome.object)) {
      return tenant_json(view, *tenant);
    }
    if (const auto* branch = std::get_if<Branch>(&outcome.object)) {
      return branch_json(view, *branch);
    }
    if (const auto* snapshot = std::get_if<branchmgr::Snapshot>(&outcome.object)) {
      return snapshot_json(view, *snapshot);
    }
    return {};
  }

  // ----- Plumbing -------------------------------------------------------------------------

  void answer(const Respond& respond, ApiResponse response) {
    run_on_io([respond, response = std::move(response)] { respond(response); });
  }

  // Runs `read` against the view on the worker thread.
  void read(const ApiRequest& request, const Respond& respond,
            std::function<Result<json::object>(const BranchView&)> reader) {
    worker.post([self = shared_from_this(), request_id = request.request_id, respond,
                 reader = std::move(reader)] {
      if (self->applier.failure()) {
        self->answer(respond, error_response(*self->applier.failure(), request_id));
        return;
      }
      auto body = reader(self->applier.view());
      self->answer(respond,
                   body ? json_response(200, *body) : error_response(body.error(), request_id));
    });
  }

  // Decides on the worker thread; proposes the change on the I/O thread; answers from the
  // outcome of applying it, on the worker thread again.
  void write(const ApiRequest& request, const Respond& respond,
             std::function<Result<Decision>(const BranchView&)> decide) {
    if (writer == nullptr) {
      respond(error_response(
          Error(ErrorCode::kUnavailable,
                "this safekeeper runs without --peers: it holds no branch log to change"),
          request.request_id));
      return;
    }
    worker.post([self = shared_from_this(), request_id = request.request_id, respond,
                 decide = std::move(decide)] {
      if (self->applier.failure()) {
        self->answer(respond, error_response(*self->applier.failure(), request_id));
        return;
      }
      auto decision = decide(self->applier.view());
      if (!decision) {
        self->answer(respond, error_response(decision.error(), request_id));
        return;
      }
      if (auto* now = std::get_if<ApiResponse>(&*decision)) {
        self->answer(respond, std::move(*now));
        return;
      }
      Change change = std::get<Change>(std::move(*decision));
      self->run_on_io([self, request_id, respond, change = std::move(change)] {
        self->writer->propose(
            branchmgr::encode_record(change.entry), BranchLogWriter::Clock::now() + kWriteDeadline,
            [self, request_id, respond, change](Result<Lsn> committed) {
              if (!committed) {
                respond(error_response(committed.error(), request_id));
                return;
              }
              self->worker.post([self, request_id, respond, change, end = *committed] {
                self->answer(respond, self->answer_for(change, end, request_id));
              });
            });
      });
    });
  }

  ApiResponse answer_for(const Change& change, Lsn end, const std::string& request_id) {
    const branchmgr::Outcome* outcome = applier.view().outcome(change.entry.proposal_id);
    if (outcome == nullptr) {
      return error_response(
          Error(ErrorCode::kUnavailable,
                "the change is committed (branch log LSN " + end.to_string() +
                    ") but not yet applied on this safekeeper; read it again shortly"),
          request_id);
    }
    if (outcome->error) {
      return error_response(*outcome->error, request_id);
    }
    return json_response(change.success_status, object_json(applier.view(), *outcome));
  }

  // ----- Routes ---------------------------------------------------------------------------

  void create_tenant(const ApiRequest& request, const Respond& respond) {
    auto parsed = parse_create_tenant(request.body);
    if (!parsed) {
      respond(error_response(parsed.error(), request.request_id));
      return;
    }
    write(request, respond,
          [self = shared_from_this(), r = *parsed](const BranchView& view) -> Result<Decision> {
            const consensus::TenantId id = r.tenant_id.value_or(random_id<consensus::TenantId>());
            if (const branchmgr::Tenant* existing = view.tenant(id)) {
              if (existing->name != r.name) {
                return Error(
                    ErrorCode::kAlreadyExists,
                    "tenant " + id.to_hex() + " exists with the name '" + existing->name + "'");
              }
              return Decision(json_response(201, self->tenant_json(view, *existing)));
            }
            return Decision(Change{new_entry(proto::TenantCreated{id, r.name}), 201});
          });
  }

  void create_branch(const ApiRequest& request, const consensus::TenantId& tenant,
                     const Respond& respond) {
    auto parsed = parse_create_branch(request.body);
    if (!parsed) {
      respond(error_response(parsed.error(), request.request_id));
      return;
    }
    write(request, respond,
          [self = shared_from_this(), tenant, r = *parsed, key = request.idempotency_key](
              const BranchView& view) { return self->decide_create_branch(view, tenant, r, key); });
  }

  Result<Decision> decide_create_branch(const BranchView& view, const consensus::TenantId& tenant,
                                        const CreateBranchRequest& r, const std::string& key) {
    if (view.tenant(tenant) == nullptr) {
      return not_found("tenant " + tenant.to_hex() + " does not exist");
    }
    const Branch* parent = nullptr;
    if (r.parent) {
      parent = find_branch(view, tenant, *r.parent);
      if (parent == nullptr) {
        return not_found("parent branch '" + *r.parent + "' does not exist in tenant " +
                         tenant.to_hex());
      }
    }
    proto::BranchCreated created;
    created.tenant_id = tenant;
    created.name = r.name;
    created.parent_timeline_id =
        parent ? std::optional(parent->timeline_id) : std::optional<consensus::TimelineId>();
    created.idempotency_key = key;
    created.request_fingerprint = r.fingerprint;
    created.lsn_chosen = r.lsn.has_value() || r.timestamp_us.has_value();
    created.timeline_id_chosen = r.timeline_id.has_value();
    created.branch_lsn = r.lsn.value_or(Lsn());
    if (r.timeline_id) {
      created.timeline_id = *r.timeline_id;
    } else {
      do {
        created.timeline_id = random_id<consensus::TimelineId>();
      } while (view.timeline_used(created.timeline_id));
    }
    // Without a key, an identical repeat is answered from the view and a conflict refused before
    // anything else; a key is the view's to match when the entry applies. As of a timestamp,
    // the LSN is resolved first.
    if (key.empty() && !r.timestamp_us) {
      if (const Branch* same = view.repeats(created)) {
        return Decision(json_response(201, branch_json(view, *same)));
      }
      if (std::optional<Error> refusal = view.check(created)) {
        return *refusal;
      }
    }
    if (parent != nullptr) {
      auto lsn = resolve_branch_point(view, *parent, r);
      if (!lsn) {
        return lsn.error();
      }
      created.branch_lsn = *lsn;
    }
    if (key.empty()) {
      if (std::optional<Error> refusal = view.check(created)) {
        return *refusal;
      }
    }
    return Decision(Change{new_entry(std::move(created)), 201});
  }

  // The LSN a new child of `parent` starts at: the one asked for, checked against the parent's
  // history on this node, or the parent's head.
  Result<Lsn> resolve_branch_point(const BranchView& view, const Branch& parent,
                                   const CreateBranchRequest& r) {
    const std::optional<Lsn> head = head_of(parent);
    const std::optional<Lsn> start = history_start_of(view, parent);
    if (!head || !start) {
      return Error(ErrorCode::kFailedPrecondition,
                   "branch '" + parent.name +
                       "' has no WAL on this safekeeper yet: start a compute on it first");
    }
    if (r.timestamp_us) {
      auto as_of = as_of_timestamp(view, parent, *r.timestamp_us);
      if (!as_of) {
        return as_of.error();
      }
      const std::string when = branchmgr::format_rfc3339(*r.timestamp_us);
      switch (as_of->kind) {
        case branchmgr::TimestampKind::kPast:
        case branchmgr::TimestampKind::kPresent:
          return *as_of->lsn;
        case branchmgr::TimestampKind::kFuture:
          return Error(ErrorCode::kInvalidArgument,
                       "timestamp " + when + " is in the future: branch '" + parent.name +
                           "' has no history there yet (its last commit ends at " +
                           as_of->lsn->to_string() + ")");
        case branchmgr::TimestampKind::kBeforeData:
          return Error(ErrorCode::kInvalidArgument,
                       "timestamp " + when +
                           " is before any commit in the retained history of "
                           "branch '" +
                           parent.name + "'");
      }
    }
    if (!r.lsn) {
      return *head;
    }
    if (*r.lsn < *start || *r.lsn > *head) {
      return Error(ErrorCode::kInvalidArgument,
                   "LSN " + r.lsn->to_string() + " is not in the retained history of branch '" +
                       parent.name + "' [" + start->to_string() + ", " + head->to_string() + "]");
    }
    if (r.lsn->value() % 8 != 0) {
      return Error(ErrorCode::kInvalidArgument,
                   "LSN " + r.lsn->to_string() +
                       " is not a record boundary (WAL records start 8-byte aligned)");
    }
    if (*r.lsn != *head && *r.lsn != *start) {
      auto boundary = record_boundary(parent, *r.lsn);
      if (!boundary) {
        return boundary.error();
      }
      if (!*boundary) {
        return Error(ErrorCode::kInvalidArgument,
                     "LSN " + r.lsn->to_string() + " is not a record boundary of branch '" +
                         parent.name +
                         "': it falls inside a WAL record (the end of a commit, as "
                         "lsn_by_timestamp gives, is one)");
      }
    }
    return *r.lsn;
  }

  // Whether a record of the branch's composed log ends at `lsn`: where PostgreSQL's recovery
  // of a compute on the new branch will stop.
  Result<bool> record_boundary(const Branch& branch, Lsn lsn) const {
    const ComposedWal wal([this](const storage::TimelineKey& key) { return node.timeline(key); },
                          &applier);
    auto composition = wal.compose({branch.tenant_id, branch.timeline_id});
    if (!composition) {
      return composition.error();
    }
    const Lsn page = pgwal::boundary_check_page(lsn);
    const Lsn from = std::max(page, composition->identity.timeline_start_lsn);
    const Lsn until = std::min(composition->committed, lsn.plus_bytes(pgwal::kWalPageSizeBytes));
    if (from != page || until < lsn) {
      return true;  // Its page begins before the history held here: cannot be told; accepted.
    }
    auto bytes = ComposedWal::read(*composition, from, until);
    if (!bytes) {
      return bytes.error();
    }
    return pgwal::is_record_boundary(*bytes, page, lsn, composition->identity.wal_seg_size_bytes);
  }

  // "As of T" on `branch`: its ancestry's commit-time indexes, each up to its child's branch
  // point. kUnavailable while an index has not caught up with the WAL it must cover.
  Result<branchmgr::LsnForTimestamp> as_of_timestamp(const BranchView& view, const Branch& branch,
                                                     std::int64_t t_us) const {
    const std::vector<Branch> chain = view.ancestry(branch);  // The branch first.
    std::vector<branchmgr::AncestryLevel> levels;
    for (std::size_t i = chain.size(); i-- > 0;) {
      const Branch& level = chain[i];
      const Lsn limit = i > 0 ? chain[i - 1].branch_lsn : consensus::kMaxLsn;
      const storage::TimelineKey key{level.tenant_id, level.timeline_id};
      const Timeline* timeline = node.timeline(key);
      const CommitTimeIndexer::Indexed* indexed = commit_times.indexed(key);
      if (timeline == nullptr || indexed == nullptr) {
        levels.push_back({nullptr, limit});
        continue;
      }
      if (indexed->failure) {
        return Error(indexed->failure->code(), "the commit-time index of branch '" + level.name +
                                                   "' stopped: " + indexed->failure->message());
      }
      const Lsn needed =
          std::min(limit, std::min(timeline->acceptor().state().commit_lsn, timeline->flush_lsn()));
      if (commit_times.indexed_lsn(key) < needed) {
        return Error(ErrorCode::kUnavailable,
                     "the commit-time index of branch '" + level.name + "' is at " +
                         commit_times.indexed_lsn(key).to_string() + ", catching up to " +
                         needed.to_string() + "; retry shortly");
      }
      levels.push_back({&indexed->commits, limit});
    }
    return branchmgr::lsn_for_timestamp(levels, t_us, now_unix_us());
  }

  void lsn_by_timestamp(const ApiRequest& request, const consensus::TenantId& tenant,
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
         [self = shared_from_this(), tenant, name_or_id,
          t = *t_us](const BranchView& view) -> Result<json::object> {
           const Branch* branch = find_branch(view, tenant, name_or_id);
           if (branch == nullptr) {
             return not_found("branch '" + name_or_id + "' does not exist in tenant " +
                              tenant.to_hex());
           }
           auto as_of = self->as_of_timestamp(view, *branch, t);
           if (!as_of) {
             return as_of.error();
           }
           return json::object{{"timestamp", branchmgr::format_rfc3339(t)},
                               {"kind", branchmgr::timestamp_kind_name(as_of->kind)},
                               {"lsn", lsn_json(as_of->lsn)}};
         });
  }

  void delete_branch(const ApiRequest& request, const consensus::TenantId& tenant,
                     const std::string& name_or_id, const Respond& respond) {
    write(request, respond, [tenant, name_or_id](const BranchView& view) -> Result<Decision> {
      const Branch* branch = find_branch(view, tenant, name_or_id);
      if (branch == nullptr) {
        return not_found("branch '" + name_or_id + "' does not exist in tenant " + tenant.to_hex());
      }
      const proto::BranchDeleted deleted{tenant, branch->timeline_id};
      if (std::optional<Error> refusal = view.check(deleted)) {
        return *refusal;
      }
      return Decision(Change{new_entry(deleted), 200});
    });
  }

  void reset_branch(const ApiRequest& request, const consensus::TenantId& tenant,
                    const std::string& name_or_id, const Respond& respond) {
    write(request, respond,
          [self = shared_from_this(), tenant,
           name_or_id](const BranchView& view) -> Result<Decision> {
            const Branch* branch = find_branch(view, tenant, name_or_id);
            if (branch == nullptr) {
              return not_found("branch '" + name_or_id + "' does not exist in tenant " +
                               tenant.to_hex());
            }
            proto::BranchReset reset{tenant, branch->timeline_id, {}, Lsn()};
            do {
              reset.new_timeline_id = random_id<consensus::TimelineId>();
            } while (view.timeline_used(reset.new_timeline_id));
            if (std::optional<Error> refusal = view.check(reset)) {
              return *refusal;
            }
            const Branch* parent = view.branch_with_timeline(tenant, *branch->parent_timeline_id);
            const std::optional<Lsn> head = parent ? self->head_of(*parent) : std::nullopt;
            if (!head) {
              return Error(ErrorCode::kFailedPrecondition,
                           "the parent of branch '" + branch->name + "' has no WAL here yet");
            }
            reset.branch_lsn = *head;
            return Decision(Change{new_entry(reset), 200});
          });
  }

  void register_snapshot(const ApiRequest& request, const consensus::TenantId& tenant,
                         const Respond& respond) {
    auto parsed = parse_register_snapshot(request.body);
    if (!parsed) {
      respond(error_response(parsed.error(), request.request_id));
      return;
    }
    write(request, respond, [tenant, r = *parsed](const BranchView& view) -> Result<Decision> {
      if (view.tenant(tenant) == nullptr) {
        return not_found("tenant " + tenant.to_hex() + " does not exist");
      }
      const Branch* branch = find_branch(view, tenant, r.branch);
      if (branch == nullptr) {
        return not_found("branch '" + r.branch + "' does not exist in tenant " + tenant.to_hex());
      }
      return Decision(Change{
          new_entry(proto::SnapshotRegistered{
              tenant, r.snapshot_id.value_or(random_id<consensus::SnapshotId>()),
              branch->timeline_id, r.start_lsn, r.end_lsn, r.location, r.checksum, r.size_bytes}),
          201});
    });
  }

  // The rule is the view's (snapshot_to_delete), checked here and again when the entry applies.
  void delete_snapshot(const ApiRequest& request, const consensus::TenantId& tenant,
                       const std::string& id_text, const Respond& respond) {
    auto id = parse_id<consensus::SnapshotId>("snapshot id", id_text);
    if (!id) {
      respond(error_response(id.error(), request.request_id));
      return;
    }
    write(request, respond, [tenant, id = *id](const BranchView& view) -> Result<Decision> {
      if (auto deletable = view.snapshot_to_delete(tenant, id); !deletable) {
        return deletable.error();
      }
      return Decision(Change{new_entry(proto::SnapshotDeleted{tenant, id}), 200});
    });
  }

  void list_branches(const ApiRequest& request, const consensus::TenantId& tenant,
                     const Respond& respond) {
    std::size_t limit = kDefaultPageSize;
    if (auto text = query_parameter(request.target, "limit")) {
      char* end = nullptr;
      const unsigned long long n = std::strtoull(text->c_str(), &end, 10);
      if (text->empty() || *end != '\0' || n < 1 || n > kMaxPageSize) {
        respond(error_response(
            Error(ErrorCode::kInvalidArgument,
                  "limit '" + *text + "' must be from 1 to " + std::to_string(kMaxPageSize)),
            request.request_id));
        return;
      }
      limit = static_cast<std::size_t>(n);
    }
    std::optional<std::string> after;
    if (auto cursor = query_parameter(request.target, "cursor")) {
      after = unhex(*cursor);
      if (!after) {
        respond(error_response(
            Error(ErrorCode::kInvalidArgument, "cursor '" + *cursor + "' is not one we gave"),
            request.request_id));
        return;
      }
    }
    read(request, respond,
         [self = shared_from_this(), tenant, limit,
          after](const BranchView& view) -> Result<json::object> {
           if (view.tenant(tenant) == nullptr) {
             return not_found("tenant " + tenant.to_hex() + " does not exist");
           }
           json::array list;
           json::value next = nullptr;
           for (const Branch& branch : view.branches(tenant)) {
             if (after && branch.name <= *after) {
               continue;
             }
             if (list.size() == limit) {
               next = hex_of(list.back().as_object().at("name").as_string());
               break;
             }
             list.push_back(self->branch_json(view, branch));
           }
           return json::object{{"branches", std::move(list)},
                               {"pagination", json::object{{"next", next}}}};
         });
  }
};

BranchRoutes::BranchRoutes(Node& node, StorageWorker& worker, BranchLogApplier& applier,
                           const CommitTimeIndexer& commit_times, BranchLogWriter* writer,
                           ApiRoutes::RunOnIo run_on_io)
    : impl_(std::make_shared<Impl>(node, worker, applier, commit_times, writer,
                                   std::move(run_on_io))) {}

bool BranchRoutes::handle(const ApiRequest& request, const std::vector<std::string>& path,
                          Respond& respond) {
  if (path.size() < 2 || path[0] != "v1" || path[1] != "tenants" ||
      (path.size() >= 4 && path[3] == "timelines")) {
    return false;
  }
  auto not_allowed = [&](const std::string& allow) {
    respond(method_not_allowed_response(request, allow));
    return true;
  };
  const std::string& method = request.method;
  const bool get = method == "GET" || method == "HEAD";
  Impl& impl = *impl_;
  if (path.size() == 2) {
    if (method == "POST") {
      impl.create_tenant(request, respond);
    } else if (get) {
      impl.read(request, respond, [self = impl_](const BranchView& view) -> Result<json::object> {
        json::array list;
        for (const branchmgr::Tenant& tenant : view.tenants()) {
          list.push_back(self->tenant_json(view, tenant));
        }
        return json::object{{"tenants", std::move(list)}};
      });
    } else {
      return not_allowed("GET, POST");
    }
    return true;
  }
  auto tenant = parse_id<consensus::TenantId>("tenant id", path[2]);
  if (!tenant) {
    respond(error_response(tenant.error(), request.request_id));
    return true;
  }
  const consensus::TenantId t = *tenant;
  if (path.size() == 3) {
    if (!get) {
      return not_allowed("GET");
    }
    impl.read(request, respond, [self = impl_, t](const BranchView& view) -> Result<json::object> {
      const branchmgr::Tenant* found = view.tenant(t);
      if (found == nullptr) {
        return not_found("tenant " + t.to_hex() + " does not exist");
      }
      return self->tenant_json(view, *found);
    });
    return true;
  }
  if (path.size() == 4 && path[3] == "branches") {
    if (method == "POST") {
      impl.create_branch(request, t, respond);
    } else if (get) {
      impl.list_branches(request, t, respond);
    } else {
      return not_allowed("GET, POST");
    }
    return true;
  }
  if (path.size() == 5 && path[3] == "branches") {
    const std::string& name = path[4];
    if (method == "DELETE") {
      impl.delete_branch(request, t, name, respond);
    } else if (get) {
      impl.read(
          request, respond,
          [self = impl_, t, name](const BranchView& view) -> Result<json::object> {
            const Branch* branch = Impl::find_branch(view, t, name);
            if (branch == nullptr) {
              return not_found("branch '" + name + "' does not exist in tenant " + t.to_hex());
            }
            return self->branch_json(view, *branch);
          });
    } else {
      return not_allowed("GET, DELETE");
    }
    return true;
  }
  if (path.size() == 6 && path[3] == "branches" && path[5] == "lsn_by_timestamp") {
    if (!get) {
      return not_allowed("GET");
    }
    impl.lsn_by_timestamp(request, t, path[4], respond);
    return true;
  }
  if (path.size() == 6 && path[3] == "branches" && path[5] == "reset") {
    if (method != "POST") {
      return not_allowed("POST");
    }
    impl.reset_branch(request, t, path[4], respond);
    return true;
  }
  if (path.size() == 4 && path[3] == "snapshots") {
    if (method == "POST") {
      impl.register_snapshot(request, t, respond);
    } else if (get) {
      impl.read(request, respond,
                [self = impl_, t](const BranchView& view) -> Result<json::object> {
                  if (view.tenant(t) == nullptr) {
                    return not_found("tenant " + t.to_hex() + " does not exist");
                  }
                  json::array list;
                  for (const branchmgr::Snapshot& s : view.snapshots(t)) {
                    list.push_back(self->snapshot_json(view, s));
                  }
                  return json::object{{"snapshots", std::move(list)}};
                });
    } else {
      return not_allowed("GET, POST");
    }
    return true;
  }
  if (path.size() == 5 && path[3] == "snapshots") {
    if (method != "DELETE") {
      return not_allowed("DELETE");
    }
    impl.delete_snapshot(request, t, path[4], respond);
    return true;
  }
  return false;
}

}  // namespace sk::safekeeper
