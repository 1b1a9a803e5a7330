// Branch API request bodies; see branch_requests.h.
#include "safekeeper/server/branch_requests.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <boost/json.hpp>

#include "branchmgr/duration.h"
#include "branchmgr/rfc3339.h"
#include "safekeeper/pgwal/segment_name.h"
#include "safekeeper/server/request_target.h"

namespace sk::safekeeper {

namespace json = boost::json;

namespace {

Error bad(std::string message) {
  return Error(ErrorCode::kInvalidArgument, std::move(message));
}

enum class FieldType : std::uint8_t { kString, kUnsigned, kBool, kStringOrNull };

const char* type_name(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "a string";
    case FieldType::kUnsigned:
      return "a non-negative integer";
    case FieldType::kBool:
      return "true or false";
    case FieldType::kStringOrNull:
      break;
  }
  return "a string or null";
}

bool fits(FieldType type, const json::value& value) {
  switch (type) {
    case FieldType::kString:
      return value.is_string();
    case FieldType::kUnsigned:
      return value.is_uint64() || (value.is_int64() && value.as_int64() >= 0);
    case FieldType::kBool:
      return value.is_bool();
    case FieldType::kStringOrNull:
      break;
  }
  return value.is_string() || value.is_null();
}

// The body as an object whose fields are all among `fields`, each of its type.
Result<json::object> parse_object(std::string_view body,
                                  const std::map<std::string, FieldType>& fields) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) {
    return bad("the request body is not JSON: " + ec.message());
  }
  if (!parsed.is_object()) {
    return bad("the request body must be a JSON object");
  }
  for (const auto& [key, value] : parsed.as_object()) {
    auto it = fields.find(std::string(key));
    if (it == fields.end()) {
      std::string known;
      for (const auto& [name, type] : fields) {
        known += (known.empty() ? "" : ", ") + name;
      }
      return bad("unknown field '" + std::string(key) + "' (known: " + known + ")");
    }
    if (!fits(it->second, value)) {
      return bad("field '" + std::string(key) + "' must be " + type_name(it->second));
    }
  }
  return std::move(parsed.as_object());
}

std::optional<std::string> string_field(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value == nullptr || !value->is_string() ? std::nullopt
                                                 : std::optional<std::string>(value->as_string());
}

template <class Id>
Result<std::optional<Id>> id_field(const json::object& object, std::string_view name) {
  auto text = string_field(object, name);
  if (!text) {
    return std::optional<Id>();
  }
  auto id = Id::parse_hex(*text);
  if (!id) {
    return bad("field '" + std::string(name) + "': '" + *text + "' is not 32 hex digits");
  }
  return std::optional<Id>(*id);
}

Result<std::optional<consensus::Lsn>> lsn_field(const json::object& object, std::string_view name) {
  auto text = string_field(object, name);
  if (!text) {
    return std::optional<consensus::Lsn>();
  }
  auto lsn = consensus::Lsn::parse(*text);
  if (!lsn) {
    return bad("field '" + std::string(name) + "': '" + *text + "' is not an LSN (X/X)");
  }
  return lsn;
}

// A point of a history: fields "lsn" or "timestamp" (RFC 3339), or neither for `head`.
struct PointFields {
  std::optional<consensus::Lsn> lsn;
  std::optional<std::int64_t> timestamp_us;
};
Result<PointFields> point_fields(const json::object& object, const std::string& head) {
  PointFields point;
  auto lsn = lsn_field(object, "lsn");
  if (!lsn) {
    return lsn.error();
  }
  point.lsn = *lsn;
  if (auto text = string_field(object, "timestamp")) {
    point.timestamp_us = branchmgr::parse_rfc3339(*text);
    if (!point.timestamp_us) {
      return bad("field 'timestamp': '" + *text +
                 "' is not an RFC 3339 time (e.g. 2026-11-24T10:15:30Z)");
    }
  }
  if (point.lsn && point.timestamp_us) {
    return bad("fields 'lsn' and 'timestamp' exclude each other: give one, or neither for " + head);
  }
  return point;
}

bool is_hex32(std::string_view text) {
  return consensus::TimelineId::parse_hex(text).has_value();
}

// Field `name`, a duration ("7d", "24h", "1h30m"), in seconds; nullopt when absent.
Result<std::optional<std::uint64_t>> duration_field(const json::object& object,
                                                    std::string_view name) {
  auto text = string_field(object, name);
  if (!text) {
    return std::optional<std::uint64_t>();
  }
  auto seconds = branchmgr::parse_duration(*text);
  if (!seconds) {
    return bad("field '" + std::string(name) + "': '" + *text +
               "' is not a duration (a whole number and a unit, s m h or d: 7d, 24h, 1h30m)");
  }
  return std::optional<std::uint64_t>(*seconds);
}

