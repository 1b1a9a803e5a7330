// PgServer; see pg_server.h.
#include "safekeeper/server/pg_server.h"

#include <array>
#include <chrono>
#include <deque>
#include <random>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "safekeeper/log/log.h"
#include "safekeeper/server/connection_registry.h"
#include "safekeeper/server/output_queue.h"
#include "safekeeper/server/tcp_listen.h"

namespace sk::safekeeper {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr std::size_t kReadChunkBytes = 16 * 1024;
constexpr auto kTick = std::chrono::seconds(1);

walsender::Now now() {
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  return {std::chrono::steady_clock::now(),
          std::chrono::duration_cast<std::chrono::microseconds>(wall).count()};
}

}  // namespace

struct PgServer::Impl : std::enable_shared_from_this<PgServer::Impl> {
  class Connection;

  Impl(asio::io_context& io_context, StorageWorker& storage_worker, CommittedWalReader& wal,
       PgServerOptions opts)
      : io(io_context),
        worker(storage_worker),
        wal_reader(wal),
        options(std::move(opts)),
        slots(options.slot_journal, [] { return now().unix_micros; }),
        sweep_timer(io_context),
        listeners(io_context, "replication", options.limits) {
    for (auto& [timeline, slot] : options.restored_slots) {
      slots.restore(timeline, std::move(slot));
    }
    options.restored_slots.clear();
  }
  void accepted(tcp::socket socket, Admission admission);
  void sweep_slots();

  asio::io_context& io;
  StorageWorker& worker;
  CommittedWalReader& wal_reader;  // Worker thread only.
  PgServerOptions options;
  walsender::ReplicationSlots slots;  // io thread only.
  asio::steady_timer sweep_timer;     // Drops slots idle beyond the limit.
  Listeners listeners;
  std::mt19937 random{std::random_device{}()};
  PgServerStats stats;
  ConnectionRegistry<Connection> connections{stats.connections_accepted, stats.connections_open};
};

// One reader's connection. Lives while it is in Impl::connections or has an operation pending.
class PgServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& server, tcp::socket socket, Admission admission, std::uint64_t id)
      : server_(server),
        socket_(std::move(socket)),
        admission_(std::move(admission)),
        timer_(server.io),
        session_(id,
                 walsender::SessionOptions{
                     .auth = server.options.auth,
                     .users = server.options.users,
                     .sasl_nonce =
                         server.options.users.empty() ? std::string() : auth::random_scram_bytes(),
                     .tls = server.options.tls != nullptr,
                     .backend_pid = static_cast<std::uint32_t>(id),
                     .cancel_secret = static_cast<std::uint32_t>(server.random()),
                     .silence_timeout = server.options.idle_timeout},
                 server.slots, now()) {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    const tcp::endpoint remote = socket_.remote_endpoint(ec);
    peer_ = ec ? std::string("unknown")
               : remote.address().to_string() + ":" + std::to_string(remote.port());
  }

  void start() {
    read_more();
    tick();
  }

  void close() {
    if (closed_) {
      return;
    }
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
  }

  PgReaderInfo info() const {
    return {session_.id(),
            peer_,
            session_.application_name(),
            session_.timeline(),
            session_.streaming(),
            session_.sent_up_to(),
            session_.reported_flush()};
  }

 private:
  void read_more() {
    if (reading_ || closed_ || closing_after_write_ || tls_pending_ ||
        output_.unsent_bytes() > server_.options.max_unsent_bytes) {
      return;  // Back-pressure: the writes call us again as they drain.
    }
    reading_ = true;
    on_stream([&](auto& stream) {
      stream.async_read_some(
          asio::buffer(read_buffer_),
          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
            self->reading_ = false;
            if (ec) {
              self->forget();
              return;
            }
            self->apply(self->session_.on_bytes(std::span(self->read_buffer_).first(n), now()));
            self->read_more();
          });
    });
  }

  // Calls `f` with the stream bytes go through: the TLS stream once the handshake began,
  // the socket before.
  template <class F>
  void on_stream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  // The session answered an SSLRequest with 'S': once that byte is out, shake hands. A client
  // that stalls in the handshake is closed by the session's start-up deadline (on_tick).
  void start_tls() {
    auto context = server_.options.tls->current();
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *context);
    tls_context_ = std::move(context);
    tls_->async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](boost::system::error_code ec) {
                            self->tls_pending_ = false;
                            if (ec) {
                              log_info("replication connection " + self->peer_ +
                                       ": TLS handshake failed: " + ec.message());
                              self->forget();
                              return;
                            }
                            self->apply(self->session_.on_tls_started(now()));
                            self->read_more();
                          });
  }

  void tick() {
    timer_.expires_after(kTick);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closed_) {
        return;
      }
      self->apply(self->session_.on_tick(now()));
      self->tick();
    });
  }

  // Carries out what the session asked for.
  void apply(walsender::ReplicationSession::Effects effects) {
    for (const std::string& line : effects.log) {
      log_info("replication connection " + peer_ + ": " + line);
    }
    if (effects.start_tls) {
      tls_pending_ = true;  // Reads wait for the handshake, which waits for the 'S' to go out.
    }
    if (!effects.output.empty()) {
      queue_output(std::move(effects.output));
    }
    if (effects.close) {
      closing_after_write_ = true;
      write_more();
      return;
    }
    if (effects.describe) {
      describe(*effects.describe);
    }
    if (effects.read) {
      deferred_read_ = effects.read;
      issue_read_if_room();
    }
  }

  void describe(const storage::TimelineKey& key) {
    std::weak_ptr<Connection> weak = shared_from_this();
    asio::io_context& io = server_.io;
    CommittedWalReader& reader = server_.wal_reader;
    server_.worker.post([weak, key, &io, &reader] {
      auto info = reader.describe(key);
      asio::post(io, [weak, info = std::move(info)]() mutable {
        if (auto self = weak.lock(); self && !self->closed_) {
          self->apply(self->session_.on_timeline_info(std::move(info), now()));
        }
      });
    });
  }

  void issue_read_if_room() {
    if (!deferred_read_ || closed_ || output_.unsent_bytes() > server_.options.max_unsent_bytes) {
      return;
    }
    const walsender::WalRequest request = *deferred_read_;
    deferred_read_.reset();
    std::weak_ptr<Connection> weak = shared_from_this();
    asio::io_context& io = server_.io;
    CommittedWalReader& reader = server_.wal_reader;
    const std::uint64_t id = session_.id();
    const storage::TimelineKey key = *session_.timeline();
    server_.worker.post([weak, id, key, request, &io, &reader] {
      reader.read(id, key, request.from, request.max_bytes,
                  [weak, request, &io](Result<walsender::WalChunk> chunk) {
                    asio::post(io, [weak, request, chunk = std::move(chunk)]() mutable {
                      if (auto self = weak.lock(); self && !self->closed_) {
                        self->on_wal(request.id, std::move(chunk));
                      }
                    });
                  });
    });
  }

  void on_wal(std::uint64_t request_id, Result<walsender::WalChunk> chunk) {
    const std::uint64_t bytes = chunk ? chunk->bytes.size() : 0;
    auto effects = session_.on_wal(request_id, std::move(chunk), now());
    server_.stats.wal_bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
    apply(std::move(effects));
  }

  void queue_output(pgproto::Bytes bytes) {
    output_.push(std::move(bytes));
    write_more();
  }

  void write_more() {
    if (output_.writing() || closed_) {
      return;
    }
    if (output_.empty()) {
      if (closing_after_write_) {
        forget();
      } else if (tls_pending_ && !tls_) {
        start_tls();
      }
      return;
    }
    on_stream([&](auto& stream) {
      output_.write(stream, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (ec) {
          self->forget();
          return;
        }
        self->write_more();
        self->issue_read_if_room();
        self->read_more();
      });
    });
  }

  // Closes the socket and drops the server's reference (pending handlers keep us alive).
  void forget() {
    close();
    if (server_.connections.forget(session_.id())) {
      CommittedWalReader& reader = server_.wal_reader;
      server_.worker.post([&reader, id = session_.id()] { reader.cancel(id); });
    }
  }

  Impl& server_;
  tcp::socket socket_;
  Admission admission_;  // Its place under the port's connection limits.
  std::shared_ptr<asio::ssl::context> tls_context_;  // What tls_ was made with.
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls_;
  bool tls_pending_ = false;  // 'S' sent or queued, handshake not finished.
  asio::steady_timer timer_;
  walsender::ReplicationSession session_;
  std::string peer_;
  std::array<std::uint8_t, kReadChunkBytes> read_buffer_{};
  std::optional<walsender::WalRequest> deferred_read_;  // Waiting for the output to drain.
  OutputQueue<pgproto::Bytes> output_;
  bool reading_ = false;
  bool closing_after_write_ = false;
  bool closed_ = false;
};

