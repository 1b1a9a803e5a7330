// open_listener: a bound, listening TCP acceptor with SO_REUSEADDR (a restarted safekeeper gets
// its port back at once), or a clear error naming the address and what it was for. Included only
// by the .cc files that already compile Asio.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "consensus/result.h"

namespace sk::safekeeper {

Result<std::unique_ptr<boost::asio::ip::tcp::acceptor>> open_listener(boost::asio::io_context& io,
                                                                      const std::string& host,
                                                                      std::uint16_t port,
                                                                      const std::string& purpose);

}  // namespace sk::safekeeper