// The lifecycle fields a create or a PATCH may carry.
const std::map<std::string, FieldType> kLifecycleFields = {{"protected", FieldType::kBool},
                                                           {"expires_at", FieldType::kStringOrNull},
                                                           {"ttl", FieldType::kString}};

Result<BranchLifecycle> lifecycle_fields(const json::object& object) {
  BranchLifecycle lifecycle;
  if (const json::value* value = object.if_contains("protected")) {
    lifecycle.is_protected = value->as_bool();
  }
  if (const json::value* value = object.if_contains("expires_at")) {
    if (value->is_null()) {
      lifecycle.expires_at_us = 0;  // Never.
    } else {
      lifecycle.expires_at_us = branchmgr::parse_rfc3339(value->as_string());
      if (!lifecycle.expires_at_us) {
        return bad("field 'expires_at': '" + std::string(value->as_string()) +
                   "' is not an RFC 3339 time (e.g. 2026-11-24T10:15:30Z), nor null (never)");
      }
    }
  }
  auto ttl = duration_field(object, "ttl");
  if (!ttl) {
    return ttl.error();
  }
  lifecycle.ttl_s = *ttl;
  if (lifecycle.ttl_s && lifecycle.expires_at_us) {
    return bad("fields 'ttl' and 'expires_at' exclude each other: give one");
  }
  if (lifecycle.ttl_s && *lifecycle.ttl_s == 0) {
    return bad("field 'ttl' must be positive");
  }
  return lifecycle;
}

}  // namespace

Status check_branch_name(std::string_view name) {
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '/' || c == '-';
  };
  if (name.empty() || name.size() > 128 || !std::all_of(name.begin(), name.end(), allowed) ||
      !std::isalnum(static_cast<unsigned char>(name.front()))) {
    return bad("branch name '" + std::string(name) +
               "' must be 1 to 128 of A-Z a-z 0-9 . _ / -, starting with a letter or digit");
  }
  if (is_hex32(name)) {
    return bad("branch name '" + std::string(name) +
               "' would read as a timeline id (32 hex digits); choose another");
  }
  return {};
}

Result<TenantSettingsRequest> parse_tenant_settings(std::string_view body) {
  auto object = parse_object(body, {{"history_retention", FieldType::kString}});
  if (!object) {
    return object.error();
  }
  auto retention = duration_field(*object, "history_retention");
  if (!retention) {
    return retention.error();
  }
  return TenantSettingsRequest{*retention};
}

Result<CreateTenantRequest> parse_create_tenant(std::string_view body) {
  auto object =
      parse_object(body.empty() ? "{}" : body, {{"tenant_id", FieldType::kString},
                                                {"name", FieldType::kString},
                                                {"history_retention", FieldType::kString}});
  if (!object) {
    return object.error();
  }
  CreateTenantRequest request;
  auto id = id_field<consensus::TenantId>(*object, "tenant_id");
  if (!id) {
    return id.error();
  }
  if (*id && **id == consensus::TenantId()) {
    return bad("field 'tenant_id': all zeros is reserved for the branch log");
  }
  request.tenant_id = *id;
  request.name = string_field(*object, "name").value_or("");
  if (request.name.size() > 128) {
    return bad("field 'name': at most 128 bytes");
  }
  auto retention = duration_field(*object, "history_retention");
  if (!retention) {
    return retention.error();
  }
  request.history_retention_s = *retention;
  return request;
}

Result<BranchLifecycle> parse_branch_settings(std::string_view body) {
  auto object = parse_object(body, kLifecycleFields);
  if (!object) {
    return object.error();
  }
  return lifecycle_fields(*object);
}

