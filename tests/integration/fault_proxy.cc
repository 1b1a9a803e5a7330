// FaultProxy; see fault_proxy.h. Each accepted connection is a Link of two Pipes (client to
// target, target to client). A pipe reads a chunk, stamps it with the time it may leave (now +
// delay) and queues it; one write at a time leaves the queue in order once its time has come.
// Reading pauses while a pipe holds more than kMaxQueuedBytes, so a slow link pushes back on
// the sender as a real one does.
#include "tests/integration/fault_proxy.h"

#include <array>
#include <deque>
#include <future>
#include <set>
#include <string>
#include <thread>

#include <boost/asio.hpp>

namespace sk::testing {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxQueuedBytes = 4 << 20;

enum class Mode { kForward, kDrop, kCut };

// Closing with SO_LINGER 0 sends a reset, so the peer sees the link fail at once.
void reset(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

}  // namespace

struct Link;

struct FaultProxy::Impl {
  explicit Impl(std::uint16_t target) : target_port(target) {}

  // Runs `f` on the io thread and waits for it, so a fault is in force when the call returns.
  template <typename F>
  void run_on_io(F f) {
    std::promise<void> done;
    asio::post(io, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void accept();

  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t target_port;
  Mode mode = Mode::kForward;
  std::chrono::milliseconds delay{0};
  std::set<std::shared_ptr<Link>> links;
  Stats stats;
  std::thread thread;
};

namespace {

struct Pipe {
  explicit Pipe(asio::io_context& io) : timer(io) {}
  std::array<char, 64 * 1024> buffer{};
  std::deque<std::pair<Clock::time_point, std::string>> queue;
  std::size_t queued_bytes = 0;
  bool reading = false;
  bool writing = false;
  bool at_eof = false;  // The sending side closed its end.
  asio::steady_timer timer;
};

}  // namespace

struct Link : std::enable_shared_from_this<Link> {
  explicit Link(FaultProxy::Impl& p, tcp::socket accepted)
      : proxy(p), client(std::move(accepted)), upstream(p.io), to_upstream(p.io), to_client(p.io) {}

  void start() {
    auto self = shared_from_this();
    upstream.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), proxy.target_port),
                           [self](const boost::system::error_code& ec) {
                             if (ec || self->closed) {
                               self->close();
                               return;
                             }
                             boost::system::error_code ignored;
                             self->upstream.set_option(tcp::no_delay(true), ignored);
                             self->client.set_option(tcp::no_delay(true), ignored);
                             self->read(self->client, self->to_upstream, self->upstream);
                             self->read(self->upstream, self->to_client, self->client);
                           });
  }

  void read(tcp::socket& from, Pipe& pipe, tcp::socket& to) {
    pipe.reading = true;
    auto self = shared_from_this();
    from.async_read_some(
        asio::buffer(pipe.buffer),
        [self, &from, &pipe, &to](const boost::system::error_code& ec, std::size_t n) {
          pipe.reading = false;
          if (self->closed) {
            return;
          }
          if (ec == asio::error::eof) {
            pipe.at_eof = true;  // Forward the end once the queue is out (write_next).
            if (!pipe.writing) {
              self->write_next(from, pipe, to);
            }
            return;
          }
          if (ec) {
            self->close();
            return;
          }
          if (self->proxy.mode == Mode::kDrop || self->black_holed) {
            self->black_holed = true;
            self->proxy.stats.bytes_dropped += n;
          } else {
            pipe.queue.emplace_back(Clock::now() + self->proxy.delay,
                                    std::string(pipe.buffer.data(), n));
            pipe.queued_bytes += n;
            if (!pipe.writing) {
              self->write_next(from, pipe, to);
            }
          }
          if (!pipe.reading && pipe.queued_bytes < kMaxQueuedBytes) {
            self->read(from, pipe, to);
          }
        });
  }

