// ProposerServer; see proposer_server.h.
#include "safekeeper/server/proposer_server.h"

#include <chrono>
#include <deque>
#include <map>
#include <span>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "proto/codec.h"
#include "proto/framing.h"
#include "safekeeper/branchlog/branch_log_applier.h"
#include "safekeeper/log/log.h"
#include "safekeeper/server/connection_registry.h"
#include "safekeeper/server/output_queue.h"
#include "safekeeper/server/tcp_listen.h"
#include "safekeeper/tls/optional_tls_stream.h"
#include "safekeeper/tls/tls_context.h"

namespace sk::safekeeper {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// At least this much room for each read: a 128 KiB append's frame arrives in one read when the
// socket has it all.
constexpr std::size_t kReadChunkBytes = 256 * 1024;

}  // namespace

struct ProposerServer::Impl : std::enable_shared_from_this<ProposerServer::Impl> {
  class Connection;

  Impl(asio::io_context& io_context, StorageWorker& storage_worker, ProposerServerOptions opts)
      : io(io_context),
        worker(storage_worker),
        options(opts),
        listeners(io_context, "proposer", opts.limits) {}

  void on_completion(StorageWorker::Completion completion);
  void accepted(tcp::socket socket, Admission admission);
  // Logs why a connection was refused; a proposer that keeps reconnecting into the same error
  // (a full disk) gets one line per 10 s, not one per attempt.
  void log_refusal(const std::string& peer, const Error& error) {
    const auto now = std::chrono::steady_clock::now();
    const std::string text = error.to_string();
    if (text == last_refusal && now < next_repeat_log) {
      return;
    }
    last_refusal = text;
    next_repeat_log = now + std::chrono::seconds(10);
    const bool storage = error.code() == ErrorCode::kNoSpace ||
                         error.code() == ErrorCode::kIoError ||
                         error.code() == ErrorCode::kCorruption;
    (storage ? log_error : log_warn)("proposer connection from " + peer + " refused: " + text);
  }

  asio::io_context& io;
  StorageWorker& worker;
  ProposerServerOptions options;
  Listeners listeners;
  ProposerServerStats stats;
  ConnectionRegistry<Connection> connections{stats.connections_accepted, stats.connections_open};
  std::string last_refusal;
  std::chrono::steady_clock::time_point next_repeat_log{};
};

