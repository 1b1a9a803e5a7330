// AcceptorLinks; see acceptor_links.h.
#include "safekeeper/proposer/acceptor_links.h"

#include <map>
#include <memory>
#include <optional>
#include <span>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "proto/framing.h"
#include "safekeeper/tls/optional_tls_stream.h"

namespace sk::proposer {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// Room for each read; the acceptors' replies are small, so this is rarely filled.
constexpr std::size_t kReadChunkBytes = 64 * 1024;
// Resolving, connecting and the TLS handshake together. Without it a connect to a host whose
// link is down waits out the kernel's SYN retries (over a minute), and keeps waiting after
// the link is back; with it the next attempt starts within this time of the link's return.
constexpr std::chrono::seconds kConnectTimeout{2};
}  // namespace

struct AcceptorLinks::Impl : std::enable_shared_from_this<AcceptorLinks::Impl> {
  enum class State : std::uint8_t { kIdle, kConnecting, kConnected, kWaiting };

  struct Link {
    AcceptorAddress address;
    State state = State::kIdle;
    std::unique_ptr<tls::OptionalTlsStream> stream;
    std::uint64_t generation = 0;  // Bumped per connection: stale callbacks check it.
    proto::FrameReader reader;
    std::vector<std::shared_ptr<const std::string>> output;  // Frames, length-prefixed.
    std::vector<std::shared_ptr<const std::string>> in_write;
    bool writing = false;
    std::unique_ptr<asio::steady_timer> retry_timer;
    std::unique_ptr<tcp::resolver> resolver;  // The host is resolved again on every connect.
    std::unique_ptr<asio::steady_timer> connect_timer;
    // A send came while waiting to reconnect: connect as soon as the wait ends, rather than at
    // the proposer's next resend.
    bool wanted = false;
  };

  Impl(asio::io_context& io_context, proto::TimelineKey timeline, AcceptorLinkHandlers h,
       std::chrono::milliseconds delay, ProposerCredentials given)
      : io(io_context),
        key(timeline),
        handlers(std::move(h)),
        reconnect_delay(delay),
        credentials(std::move(given)) {}

  // `message` as a length-prefixed frame. The proposer sends the same AppendRequest to every
  // acceptor in turn: it is encoded once and the frame shared (an append is up to 128 KiB).
  std::shared_ptr<const std::string> encoded(const consensus::Message& message);
  void connect(Link& link);
  // The TLS handshake on a connected link (credentials.tls), then connected().
  void shake_hands(Link& link);
  void connected(Link& link);
  void read(Link& link);
  void write(Link& link);
  // Ends the link's connection; `notify` says whether the driver hears of it (not when it asked).
  void fail(Link& link, const Error& why, bool was_connected, bool notify = true);
  // Closes the link's connection (if any) and stops its timers; every callback becomes stale.
  void close(Link& link);

  asio::io_context& io;
  proto::TimelineKey key;
  AcceptorLinkHandlers handlers;
  std::chrono::milliseconds reconnect_delay;
  ProposerCredentials credentials;
  std::map<consensus::NodeId, Link> links;
  std::optional<consensus::Message> last_message;  // What last_frame encodes.
  std::shared_ptr<const std::string> last_frame;
  Stats stats;
  bool closed = false;
};

std::shared_ptr<const std::string> AcceptorLinks::Impl::encoded(const consensus::Message& message) {
  if (last_message && *last_message == message) {
    return last_frame;
  }
  const auto* greeting = std::get_if<consensus::ProposerGreeting>(&message);
  last_frame = std::make_shared<const std::string>(
      greeting != nullptr ? proto::encode_length_prefixed_greeting(
                                key, *greeting, credentials.token, credentials.incarnation)
                          : proto::encode_length_prefixed_frame(key, message));
  last_message = message;
  return last_frame;
}

