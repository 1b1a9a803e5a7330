// Authenticator; see authenticator.h.
#include "safekeeper/auth/authenticator.h"

#include <chrono>

#include <strings.h>

#include "safekeeper/auth/token.h"

namespace sk::auth {

Authenticator::Authenticator() = default;

Result<std::shared_ptr<Authenticator>> Authenticator::open(std::filesystem::path path,
                                                           Clock clock) {
  auto keys = PublicKeys::load(path);
  if (!keys) {
    return keys.error();
  }
  auto authenticator = std::make_shared<Authenticator>();
  authenticator->path_ = std::move(path);
  authenticator->clock_ = clock ? std::move(clock) : [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  authenticator->keys_ = std::make_shared<const PublicKeys>(std::move(*keys));
  return authenticator;
}

Result<Grant> Authenticator::check(std::string_view token, const Need& need) const {
  if (!enabled()) {
    Grant everything;
    everything.scope = Scope::kAdmin;
    return everything;
  }
  if (token.empty()) {
    return Error(ErrorCode::kUnauthenticated,
                 "a token is required: this safekeeper checks "
                 "tokens (skctl token issue makes them)");
  }
  std::shared_ptr<const PublicKeys> keys;
  {
    std::lock_guard lock(mutex_);
    keys = keys_;
  }
  auto grant = verify_token(token, *keys, clock_());
  if (!grant) {
    return grant.error();
  }
  if (Status allowed = permits(*grant, need); !allowed) {
    return allowed.error();
  }
  return grant;
}

Result<std::size_t> Authenticator::reload() {
  if (!enabled()) {
    return std::size_t{0};
  }
  auto keys = PublicKeys::load(path_);
  if (!keys) {
    return keys.error();
  }
  const std::size_t count = keys->size();
  std::lock_guard lock(mutex_);
  keys_ = std::make_shared<const PublicKeys>(std::move(*keys));
  return count;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return std::nullopt;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') {
    token.remove_prefix(1);
  }
  if (token.empty()) {
    return std::nullopt;
  }
  return token;
}

}  // namespace sk::auth