// One proposer connection. Lives while it is in Impl::connections or has an operation pending.
class ProposerServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Impl& server, tcp::socket socket, Admission admission, std::uint64_t id)
      : server_(server),
        stream_(std::move(socket)),
        admission_(std::move(admission)),
        id_(id),
        deadline_(server.io),
        last_input_(std::chrono::steady_clock::now()) {
    boost::system::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);  // Replies are small, latency-bound.
    const tcp::endpoint remote = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? std::string("unknown")
               : remote.address().to_string() + ":" + std::to_string(remote.port());
  }

  void start() {
    watch(server_.options.greeting_timeout);  // A TLS handshake counts against the greeting.
    if (server_.options.tls == nullptr) {
      read_more();
      return;
    }
    handshaking_ = true;
    stream_.start_tls(server_.options.tls->current())
        .async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](
                                                             boost::system::error_code ec) {
          self->handshaking_ = false;
          if (ec) {
            self->server_.stats.connections_refused.fetch_add(1, std::memory_order_relaxed);
            self->server_.log_refusal(self->peer_, Error(ErrorCode::kUnauthenticated,
                                                         "TLS handshake failed: " + ec.message()));
            self->forget();
            return;
          }
          self->read_more();
        });
  }

  // The worker consumed `completion.messages` of ours: send the replies, then the error if any.
  void complete(StorageWorker::Completion completion) {
    for (std::size_t i = 0; i < completion.messages && !inflight_sizes_.empty(); ++i) {
      inflight_bytes_ -= inflight_sizes_.front();
      inflight_sizes_.pop_front();
    }
    for (const consensus::Outbound& reply : completion.replies) {
      queue_output(proto::encode_length_prefixed_frame(*key_, reply.message));
    }
    if (completion.error) {
      refuse(*completion.error);
      return;
    }
    if (refusing_) {
      send_error_once_drained();
      return;
    }
    read_more();  // Resumes reading if back-pressure had paused it.
  }

  void close() {
    closing_ = true;
    deadline_.cancel();
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  ProposerConnectionInfo info() const { return {id_, peer_, key_, proposer_id_}; }

 private:
  void read_more() {
    if (reading_ || closing_ || refusing_ || handshaking_) {
      return;
    }
    if (inflight_bytes_ > server_.options.max_inflight_bytes ||
        output_.unsent_bytes() > server_.options.max_unsent_bytes) {
      return;  // Back-pressure: complete() and the writes call us again as they drain.
    }
    reading_ = true;
    const std::span<char> room = reader_.prepare(kReadChunkBytes);
    stream_.async_read_some(
        asio::buffer(room.data(), room.size()),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          self->reading_ = false;
          if (ec) {
            self->forget();
            return;
          }
          self->server_.stats.bytes_received.fetch_add(n, std::memory_order_relaxed);
          self->reader_.commit(n);
          self->last_input_ = std::chrono::steady_clock::now();
          self->process_frames();
          self->read_more();
        });
  }

  void process_frames() {
    while (!refusing_) {
      auto frame = reader_.next();
      if (!frame) {
        refuse(frame.error());
        return;
      }
      if (!frame->has_value()) {
        return;
      }
      const std::string_view bytes = **frame;
      server_.stats.messages_received.fetch_add(1, std::memory_order_relaxed);
      if (Status submitted = submit(bytes); !submitted) {
        refuse(submitted.error());
        return;
      }
    }
  }

  Status submit(std::string_view bytes) {
    consensus::Message message;
    if (!key_) {
      auto decoded = proto::decode_frame_for_any_timeline(bytes);
      if (!decoded) {
        return decoded.error();
      }
      const auto* greeting = std::get_if<consensus::ProposerGreeting>(&decoded->message);
      if (greeting == nullptr) {
        return Error(ErrorCode::kMalformedMessage,
                     "the first frame on a proposer connection must be a ProposerGreeting");
      }
      if (Status allowed = check_token(decoded->key, decoded->auth_token); !allowed) {
        return allowed.error();
      }
      IdentityCheck* identity = server_.options.identity;
      if (identity != nullptr && decoded->key == branch_log_key() && decoded->incarnation != 0) {
        if (Status admitted = identity->admit(greeting->proposer_id, decoded->incarnation);
            !admitted) {
          return admitted.error();
        }
      }
      key_ = decoded->key;
      proposer_id_ = greeting->proposer_id;
      watch(server_.options.idle_timeout);  // The greeting's deadline gives way to the idle one.
      message = std::move(decoded->message);
    } else {
      if (server_.options.identity != nullptr) {
        if (Status serving = server_.options.identity->serving(); !serving) {
          return serving.error();
        }
      }
      auto decoded = proto::decode_frame(bytes, *key_);
      if (!decoded) {
        return decoded.error();
      }
      message = std::move(*decoded);
    }
    inflight_sizes_.push_back(bytes.size());
    inflight_bytes_ += bytes.size();
    server_.worker.enqueue({id_, *key_, proposer_id_, std::move(message)});
    return {};
  }

  // Closes the connection unless it greets within the greeting timeout and then sends a frame at
  // least every idle timeout. Wakes once per period, not per frame.
  void watch(std::chrono::milliseconds wait) {
    deadline_.expires_after(wait);
    deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->closing_) {
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      const bool greeted = self->key_.has_value();
      const auto limit =
          greeted ? self->server_.options.idle_timeout : self->server_.options.greeting_timeout;
      const auto quiet = now - (greeted ? self->last_input_ : self->opened_);
      if (quiet < limit) {
        self->watch(std::chrono::duration_cast<std::chrono::milliseconds>(limit - quiet) +
                    std::chrono::milliseconds(1));
        return;
      }
      log_info(
          "proposer connection from " + self->peer_ +
          " closed: " + (greeted ? "no frame" : "no greeting") + " for " +
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) +
          " ms");
      self->forget();
    });
  }

  Status check_token(const storage::TimelineKey& key, const std::string& token) const {
    const auth::Authenticator* auth = server_.options.auth;
    if (auth == nullptr) {
      return {};
    }
    const auth::Need need =
        key == branch_log_key() ? auth::Need::safekeeper() : auth::Need::wal_write(key.tenant_id);
    auto grant = auth->check(token, need);
    if (!grant) {
      return grant.error();
    }
    return {};
  }

  // Reads nothing more, and sends `error` as the last frame, then closes. Messages handed to the
  // worker before the bad one were valid: they are carried out and their replies go first.
  void refuse(const Error& error) {
    if (refusing_) {
      return;
    }
    refusing_ = true;
    refusal_ = error;
    server_.stats.connections_refused.fetch_add(1, std::memory_order_relaxed);
    server_.log_refusal(peer_, error);
    send_error_once_drained();
  }

  void send_error_once_drained() {
    if (!refusal_ || !inflight_sizes_.empty()) {
      return;
    }
    queue_output(proto::length_prefixed(
        proto::encode_error_frame(key_.value_or(storage::TimelineKey{}), *refusal_)));
    refusal_.reset();
  }

  void queue_output(std::string bytes) {
    output_.push(std::move(bytes));
    write_more();
  }

  void write_more() {
    if (output_.writing() || closing_) {
      return;
    }
    if (output_.empty()) {
      if (refusing_ && !refusal_ && inflight_sizes_.empty()) {
        forget();  // The error frame is out: close.
      }
      return;
    }
    output_.write(stream_,
                  [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                    self->server_.stats.bytes_sent.fetch_add(n, std::memory_order_relaxed);
                    if (ec) {
                      self->forget();
                      return;
                    }
                    self->write_more();
                    self->read_more();
                  });
  }

  // Closes the socket and drops the server's reference (pending handlers keep us alive).
  void forget() {
    if (!closing_) {
      close();
    }
    if (server_.connections.forget(id_)) {
      server_.worker.connection_closed(id_);
    }
  }

  Impl& server_;
  tls::OptionalTlsStream stream_;  // TLS once the handshake started (options.tls).
  Admission admission_;            // Its place under the port's connection limits.
  const std::uint64_t id_;
  asio::steady_timer deadline_;  // The greeting and idle timeouts (watch()).
  const std::chrono::steady_clock::time_point opened_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_input_;
  std::string peer_;
  proto::FrameReader reader_;
  std::optional<storage::TimelineKey> key_;  // Set by the greeting.
  consensus::NodeId proposer_id_;
  std::deque<std::size_t> inflight_sizes_;  // Per submitted message, oldest first.
  std::size_t inflight_bytes_ = 0;
  OutputQueue<std::string> output_;
  bool reading_ = false;
  bool handshaking_ = false;
  bool refusing_ = false;         // Closing with an error; nothing more is read.
  std::optional<Error> refusal_;  // The error, until it is queued behind the last reply.
  bool closing_ = false;
};

