// HttpApi: the HTTP port, Boost.Beast only here (it is the heaviest header we use, and a 2-core
// CI compiles it once). HTTP/1.1 with keep-alive; request bodies above 1 MiB are refused (413);
// a request that takes longer than the request timeout to arrive (an idle keep-alive connection
// included), or a response not read within the write timeout (60 s each by default), drops the
// connection. Routing is
// ApiRoutes' job.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "consensus/result.h"
#include "safekeeper/server/api_routes.h"
#include "safekeeper/server/bound_port.h"
#include "safekeeper/server/connection_limits.h"
#include "safekeeper/tls/tls_context.h"

namespace boost::asio {
class io_context;
}

namespace sk::safekeeper {

class HttpApi {
 public:
  // With `tls`, the port speaks HTTPS only (tls::ServerContext's current certificate).
  // A request that has not arrived whole within `request_timeout` (the next one on a keep-alive
  // connection included), or a response its client has not read within `write_timeout`, drops
  // the connection.
  HttpApi(boost::asio::io_context& io, ApiRoutes& routes, const tls::ServerContext* tls = nullptr,
          ConnectionLimits limits = {},
          std::chrono::milliseconds request_timeout = std::chrono::seconds(60),
          std::chrono::milliseconds write_timeout = std::chrono::seconds(60));
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Starts accepting on `port` (bound_port.h).
  void serve(BoundPort port);
  // Stops accepting; requests in progress finish on their own (io thread).
  void stop();
  const ListenerStats& listener_stats() const;

  // Defined in the .cc; public only so that its file-local helpers can name it.
  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sk::safekeeper
