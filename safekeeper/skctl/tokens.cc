// skctl's tokens; see tokens.h.
#include "safekeeper/skctl/tokens.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "branchmgr/duration.h"
#include "safekeeper/auth/keys.h"
#include "safekeeper/auth/token.h"

namespace sk::skctl {

namespace fs = std::filesystem;

Status write_secret_file(const fs::path& path, const std::string& text, unsigned mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Error(errno == EEXIST ? ErrorCode::kAlreadyExists : ErrorCode::kIoError,
                 "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      return Error(ErrorCode::kIoError,
                   "cannot write " + path.string() + ": " + std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    return Error(ErrorCode::kIoError, "cannot sync " + path.string());
  }
  return {};
}

Result<std::string> make_key_pair(const fs::path& dir) {
  std::error_code ec;
  if (fs::create_directories(dir, ec)) {
    fs::permissions(dir, fs::perms::owner_all, ec);
  }
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot create " + dir.string() + ": " + ec.message());
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
  const fs::path temporary = home / "token.tmp";
  fs::remove(temporary, ec);
  if (Status s = write_secret_file(temporary, token, 0600); !s) {
    return s.error();
  }
  fs::rename(temporary, file, ec);
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot write " + file.string() + ": " + ec.message());
  }
  return file.string();
}

}  // namespace sk::skctl