  void write_next(tcp::socket& from, Pipe& pipe, tcp::socket& to) {
    if (pipe.queue.empty()) {
      pipe.writing = false;
      if (pipe.at_eof) {
        // The sender finished: pass the end on (half-close), and close the link when both
        // directions have ended, gracefully, so the last bytes are not lost to a reset.
        boost::system::error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        if (to_upstream.at_eof && to_client.at_eof) {
          close(/*graceful=*/true);
        }
      }
      return;
    }
    pipe.writing = true;
    auto self = shared_from_this();
    pipe.timer.expires_at(pipe.queue.front().first);
    pipe.timer.async_wait([self, &from, &pipe, &to](const boost::system::error_code& ec) {
      if (ec || self->closed) {
        self->close();
        return;
      }
      asio::async_write(
          to, asio::buffer(pipe.queue.front().second),
          [self, &from, &pipe, &to](const boost::system::error_code& write_ec, std::size_t n) {
            if (write_ec || self->closed) {
              self->close();
              return;
            }
            self->proxy.stats.bytes_forwarded += n;
            pipe.queued_bytes -= n;
            pipe.queue.pop_front();
            if (!pipe.reading && pipe.queued_bytes < kMaxQueuedBytes) {
              self->read(from, pipe, to);
            }
            self->write_next(from, pipe, to);
          });
    });
  }

  // Resets both sockets, unless `graceful` (both directions ended).
  void close(bool graceful = false) {
    if (closed) {
      return;
    }
    closed = true;
    if (graceful) {
      boost::system::error_code ignored;
      client.close(ignored);
      upstream.close(ignored);
    } else {
      reset(client);
      reset(upstream);
    }
    to_upstream.timer.cancel();
    to_client.timer.cancel();
    proxy.links.erase(shared_from_this());
  }

  FaultProxy::Impl& proxy;
  tcp::socket client;
  tcp::socket upstream;
  Pipe to_upstream;
  Pipe to_client;
  bool closed = false;
  // Lost bytes under drop(): the stream has a hole, so this link never forwards again.
  bool black_holed = false;
};

void FaultProxy::Impl::accept() {
  acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) {
      return;
    }
    if (!ec) {
      if (mode == Mode::kCut) {
        reset(socket);
      } else {
        ++stats.connections;
        auto link = std::make_shared<Link>(*this, std::move(socket));
        links.insert(link);
        link->start();
      }
    }
    accept();
  });
}

FaultProxy::FaultProxy(std::uint16_t target_port) : impl_(std::make_unique<Impl>(target_port)) {
  const tcp::endpoint any_port(asio::ip::address_v4::loopback(), 0);
  impl_->acceptor.open(any_port.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(any_port);
  impl_->acceptor.listen();
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

FaultProxy::~FaultProxy() {
  impl_->run_on_io([impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    for (const auto& link : std::set<std::shared_ptr<Link>>(impl->links)) {
      link->close();
    }
  });
  impl_->io.stop();
  impl_->thread.join();
}

std::uint16_t FaultProxy::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void FaultProxy::delay(std::chrono::milliseconds delay) {
  impl_->run_on_io([impl = impl_.get(), delay] {
    impl->mode = Mode::kForward;
    impl->delay = delay;
  });
}

void FaultProxy::drop() {
  impl_->run_on_io([impl = impl_.get()] { impl->mode = Mode::kDrop; });
}

void FaultProxy::cut() {
  impl_->run_on_io([impl = impl_.get()] {
    impl->mode = Mode::kCut;
    for (const auto& link : std::set<std::shared_ptr<Link>>(impl->links)) {
      link->close();
    }
  });
}

void FaultProxy::heal() {
  impl_->run_on_io([impl = impl_.get()] {
    impl->mode = Mode::kForward;
    impl->delay = std::chrono::milliseconds(0);
  });
}

FaultProxy::Stats FaultProxy::stats() const {
  Stats out;
  impl_->run_on_io([impl = impl_.get(), &out] { out = impl->stats; });
  return out;
}

}  // namespace sk::testing
