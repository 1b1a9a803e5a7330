// What a token grants and what an operation needs. A Grant is one of:
//   tenant:ID        read and change everything of tenant ID (branches, snapshots, timelines),
//                    and write its WAL on the proposer port (a compute's walproposer)
//   tenant:ID:read   read them only (branches, WAL downloads, replication without slots)
//   admin            every HTTP route, the tenants list and /metrics included; not the proposer
//                    port (an operator reads and manages the cluster, it does not write WAL)
//   safekeeper       the cluster's own identity: the proposer port for every timeline, the
//                    branch log's included (nodes' branch-log writers, walproposers), and every
//                    tenant's routes, as a node needs from another
// docs/SECURITY.md has the table per port and route. The rule is written once, in permits().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::auth {

enum class Scope { kTenant, kAdmin, kSafekeeper };

struct Grant {
  Scope scope = Scope::kTenant;
  consensus::TenantId tenant;   // kTenant only.
  bool write = false;           // kTenant only: false for a read-only token.
  std::int64_t expires_at = 0;  // Unix seconds.
  std::string subject;          // Who it was issued to ("sub"), for logs; may be empty.

  // "tenant:ID", "tenant:ID:read", "admin" or "safekeeper" (parse_scope's input).
  std::string scope_text() const;
  friend bool operator==(const Grant&, const Grant&) = default;
};

// Parses skctl's --scope: the scope_text() forms. kInvalidArgument otherwise.
Result<Grant> parse_scope(std::string_view text);

// What one request or command needs.
struct Need {
  enum class Kind {
    kAnyToken,     // Any valid token (the bearer sees only what its scope shows).
    kTenantRead,   // Reading `tenant`.
    kTenantWrite,  // Changing `tenant`.
    kAdmin,        // The whole node: tenants list and creation, /metrics.
    kWalWrite,     // Proposing `tenant`'s WAL on the proposer port.
    kSafekeeper,   // Proposing the branch log's entries (the cluster's own timeline).
  };
  Kind kind = Kind::kAnyToken;
  consensus::TenantId tenant;

  static Need any_token() { return {Kind::kAnyToken, {}}; }
  static Need read(consensus::TenantId t) { return {Kind::kTenantRead, t}; }
  static Need write(consensus::TenantId t) { return {Kind::kTenantWrite, t}; }
  static Need admin() { return {Kind::kAdmin, {}}; }
  static Need wal_write(consensus::TenantId t) { return {Kind::kWalWrite, t}; }
  static Need safekeeper() { return {Kind::kSafekeeper, {}}; }
  // "read tenant ID", "write tenant ID", "admin", ... for error messages.
  std::string describe() const;
};

// OK if `grant` allows `need`; kPermissionDenied naming both otherwise.
Status permits(const Grant& grant, const Need& need);

// True if `grant` shows tenant `tenant` in lists (admin, safekeeper, or its own tenant).
bool sees_tenant(const Grant& grant, const consensus::TenantId& tenant);

}  // namespace sk::auth
