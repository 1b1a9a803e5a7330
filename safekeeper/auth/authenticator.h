// Authenticator: a safekeeper's check of the tokens its ports receive, against the public keys
// of --auth-public-keys, reloaded on SIGHUP (key rotation without a restart). Without keys,
// authentication is off: every request is allowed, as before tokens existed (a safekeeper then
// listens on loopback addresses only unless --insecure; main.cc enforces that).
//
// Threads: check() may be called from any thread; reload() swaps the key set atomically.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "consensus/result.h"
#include "safekeeper/auth/grant.h"
#include "safekeeper/auth/keys.h"

namespace sk::auth {

class Authenticator {
 public:
  using Clock = std::function<std::int64_t()>;  // Unix seconds.

  // Authentication off.
  Authenticator();
  // Checks tokens against the keys in `path` (PublicKeys::load). `clock` defaults to the system's.
  static Result<std::shared_ptr<Authenticator>> open(std::filesystem::path path, Clock clock = {});

  bool enabled() const { return !path_.empty(); }

  // The grant of `token` if it is valid and gives `need`: kUnauthenticated (no, bad or expired
  // token) or kPermissionDenied (a valid token without that right) otherwise. With
  // authentication off: a grant of everything (admin and safekeeper both pass).
  Result<Grant> check(std::string_view token, const Need& need) const;

  // Reads the key files again; on an error the keys in use stay. Returns how many keys are now
  // trusted.
  Result<std::size_t> reload();

 private:
  std::filesystem::path path_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::shared_ptr<const PublicKeys> keys_;
};

// The token in an HTTP Authorization header value ("Bearer <token>", scheme case-insensitive);
// nullopt for another scheme or an empty value.
std::optional<std::string_view> bearer_token(std::string_view authorization);

}  // namespace sk::auth