Result<CreateBranchRequest> parse_create_branch(std::string_view body) {
  std::map<std::string, FieldType> fields = {{"name", FieldType::kString},
                                             {"parent", FieldType::kString},
                                             {"lsn", FieldType::kString},
                                             {"timestamp", FieldType::kString},
                                             {"timeline_id", FieldType::kString}};
  fields.insert(kLifecycleFields.begin(), kLifecycleFields.end());
  auto object = parse_object(body, fields);
  if (!object) {
    return object.error();
  }
  CreateBranchRequest request;
  auto name = string_field(*object, "name");
  if (!name) {
    return bad("field 'name' (the branch's name) is required");
  }
  if (Status s = check_branch_name(*name); !s) {
    return bad("field 'name': " + s.error().message());
  }
  request.name = *name;
  request.parent = string_field(*object, "parent");
  auto point = point_fields(*object, "the parent's head");
  if (!point) {
    return point.error();
  }
  request.lsn = point->lsn;
  request.timestamp_us = point->timestamp_us;
  if (!request.parent && (request.lsn || request.timestamp_us)) {
    return bad("field 'lsn' or 'timestamp' needs a 'parent': a root branch starts a new database");
  }
  auto timeline = id_field<consensus::TimelineId>(*object, "timeline_id");
  if (!timeline) {
    return timeline.error();
  }
  request.timeline_id = *timeline;
  auto lifecycle = lifecycle_fields(*object);
  if (!lifecycle) {
    return lifecycle.error();
  }
  request.lifecycle = *lifecycle;
  request.fingerprint =
      "name=" + request.name + "\nparent=" + request.parent.value_or("") +
      "\nlsn=" + (request.lsn ? request.lsn->to_string() : "") +
      "\ntimestamp=" + (request.timestamp_us ? std::to_string(*request.timestamp_us) : "") +
      "\ntimeline_id=" + (request.timeline_id ? request.timeline_id->to_hex() : "") +
      "\nprotected=" + (lifecycle->is_protected.value_or(false) ? "1" : "0") +
      "\nexpires_at=" + std::to_string(lifecycle->expires_at_us.value_or(0)) +
      "\nttl=" + std::to_string(lifecycle->ttl_s.value_or(0));
  return request;
}

Result<RegisterSnapshotRequest> parse_register_snapshot(std::string_view body) {
  auto object = parse_object(body, {{"branch", FieldType::kString},
                                    {"snapshot_id", FieldType::kString},
                                    {"start_lsn", FieldType::kString},
                                    {"end_lsn", FieldType::kString},
                                    {"location", FieldType::kString},
                                    {"checksum", FieldType::kString},
                                    {"size_bytes", FieldType::kUnsigned}});
  if (!object) {
    return object.error();
  }
  RegisterSnapshotRequest request;
  auto branch = string_field(*object, "branch");
  auto location = string_field(*object, "location");
  auto start = lsn_field(*object, "start_lsn");
  auto end = lsn_field(*object, "end_lsn");
  auto id = id_field<consensus::SnapshotId>(*object, "snapshot_id");
  for (const auto* r : {&start, &end}) {
    if (!*r) {
      return r->error();
    }
  }
  if (!id) {
    return id.error();
  }
  auto checksum = string_field(*object, "checksum");
  if (!branch || !location || !*start || !*end || !checksum) {
    return bad("fields 'branch', 'start_lsn', 'end_lsn', 'location' and 'checksum' are required");
  }
  // ALGORITHM:HEX (skctl writes crc32c:8 hex digits of the backup_manifest): without it a
  // restore could not tell the snapshot it registered from one put in its place.
  const auto colon = checksum->find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == checksum->size() ||
      checksum->find_first_not_of("0123456789abcdef", colon + 1) != std::string::npos) {
    return bad("field 'checksum' '" + *checksum +
               "' must be ALGORITHM:lowercase hex digits, as crc32c:1a2b3c4d");
  }
  if (location->empty() || (*location)[0] != '/' ||
      std::filesystem::path(*location).lexically_normal().string() != *location) {
    return bad("field 'location' '" + *location +
               "' must be an absolute path without '.', '..' or repeated '/' in it");
  }
  if (**end < **start) {
    return bad("field 'end_lsn' " + (*end)->to_string() + " is below 'start_lsn' " +
               (*start)->to_string());
  }
  request.branch = *branch;
  request.snapshot_id = *id;
  request.start_lsn = **start;
  request.end_lsn = **end;
  request.location = *location;
  request.checksum = *checksum;
  if (const json::value* size = object->if_contains("size_bytes")) {
    request.size_bytes =
        size->is_uint64() ? size->as_uint64() : static_cast<std::uint64_t>(size->as_int64());
  }
  return request;
}

namespace {

constexpr std::size_t kDefaultPageSize = 100;
constexpr std::size_t kMaxPageSize = 1000;

std::optional<std::string> name_of_cursor(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = consensus::hex_digit(hex[i]);
    const int low = consensus::hex_digit(hex[i + 1]);
    if (high < 0 || low < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

}  // namespace

std::string page_cursor(std::string_view name) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : name) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

Result<PageRequest> parse_page(std::string_view target) {
  PageRequest page{kDefaultPageSize, std::nullopt};
  if (const auto text = query_parameter(target, "limit")) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || n < 1 || n > kMaxPageSize) {
      return bad("limit '" + *text + "' must be from 1 to " + std::to_string(kMaxPageSize));
    }
    page.limit = static_cast<std::size_t>(n);
  }
  if (const auto cursor = query_parameter(target, "cursor")) {
    page.after = name_of_cursor(*cursor);
    if (!page.after) {
      return bad("cursor '" + *cursor + "' is not one we gave");
    }
  }
  return page;
}