void AcceptorLinks::Impl::connect(Link& link) {
  link.state = State::kConnecting;
  link.wanted = false;
  const std::uint64_t generation = ++link.generation;
  link.stream = std::make_unique<tls::OptionalTlsStream>(tcp::socket(io));
  link.reader = proto::FrameReader();
  link.output.clear();
  const std::string acceptor = "acceptor " + std::to_string(link.address.id.value()) + " at " +
                               link.address.host + ":" + std::to_string(link.address.port);
  link.connect_timer = std::make_unique<asio::steady_timer>(io, kConnectTimeout);
  link.connect_timer->async_wait([self = shared_from_this(), &link, generation,
                                  acceptor](boost::system::error_code ec) {
    if (!ec && !self->closed && generation == link.generation && link.state == State::kConnecting) {
      self->fail(link, Error(ErrorCode::kUnavailable, "connecting to " + acceptor + " timed out"),
                 false);
    }
  });
  // Host names are resolved on every connect, so that a peer that comes back at a new address
  // (a rescheduled Kubernetes pod, a replaced machine) is found again.
  link.resolver = std::make_unique<tcp::resolver>(io);
  link.resolver->async_resolve(
      link.address.host, std::to_string(link.address.port),
      [self = shared_from_this(), &link, generation, acceptor](
          boost::system::error_code resolve_ec, const tcp::resolver::results_type& endpoints) {
        if (self->closed || generation != link.generation) {
          return;
        }
        if (resolve_ec) {
          self->fail(link,
                     Error(ErrorCode::kUnavailable,
                           "cannot resolve " + acceptor + ": " + resolve_ec.message()),
                     false);
          return;
        }
        asio::async_connect(
            link.stream->socket(), endpoints,
            [self, &link, generation, acceptor](boost::system::error_code connect_ec,
                                                const tcp::endpoint&) {
              if (self->closed || generation != link.generation) {
                return;
              }
              if (connect_ec) {
                self->fail(link,
                           Error(ErrorCode::kUnavailable,
                                 "cannot connect to " + acceptor + ": " + connect_ec.message()),
                           false);
                return;
              }
              boost::system::error_code ignored;
              link.stream->socket().set_option(tcp::no_delay(true), ignored);
              if (self->credentials.tls) {
                self->shake_hands(link);
              } else {
                self->connected(link);
              }
            });
      });
}

void AcceptorLinks::Impl::shake_hands(Link& link) {
  auto& layer = link.stream->start_tls(credentials.tls);
  // The acceptor's certificate must name the host it is reached at (its IP address, or name).
  layer.set_verify_callback(asio::ssl::host_name_verification(link.address.host));
  SSL_set_tlsext_host_name(layer.native_handle(), link.address.host.c_str());
  const std::uint64_t generation = link.generation;
  layer.async_handshake(asio::ssl::stream_base::client, [self = shared_from_this(), &link,
                                                         generation](boost::system::error_code ec) {
    if (self->closed || generation != link.generation) {
      return;
    }
    if (ec) {
      self->fail(link,
                 Error(ErrorCode::kUnavailable, "TLS handshake with acceptor " +
                                                    std::to_string(link.address.id.value()) +
                                                    " failed: " + ec.message()),
                 false);
      return;
    }
    self->connected(link);
  });
}

void AcceptorLinks::Impl::connected(Link& link) {
  link.state = State::kConnected;
  link.connect_timer->cancel();
  ++stats.connects;
  read(link);
  handlers.on_connected(link.address.id);
}

void AcceptorLinks::Impl::read(Link& link) {
  const std::uint64_t generation = link.generation;
  const std::span<char> room = link.reader.prepare(kReadChunkBytes);
  link.stream->async_read_some(
      asio::buffer(room.data(), room.size()),
      [self = shared_from_this(), &link, generation](boost::system::error_code ec, std::size_t n) {
        if (self->closed || generation != link.generation) {
          return;
        }
        if (ec) {
          self->fail(link, Error(ErrorCode::kUnavailable, "connection lost: " + ec.message()),
                     true);
          return;
        }
        self->stats.bytes_received += n;
        link.reader.commit(n);
        for (;;) {
          auto frame = link.reader.next();
          if (!frame) {
            self->fail(link, frame.error(), true);
            return;
          }
          if (!frame->has_value()) {
            break;
          }
          auto message = proto::decode_frame(**frame, self->key);
          if (!message) {
            self->fail(link, message.error(), true);
            return;
          }
          self->handlers.on_message(link.address.id, *message);
          if (generation != link.generation || self->closed) {
            return;  // The handler dropped this connection.
          }
        }
        self->read(link);
      });
}

