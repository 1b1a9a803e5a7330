// skctl's tokens; see tokens.h.
#include "safekeeper/skctl/tokens.h"

#include "branchmgr/duration.h"
#include "safekeeper/auth/keys.h"
#include "safekeeper/auth/token.h"
#include "safekeeper/skctl/secret_file.h"

namespace sk::skctl {

namespace fs = std::filesystem;

Result<std::string> make_key_pair(const fs::path& dir) {
  if (!fs::exists(dir)) {  // A directory of its own is made private; a given one is left as is.
    if (Status s = make_private_dir(dir); !s) {
      return s.error();
    }
  }
  auto key = auth::PrivateKey::generate();
  if (!key) {
    return key.error();
  }
  const fs::path private_file = dir / "private.pem";
  const fs::path public_file = dir / "public.pem";
  if (fs::exists(private_file) || fs::exists(public_file)) {
    return Error(ErrorCode::kAlreadyExists,
                 dir.string() + " already holds a key pair: keygen never overwrites a key");
  }
  if (Status s = write_secret_file(private_file, key->private_pem(), 0600); !s) {
    return s.error();
  }
  if (Status s = write_secret_file(public_file, key->public_pem(), 0644); !s) {
    return s.error();
  }
  return private_file.string() + "\n" + public_file.string() + "\n";
}

Result<std::string> issue_token(const std::string& scope, const fs::path& key_file,
                                const std::string& ttl, const std::string& subject,
                                std::int64_t now_unix) {
  auto grant = auth::parse_scope(scope);
  if (!grant) {
    return grant.error();
  }
  auto seconds = branchmgr::parse_duration(ttl);
  if (!seconds || *seconds == 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "--ttl '" + ttl + "' must be a positive duration (90s, 24h, 30d)");
  }
  auto key = auth::PrivateKey::load(key_file);
  if (!key) {
    return key.error();
  }
  grant->expires_at = now_unix + static_cast<std::int64_t>(*seconds);
  grant->subject = subject;
  return auth::issue_token(*grant, *key, now_unix);
}

Result<std::string> token_file_for_children(const std::string& given, const fs::path& home,
                                            const std::string& token) {
  if (token.empty()) {
    return std::string();
  }
  std::error_code ec;
  if (!given.empty()) {
    return fs::absolute(given, ec).string();
  }
  const fs::path file = home / "token";
  if (auto kept = auth::read_token_file(file); kept && *kept == token) {
    return file.string();  // Written by an earlier command: no write (and fsync) per command.
  }
  fs::create_directories(home, ec);
  if (Status s = replace_secret_file(file, token, 0600); !s) {
    return s.error();
  }
  return file.string();
}

}  // namespace sk::skctl
