// notify_service_manager; see service_notify.h.
#include "safekeeper/server/service_notify.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace sk::safekeeper {

Status notify_service_manager(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') {
    return {};
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::size_t length = std::strlen(path);
  if (length >= sizeof(address.sun_path) || (path[0] != '/' && path[0] != '@')) {
    return Error(ErrorCode::kInvalidArgument,
                 "NOTIFY_SOCKET '" + std::string(path) + "' is not a socket path");
  }
  std::memcpy(address.sun_path, path, length);
  if (path[0] == '@') {
    address.sun_path[0] = '\0';  // An abstract socket, as systemd writes it.
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Error(ErrorCode::kIoError,
                 std::string("socket for NOTIFY_SOCKET: ") + std::strerror(errno));
  }
  const auto sent =
      ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
               static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length));
  const int error = errno;
  ::close(fd);
  if (sent < 0) {
    return Error(ErrorCode::kIoError,
                 "notifying " + std::string(path) + ": " + std::strerror(error));
  }
  return {};
}

}  // namespace sk::safekeeper