Result<RestoreBranchRequest> parse_restore_branch(std::string_view body) {
  auto object = parse_object(body, {{"source", FieldType::kString},
                                    {"lsn", FieldType::kString},
                                    {"timestamp", FieldType::kString},
                                    {"preserve_under_name", FieldType::kString}});
  if (!object) {
    return object.error();
  }
  RestoreBranchRequest request;
  request.source = string_field(*object, "source");
  auto point = point_fields(*object, "the source's head");
  if (!point) {
    return point.error();
  }
  request.lsn = point->lsn;
  request.timestamp_us = point->timestamp_us;
  if (auto preserve = string_field(*object, "preserve_under_name")) {
    if (Status s = check_branch_name(*preserve); !s) {
      return bad("field 'preserve_under_name': " + s.error().message());
    }
    request.preserve_under_name = *preserve;
  }
  return request;
}

namespace {
constexpr std::uint32_t kDefaultPgVersion = 150000;
constexpr std::uint32_t kDefaultWalSegSize = 16 * 1024 * 1024;
}  // namespace

Result<consensus::TimelineIdentity> parse_create_timeline(std::string_view tenant,
                                                          std::string_view body) {
  consensus::TimelineIdentity identity;
  auto tenant_id = parse_id<consensus::TenantId>("tenant id", tenant);
  if (!tenant_id) {
    return tenant_id.error();
  }
  identity.tenant_id = *tenant_id;
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (ec || !parsed.is_object()) {
    return Error(ErrorCode::kInvalidArgument,
                 "the request body must be a JSON object" + (ec ? ": " + ec.message() : ""));
  }
  const json::object& request = parsed.as_object();
  auto string_field = [&](std::string_view name) -> const json::string* {
    const json::value* v = request.if_contains(name);
    return v != nullptr && v->is_string() ? &v->as_string() : nullptr;
  };
  const json::string* timeline_id = string_field("timeline_id");
  if (timeline_id == nullptr) {
    return Error(ErrorCode::kInvalidArgument, "timeline_id (32 hex digits) is required");
  }
  auto parsed_timeline = parse_id<consensus::TimelineId>("timeline id", *timeline_id);
  if (!parsed_timeline) {
    return parsed_timeline.error();
  }
  identity.timeline_id = *parsed_timeline;
  const json::string* start_lsn = string_field("start_lsn");
  if (start_lsn == nullptr) {
    return Error(ErrorCode::kInvalidArgument, "start_lsn (as X/X) is required");
  }
  auto start = consensus::Lsn::parse(*start_lsn);
  if (!start || start->value() == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "start_lsn '" + std::string(*start_lsn) + "' is not a non-zero LSN (X/X)");
  }
  identity.timeline_start_lsn = *start;
  identity.pg_version = kDefaultPgVersion;
  identity.wal_seg_size_bytes = kDefaultWalSegSize;
  if (const json::value* v = request.if_contains("system_id")) {
    std::optional<std::uint64_t> system_id;
    if (v->is_uint64()) {
      system_id = v->as_uint64();
    } else if (v->is_int64() && v->as_int64() >= 0) {
      system_id = static_cast<std::uint64_t>(v->as_int64());
    } else if (v->is_string()) {
      const std::string text(v->as_string());
      char* end = nullptr;
      errno = 0;
      const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
      if (!text.empty() && text[0] != '-' && errno == 0 && end == text.c_str() + text.size()) {
        system_id = n;
      }
    }
    if (!system_id) {
      return Error(ErrorCode::kInvalidArgument,
                   "system_id must be an unsigned 64-bit integer (a number or a decimal string)");
    }
    identity.system_id = *system_id;
  }
  if (const json::value* v = request.if_contains("pg_version")) {
    if (!v->is_number() || !v->is_int64() || v->as_int64() < 150000 || v->as_int64() > 159999) {
      return Error(ErrorCode::kInvalidArgument,
                   "pg_version must be a PostgreSQL 15 version number (150000 to 159999)");
    }
    identity.pg_version = static_cast<std::uint32_t>(v->as_int64());
  }
  if (const json::value* v = request.if_contains("wal_seg_size")) {
    if (!v->is_int64() || v->as_int64() <= 0 ||
        !pgwal::is_valid_segment_size(static_cast<std::uint64_t>(v->as_int64()))) {
      return Error(ErrorCode::kInvalidArgument,
                   "wal_seg_size must be a power of two from 1 MiB to 1 GiB");
    }
    identity.wal_seg_size_bytes = static_cast<std::uint32_t>(v->as_int64());
  }
  if (identity.timeline_start_lsn.value() % 8 != 0) {
    return Error(ErrorCode::kInvalidArgument, "start_lsn must be 8-byte aligned");
  }
  return identity;
}

}  // namespace sk::safekeeper
