// BoundPort and Listeners; see bound_port.h and tcp_listen.h.
#include "safekeeper/server/tcp_listen.h"

#include <optional>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include "safekeeper/log/log.h"

namespace sk::safekeeper {

using boost::asio::ip::tcp;

Result<BoundPort> BoundPort::open(boost::asio::io_context& io, const std::string& host,
                                  std::uint16_t port, const std::string& purpose) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    return Error(ErrorCode::kInvalidArgument,
                 "bad " + purpose + " listen address '" + host + "': " + ec.message());
  }
  auto acceptor = std::make_unique<Acceptor>(Acceptor{tcp::acceptor(io)});
  const tcp::endpoint endpoint(address, port);
  acceptor->socket.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor->socket.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor->socket.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor->socket.listen(boost::asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return Error(ErrorCode::kIoError, "cannot listen on " + host + ":" + std::to_string(port) +
                                          " for " + purpose + ": " + ec.message());
  }
  const std::uint16_t bound = acceptor->socket.local_endpoint().port();
  return BoundPort(std::move(acceptor), host, bound);
}

BoundPort::BoundPort(std::unique_ptr<Acceptor> acceptor, std::string host, std::uint16_t port)
    : acceptor_(std::move(acceptor)), host_(std::move(host)), port_(port) {}
BoundPort::BoundPort(BoundPort&&) noexcept = default;
BoundPort& BoundPort::operator=(BoundPort&&) noexcept = default;
BoundPort::~BoundPort() = default;

std::unique_ptr<BoundPort::Acceptor> BoundPort::take_acceptor() {
  return std::move(acceptor_);
}

struct Admission::Counts {
  Counts(std::string name, ConnectionLimits l) : purpose(std::move(name)), limits(l) {}
  const std::string purpose;
  const ConnectionLimits limits;
  ListenerStats stats;
  std::mutex mutex;
  std::size_t open = 0;
  std::map<std::string, std::size_t> per_address;
  std::chrono::steady_clock::time_point last_refusal_log{};

  // A place for a connection from `address`, or nullopt when a limit is reached.
  std::optional<Admission> admit(std::shared_ptr<Counts> self, const std::string& address) {
    std::lock_guard lock(mutex);
    std::size_t& from_address = per_address[address];
    if (open >= limits.per_port || from_address >= limits.per_address) {
      if (from_address == 0) {
        per_address.erase(address);
      }
      return std::nullopt;
    }
    ++open;
    ++from_address;
    stats.open.store(open, std::memory_order_relaxed);
    return Admission(std::move(self), address);
  }

  void release(const std::string& address) {
    std::lock_guard lock(mutex);
    --open;
    stats.open.store(open, std::memory_order_relaxed);
    if (auto it = per_address.find(address); it != per_address.end() && --it->second == 0) {
      per_address.erase(it);
    }
  }
};

Admission::Admission(std::shared_ptr<Counts> counts, std::string address)
    : counts_(std::move(counts)), address_(std::move(address)) {}

Admission& Admission::operator=(Admission&& other) noexcept {
  if (this != &other) {
    release();
    counts_ = std::move(other.counts_);
    address_ = std::move(other.address_);
  }
  return *this;
}

Admission::~Admission() {
  release();
}

void Admission::release() {
  if (counts_) {
    counts_->release(address_);
    counts_.reset();
  }
}

namespace {

// accept() errors that mean "not now" (the process or the system is out of descriptors or
// buffers): accepting again at once would fail again and spin.
bool out_of_resources(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory;
}

}  // namespace

struct Listeners::Acceptance : std::enable_shared_from_this<Listeners::Acceptance> {
  Acceptance(boost::asio::io_context& io, std::unique_ptr<BoundPort::Acceptor> a,
             std::shared_ptr<Admission::Counts> c, OnSocket handler)
      : acceptor(std::move(a)), counts(std::move(c)), on_socket(std::move(handler)), pause(io) {}

  void accept_next() {
    acceptor->socket.async_accept([self = shared_from_this()](boost::system::error_code ec,
                                                              tcp::socket socket) {
      if (ec == boost::asio::error::operation_aborted || !self->acceptor->socket.is_open()) {
        return;  // Closed.
      }
      if (ec) {
        self->counts->stats.accept_failures.fetch_add(1, std::memory_order_relaxed);
        if (out_of_resources(ec)) {
          const auto now = std::chrono::steady_clock::now();
          if (now - self->last_failure_log > std::chrono::seconds(10)) {
            self->last_failure_log = now;
            log_warn(self->counts->purpose + " port: cannot accept (" + ec.message() +
                     "): pausing " + std::to_string(self->counts->limits.accept_backoff.count()) +
                     " ms after each failure (logged once per 10 s)");
          }
          self->pause.expires_after(self->counts->limits.accept_backoff);
          self->pause.async_wait([self](boost::system::error_code wait_ec) {
            if (!wait_ec) {
              self->accept_next();
            }
          });
          return;
        }
      } else {
        self->admit(std::move(socket));
      }
      self->accept_next();
    });
  }

  void admit(tcp::socket socket) {
    boost::system::error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    const std::string address = ec ? std::string("unknown") : remote.address().to_string();
    auto admission = counts->admit(counts, address);
    if (!admission) {
      counts->stats.refused_over_limit.fetch_add(1, std::memory_order_relaxed);
      const auto now = std::chrono::steady_clock::now();
      if (now - counts->last_refusal_log > std::chrono::seconds(10)) {
        counts->last_refusal_log = now;
        log_warn(counts->purpose + " port: connection from " + address +
                 " closed: at the limit of " + std::to_string(counts->limits.per_port) +
                 " connections, " + std::to_string(counts->limits.per_address) +
                 " per address (logged once per 10 s)");
      }
      socket.close(ec);
      return;
    }
    on_socket(std::move(socket), std::move(*admission));
  }

  void close() {
    boost::system::error_code ignored;
    acceptor->socket.close(ignored);
    pause.cancel();
    on_socket = nullptr;  // Releases the server it holds.
  }

  std::unique_ptr<BoundPort::Acceptor> acceptor;
  std::shared_ptr<Admission::Counts> counts;
  OnSocket on_socket;
  boost::asio::steady_timer pause;
  std::chrono::steady_clock::time_point last_failure_log{};
};

Listeners::Listeners(boost::asio::io_context& io, std::string purpose, ConnectionLimits limits)
    : io_(io), counts_(std::make_shared<Admission::Counts>(std::move(purpose), limits)) {}

void Listeners::serve(BoundPort port, OnSocket on_socket) {
  auto acceptance =
      std::make_shared<Acceptance>(io_, port.take_acceptor(), counts_, std::move(on_socket));
  acceptance->accept_next();
  acceptances_.push_back(std::move(acceptance));
}

void Listeners::close() {
  for (auto& acceptance : acceptances_) {
    acceptance->close();
  }
}

const ListenerStats& Listeners::stats() const {
  return counts_->stats;
}

}  // namespace sk::safekeeper
