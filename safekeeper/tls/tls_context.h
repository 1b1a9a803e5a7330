// TLS for the safekeeper's ports (server side) and for the programs that call them (client side),
// as Boost.Asio SSL contexts over OpenSSL 3. TLS 1.2 at least; certificates and keys are PEM
// files. Asio's SSL headers stay out of this header (a forward declaration).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "consensus/result.h"

namespace boost::asio::ssl {
class context;
}

namespace sk::tls {

// A server's certificate chain and key, and optionally a CA whose client certificates it
// requires (mutual TLS, for the proposer port between nodes).
struct ServerFiles {
  std::filesystem::path certificate;  // PEM chain, the server's own certificate first.
  std::filesystem::path private_key;  // PEM.
  std::filesystem::path client_ca;    // Empty: clients are not asked for a certificate.
};

// The context a port accepts connections with. reload() reads the files again (SIGHUP): the
// connections accepted afterwards use the new certificate, those open keep theirs. Threads:
// current() and reload() may be called from any thread.
class ServerContext {
 public:
  static Result<std::shared_ptr<ServerContext>> open(ServerFiles files);

  std::shared_ptr<boost::asio::ssl::context> current() const;
  // On an error the context in use stays.
  Status reload();
  const ServerFiles& files() const { return files_; }

 private:
  explicit ServerContext(ServerFiles files) : files_(std::move(files)) {}
  ServerFiles files_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
};

// A client's context: the server's certificate is verified against `ca_file` (empty: the
// system's trusted CAs) and its host name; `certificate` and `private_key` (both or neither)
// are presented for mutual TLS.
struct ClientFiles {
  std::filesystem::path ca_file;
  std::filesystem::path certificate;
  std::filesystem::path private_key;
};
Result<std::shared_ptr<boost::asio::ssl::context>> client_context(const ClientFiles& files);

}  // namespace sk::tls
