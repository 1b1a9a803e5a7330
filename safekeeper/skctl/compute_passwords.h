// The passwords of the computes' databases. Computes accept scram-sha-256 only (local_postgres.h),
// so every connection needs the password of the role `postgres`, which lives in the database
// itself: a tenant's root is initdb'd with a password skctl generates, and every branch, replica
// and snapshot of that tenant carries the same role. skctl keeps one password per tenant in
// HOME/passwords/TENANT (0600, directory 0700) and prints it once, when it makes it.
//
// skctl's own connections (the walproposer's, pg_basebackup's, pg_dump's, its checks) and the
// user's find it the way libpq looks for passwords: HOME/pgpass (0600), a password file with a
// line per running endpoint (127.0.0.1, localhost and its socket directory, on its port), which
// skctl names in PGPASSFILE for the programs it starts. `export PGPASSFILE=HOME/pgpass` does the
// same for psql.
#pragma once

#include <filesystem>
#include <string>

#include "consensus/result.h"

namespace sk::skctl {

class ComputePasswords {
 public:
  explicit ComputePasswords(std::filesystem::path home) : home_(std::move(home)) {}

  // The tenant's password; kNotFound saying where to put it when this home has none (the
  // tenant's database was made by another skctl home).
  Result<std::string> find(const std::string& tenant_id) const;
  // A new random password for the tenant (24 bytes from OpenSSL's generator, base64url), kept
  // before it is returned; kAlreadyExists if the tenant has one.
  Result<std::string> create(const std::string& tenant_id) const;

  // HOME/pgpass.
  std::filesystem::path passfile() const { return home_ / "pgpass"; }
  // Points HOME/pgpass's lines for `port` at `password`: host 127.0.0.1, localhost and
  // `socket_dir`; other ports' lines are kept.
  Status publish(int port, const std::filesystem::path& socket_dir,
                 const std::string& password) const;
  // Drops the lines for `port` (its server stopped).
  Status withdraw(int port) const;

 private:
  Status rewrite_lines(int port, const std::string& added) const;

  std::filesystem::path home_;
};

// A line of a libpq password file (hostname:port:database:username:password), with ':' and '\'
// escaped as libpq reads them.
std::string pgpass_line(const std::string& host, int port, const std::string& password);

}  // namespace sk::skctl
