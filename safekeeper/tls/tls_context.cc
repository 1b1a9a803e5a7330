// TLS contexts; see tls_context.h.
#include "safekeeper/tls/tls_context.h"

#include <boost/asio/ssl/context.hpp>

namespace sk::tls {

namespace ssl = boost::asio::ssl;

namespace {

Error bad_file(const std::string& what, const std::filesystem::path& path,
               const boost::system::error_code& ec) {
  return Error(ErrorCode::kInvalidArgument,
               "TLS " + what + " " + path.string() + ": " + ec.message());
}

ssl::context base_context(ssl::context::method method) {
  ssl::context context(method);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                      ssl::context::single_dh_use);
  return context;
}

// Presents `certificate` (a PEM chain) with its `private_key`, which must match it.
Status use_certificate(ssl::context& context, const std::filesystem::path& certificate,
                       const std::filesystem::path& private_key) {
  boost::system::error_code ec;
  context.use_certificate_chain_file(certificate.string(), ec);
  if (ec) {
    return bad_file("certificate", certificate, ec);
  }
  context.use_private_key_file(private_key.string(), ssl::context::pem, ec);
  if (ec) {
    return bad_file("private key", private_key, ec);
  }
  if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
    return Error(ErrorCode::kInvalidArgument, "TLS private key " + private_key.string() +
                                                  " does not match certificate " +
                                                  certificate.string());
  }
  return {};
}

Result<std::shared_ptr<ssl::context>> make_server_context(const ServerFiles& files) {
  auto context = std::make_shared<ssl::context>(base_context(ssl::context::tls_server));
  if (Status used = use_certificate(*context, files.certificate, files.private_key); !used) {
    return used.error();
  }
  boost::system::error_code ec;
  if (!files.client_ca.empty()) {
    context->load_verify_file(files.client_ca.string(), ec);
    if (ec) {
      return bad_file("client CA", files.client_ca, ec);
    }
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

}  // namespace

Result<std::shared_ptr<ServerContext>> ServerContext::open(ServerFiles files) {
  auto context = make_server_context(files);
  if (!context) {
    return context.error();
  }
  std::shared_ptr<ServerContext> server(new ServerContext(std::move(files)));
  server->context_ = std::move(*context);
  return server;
}

std::shared_ptr<ssl::context> ServerContext::current() const {
  std::lock_guard lock(mutex_);
  return context_;
}

Status ServerContext::reload() {
  auto context = make_server_context(files_);
  if (!context) {
    return context.error();
  }
  std::lock_guard lock(mutex_);
  context_ = std::move(*context);
  return {};
}

Result<std::shared_ptr<ssl::context>> client_context(const ClientFiles& files) {
  auto context = std::make_shared<ssl::context>(base_context(ssl::context::tls_client));
  boost::system::error_code ec;
  if (files.ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(files.ca_file.string(), ec);
  }
  if (ec) {
    return bad_file("CA file", files.ca_file, ec);
  }
  context->set_verify_mode(ssl::verify_peer);
  if (files.certificate.empty() != files.private_key.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "a TLS client certificate needs its private key, and the key its certificate");
  }
  if (!files.certificate.empty()) {
    if (Status used = use_certificate(*context, files.certificate, files.private_key); !used) {
      return used.error();
    }
  }
  return context;
}

}  // namespace sk::tls
