// Grants and needs; see grant.h.
#include "safekeeper/auth/grant.h"

namespace sk::auth {

std::string Grant::scope_text() const {
  switch (scope) {
    case Scope::kAdmin:
      return "admin";
    case Scope::kSafekeeper:
      return "safekeeper";
    case Scope::kTenant:
      break;
  }
  return "tenant:" + tenant.to_hex() + (write ? "" : ":read");
}

Result<Grant> parse_scope(std::string_view text) {
  Grant grant;
  if (text == "admin") {
    grant.scope = Scope::kAdmin;
    return grant;
  }
  if (text == "safekeeper") {
    grant.scope = Scope::kSafekeeper;
    return grant;
  }
  constexpr std::string_view kTenant = "tenant:";
  constexpr std::string_view kRead = ":read";
  if (text.starts_with(kTenant)) {
    std::string_view id = text.substr(kTenant.size());
    grant.write = !id.ends_with(kRead);
    if (!grant.write) {
      id.remove_suffix(kRead.size());
    }
    if (auto tenant = consensus::TenantId::parse_hex(id)) {
      grant.tenant = *tenant;
      return grant;
    }
  }
  return Error(ErrorCode::kInvalidArgument,
               "scope \"" + std::string(text) +
                   "\": expected tenant:<32 hex digits>, tenant:<32 hex digits>:read, admin or "
                   "safekeeper");
}

std::string Need::describe() const {
  switch (kind) {
    case Kind::kAnyToken:
      return "a valid token";
    case Kind::kTenantRead:
      return "read access to tenant " + tenant.to_hex();
    case Kind::kTenantWrite:
      return "write access to tenant " + tenant.to_hex();
    case Kind::kAdmin:
      return "the admin scope";
    case Kind::kWalWrite:
      return "writing the WAL of tenant " + tenant.to_hex();
    case Kind::kSafekeeper:
      return "the safekeeper scope";
  }
  return "?";
}

Status permits(const Grant& grant, const Need& need) {
  bool allowed = false;
  switch (need.kind) {
    case Need::Kind::kAnyToken:
      allowed = true;
      break;
    case Need::Kind::kTenantRead:
    case Need::Kind::kTenantWrite:
      allowed =
          grant.scope == Scope::kAdmin || grant.scope == Scope::kSafekeeper ||
          (grant.tenant == need.tenant && (grant.write || need.kind == Need::Kind::kTenantRead));
      break;
    case Need::Kind::kAdmin:
      allowed = grant.scope == Scope::kAdmin;
      break;
    case Need::Kind::kWalWrite:
      allowed = grant.scope == Scope::kSafekeeper ||
                (grant.scope == Scope::kTenant && grant.write && grant.tenant == need.tenant);
      break;
    case Need::Kind::kSafekeeper:
      allowed = grant.scope == Scope::kSafekeeper;
      break;
  }
  if (allowed) {
    return {};
  }
  return Error(ErrorCode::kPermissionDenied,
               "a token with scope " + grant.scope_text() + " does not give " + need.describe());
}

bool sees_tenant(const Grant& grant, const consensus::TenantId& tenant) {
  return grant.scope != Scope::kTenant || grant.tenant == tenant;
}

}  // namespace sk::auth