void AcceptorLinks::Impl::write(Link& link) {
  if (link.writing || link.output.empty() || link.state != State::kConnected) {
    return;
  }
  link.writing = true;
  link.in_write.clear();
  std::swap(link.in_write, link.output);
  std::vector<asio::const_buffer> buffers;
  for (const std::shared_ptr<const std::string>& bytes : link.in_write) {
    buffers.emplace_back(asio::buffer(*bytes));
  }
  const std::uint64_t generation = link.generation;
  asio::async_write(
      *link.stream, buffers,
      [self = shared_from_this(), &link, generation](boost::system::error_code ec, std::size_t n) {
        if (self->closed || generation != link.generation) {
          return;
        }
        link.writing = false;
        self->stats.bytes_sent += n;
        if (ec) {
          self->fail(link, Error(ErrorCode::kUnavailable, "send failed: " + ec.message()), true);
          return;
        }
        self->write(link);
      });
}

void AcceptorLinks::Impl::fail(Link& link, const Error& why, bool was_connected, bool notify) {
  close(link);  // Every callback of the old connection is now stale.
  link.state = State::kWaiting;
  link.retry_timer = std::make_unique<asio::steady_timer>(io, reconnect_delay);
  const std::uint64_t generation = link.generation;
  link.retry_timer->async_wait(
      [self = shared_from_this(), &link, generation](boost::system::error_code ec) {
        if (!ec && !self->closed && generation == link.generation) {
          link.state = State::kIdle;
          if (link.wanted) {
            self->connect(link);
          }
        }
      });
  if (was_connected && notify) {
    handlers.on_disconnected(link.address.id, why);
  }
}

AcceptorLinks::AcceptorLinks(asio::io_context& io, proto::TimelineKey key,
                             std::vector<AcceptorAddress> acceptors, AcceptorLinkHandlers handlers,
                             std::chrono::milliseconds reconnect_delay,
                             ProposerCredentials credentials)
    : impl_(std::make_shared<Impl>(io, key, std::move(handlers), reconnect_delay,
                                   std::move(credentials))) {
  for (AcceptorAddress& address : acceptors) {
    const consensus::NodeId id = address.id;
    impl_->links[id].address = std::move(address);
  }
}

AcceptorLinks::~AcceptorLinks() {
  close_all();
}

void AcceptorLinks::send(consensus::NodeId acceptor, const consensus::Message& message) {
  auto it = impl_->links.find(acceptor);
  if (it == impl_->links.end() || impl_->closed) {
    return;
  }
  Impl::Link& link = it->second;
  switch (link.state) {
    case Impl::State::kIdle:
      impl_->connect(link);  // This message is dropped; on_connected starts the session.
      return;
    case Impl::State::kWaiting:
      link.wanted = true;
      return;
    case Impl::State::kConnecting:
      return;
    case Impl::State::kConnected:
      break;
  }
  link.output.push_back(impl_->encoded(message));
  impl_->write(link);
}

void AcceptorLinks::drop(consensus::NodeId acceptor, const Error& why) {
  auto it = impl_->links.find(acceptor);
  if (it != impl_->links.end() && it->second.state == Impl::State::kConnected) {
    impl_->fail(it->second, why, /*was_connected=*/true, /*notify=*/false);
  }
}

void AcceptorLinks::Impl::close(Link& link) {
  if (link.state == State::kConnected) {
    ++stats.disconnects;
  }
  ++link.generation;
  if (link.stream) {
    boost::system::error_code ignored;
    link.stream->socket().close(ignored);
  }
  if (link.retry_timer) {
    link.retry_timer->cancel();
  }
  if (link.resolver) {
    link.resolver->cancel();
  }
  if (link.connect_timer) {
    link.connect_timer->cancel();
  }
  link.writing = false;
  link.wanted = false;
  link.output.clear();  // in_write stays: an aborted write may still hold its buffers.
}

void AcceptorLinks::restart(const std::vector<AcceptorAddress>& acceptors) {
  if (impl_->closed) {
    return;
  }
  // Links are never erased: callbacks still in flight hold references to them.
  for (auto& [id, link] : impl_->links) {
    impl_->close(link);
    link.state = Impl::State::kWaiting;  // Not sent to unless named below.
  }
  for (const AcceptorAddress& address : acceptors) {
    Impl::Link& link = impl_->links[address.id];
    link.address = address;
    link.state = Impl::State::kIdle;
  }
}

void AcceptorLinks::close_all() {
  impl_->closed = true;
  for (auto& [id, link] : impl_->links) {
    impl_->close(link);
  }
}

AcceptorLinks::Stats AcceptorLinks::stats() const {
  return impl_->stats;
}

}  // namespace sk::proposer