void ProposerServer::Impl::on_completion(StorageWorker::Completion completion) {
  const std::shared_ptr<Connection> connection = connections.find(completion.connection);
  if (connection == nullptr) {
    return;  // Closed meanwhile: the replies have nowhere to go.
  }
  connection->complete(std::move(completion));
}

ProposerServer::ProposerServer(asio::io_context& io, StorageWorker& worker,
                               ProposerServerOptions options)
    : impl_(std::make_shared<Impl>(io, worker, options)) {}

ProposerServer::~ProposerServer() = default;

void ProposerServer::serve(BoundPort port) {
  impl_->listeners.serve(std::move(port), [impl = impl_](tcp::socket socket, Admission admission) {
    impl->accepted(std::move(socket), std::move(admission));
  });
}

void ProposerServer::Impl::accepted(tcp::socket socket, Admission admission) {
  connections
      .add([&](std::uint64_t id) {
        return std::make_shared<Connection>(*this, std::move(socket), std::move(admission), id);
      })
      ->start();
}

void ProposerServer::deliver(std::vector<StorageWorker::Completion> completions) {
  asio::post(impl_->io, [impl = impl_, completions = std::move(completions)]() mutable {
    for (auto& completion : completions) {
      impl->on_completion(std::move(completion));
    }
  });
}

void ProposerServer::stop() {
  impl_->listeners.close();
  impl_->connections.close_all();
}

std::vector<ProposerConnectionInfo> ProposerServer::connections() const {
  return impl_->connections.infos();
}

const ListenerStats& ProposerServer::listener_stats() const {
  return impl_->listeners.stats();
}

const ProposerServerStats& ProposerServer::stats() const {
  return impl_->stats;
}

}  // namespace sk::safekeeper