PgServer::PgServer(asio::io_context& io, StorageWorker& worker, CommittedWalReader& reader,
                   PgServerOptions options)
    : impl_(std::make_shared<Impl>(io, worker, reader, std::move(options))) {}

PgServer::~PgServer() = default;

void PgServer::Impl::accepted(tcp::socket socket, Admission admission) {
  connections
      .add([&](std::uint64_t id) {
        return std::make_shared<Connection>(*this, std::move(socket), std::move(admission), id);
      })
      ->start();
}

void PgServer::serve(BoundPort port) {
  impl_->listeners.serve(std::move(port), [impl = impl_](tcp::socket socket, Admission admission) {
    impl->accepted(std::move(socket), std::move(admission));
  });
  impl_->sweep_slots();
}

void PgServer::Impl::sweep_slots() {
  const auto limit = options.slot_inactive_limit;
  if (limit.count() <= 0) {
    return;
  }
  for (const auto& [timeline, name] :
       slots.drop_inactive(std::chrono::duration_cast<std::chrono::microseconds>(limit).count())) {
    log_warn("replication slot \"" + name + "\" of timeline " + storage::timeline_name(timeline) +
             " dropped: unused for more than " + std::to_string(limit.count()) + " s");
  }
  sweep_timer.expires_after(std::min<std::chrono::steady_clock::duration>(
      limit / 10 + std::chrono::milliseconds(100), std::chrono::seconds(10)));
  sweep_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) {
      self->sweep_slots();
    }
  });
}

void PgServer::stop() {
  impl_->sweep_timer.cancel();
  impl_->listeners.close();
  impl_->connections.close_all();
}

std::vector<walsender::ReplicationSlot> PgServer::slots(
    const storage::TimelineKey& timeline) const {
  return impl_->slots.of_timeline(timeline);
}

std::vector<PgReaderInfo> PgServer::readers() const {
  return impl_->connections.infos();
}

const ListenerStats& PgServer::listener_stats() const {
  return impl_->listeners.stats();
}

const PgServerStats& PgServer::stats() const {
  return impl_->stats;
}

}  // namespace sk::safekeeper
