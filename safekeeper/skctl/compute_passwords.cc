// The computes' passwords; see compute_passwords.h.
#include "safekeeper/skctl/compute_passwords.h"

#include <array>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <unistd.h>

#include "safekeeper/auth/base64.h"
#include "safekeeper/skctl/secret_file.h"

namespace sk::skctl {

namespace fs = std::filesystem;

namespace {

std::string escaped(const std::string& field) {
  std::string out;
  for (const char c : field) {
    if (c == ':' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// The port field of a pgpass line (its second field), or -1.
int port_of(const std::string& line) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != ':') {
    i += line[i] == '\\' ? 2 : 1;
  }
  const std::size_t start = i + 1;
  const std::size_t end = line.find(':', start);
  if (i >= line.size() || end == std::string::npos) {
    return -1;
  }
  try {
    return std::stoi(line.substr(start, end - start));
  } catch (const std::exception&) {
    return -1;
  }
}

// Held while HOME/pgpass is read and replaced, so that two skctl commands starting computes at
// once do not drop each other's lines.
class FileLock {
 public:
  explicit FileLock(const fs::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_EX);
    }
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::close(fd_);  // Releases the lock.
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

std::string pgpass_line(const std::string& host, int port, const std::string& password) {
  return escaped(host) + ":" + std::to_string(port) + ":*:postgres:" + escaped(password) + "\n";
}

Result<std::string> ComputePasswords::find(const std::string& tenant_id) const {
  const fs::path file = home_ / "passwords" / tenant_id;
  std::ifstream in(file);
  std::string password;
  if (!std::getline(in, password) || password.empty()) {
    return Error(ErrorCode::kNotFound,
                 "no password for tenant " + tenant_id + " in " + file.string() +
                     ": its database was made by another skctl home; copy that home's "
                     "passwords/" +
                     tenant_id + " here (mode 0600)");
  }
  return password;
}

Result<std::string> ComputePasswords::create(const std::string& tenant_id) const {
  const fs::path dir = home_ / "passwords";
  if (Status s = make_private_dir(dir); !s) {
    return s.error();
  }
  std::array<unsigned char, 24> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Error(ErrorCode::kInternal, "OpenSSL's random generator failed");
  }
  std::string password = auth::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (Status s = write_secret_file(dir / tenant_id, password + "\n", 0600); !s) {
    return s.error();
  }
  return password;
}

Status ComputePasswords::publish(int port, const fs::path& socket_dir,
                                 const std::string& password) const {
  return rewrite_lines(port, pgpass_line("127.0.0.1", port, password) +
                                 pgpass_line("localhost", port, password) +
                                 pgpass_line(socket_dir.string(), port, password));
}

Status ComputePasswords::withdraw(int port) const {
  return rewrite_lines(port, "");
}

Status ComputePasswords::rewrite_lines(int port, const std::string& added) const {
  std::error_code ec;
  fs::create_directories(home_, ec);
  const FileLock lock(home_ / "pgpass.lock");
  if (!lock.held()) {
    return Error(ErrorCode::kIoError, "cannot lock " + (home_ / "pgpass.lock").string());
  }
  std::ifstream current(passfile());
  std::string kept;
  for (std::string line; std::getline(current, line);) {
    if (!line.empty() && port_of(line) != port) {
      kept += line + "\n";
    }
  }
  return replace_secret_file(passfile(), kept + added, 0600);
}

}  // namespace sk::skctl
