// sk-bench-etcd: etcd as the cluster harness's point of comparison (cluster_bench.sh). Puts
// values of --bytes through etcd's JSON gateway (POST /v3/kv/put, which etcd 3.4 serves next to
// the older /v3beta path) from --clients keep-alive connections, each with one put outstanding,
// for --seconds or --max-puts, and prints one JSON line:
//
//   {"bytes":8192,"clients":8,"puts":...,"seconds":...,"puts_per_s":...,"mb_per_s":...,
//    "p50_us":...,"p99_us":...}
//
// MB/s counts value bytes only (10^6 bytes per MB, as sk-loadgen and sk-bench-rawdisk do).
// Client i talks to endpoint i mod n; the harness passes the leader alone, so that no put pays a
// follower's forwarding hop. Any reply but 200 with a response header is a failure: the program
// stops with status 1 instead of reporting a rate. Beast lives in this file only.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "safekeeper/cli/command_line.h"
#include "safekeeper/metrics/percentile.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string host;
  std::string port;
};

struct Options {
  std::vector<Endpoint> endpoints;
  std::size_t clients = 1;
  std::size_t value_bytes = 8192;
  double seconds = 10;
  std::uint64_t max_puts = 1000000;
  std::chrono::milliseconds put_timeout{10000};
};

Options parse(int argc, char** argv) {
  static sk::cli::CommandLine flags("sk-bench-etcd", "--endpoints HOST:PORT,... [options]");
  flags.value("endpoints", "LIST", "etcd client URLs as host:port; client i uses entry i mod n")
      .value("clients", "C", "connections, one put outstanding on each (default 1)")
      .value("bytes", "N", "value size (default 8192)")
      .value("seconds", "S", "how long to put (default 10)")
      .value("max-puts", "N", "stop after N puts in all if that comes first (default 1000000)")
      .value("timeout-ms", "T", "one put's deadline; a later reply is a failure (default 10000)");
  flags.parse(argc, argv);
  Options o;
  const std::string list = flags.get("endpoints").value_or("");
  for (std::size_t begin = 0; !list.empty() && begin <= list.size();) {
    const std::size_t comma = std::min(list.find(',', begin), list.size());
    const std::string item = list.substr(begin, comma - begin);
    const std::size_t colon = item.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) {
      flags.usage_error("--endpoints: '" + item + "' is not host:port");
    }
    o.endpoints.push_back({item.substr(0, colon), item.substr(colon + 1)});
    begin = comma + 1;
  }
  o.clients = flags.get_unsigned("clients", true).value_or(o.clients);
  o.value_bytes = flags.get_unsigned("bytes", true).value_or(o.value_bytes);
  o.seconds = flags.get_real("seconds").value_or(o.seconds);
  o.max_puts = flags.get_unsigned("max-puts", true).value_or(o.max_puts);
  if (auto ms = flags.get_unsigned("timeout-ms", true)) {
    o.put_timeout = std::chrono::milliseconds(*ms);
  }
  if (o.endpoints.empty()) {
    flags.usage_error("--endpoints is required");
  }
  if (!(o.seconds > 0)) {
    flags.usage_error("--seconds must be positive");
  }
  // A bound on connections, so a typo cannot open thousands of sockets to the cluster.
  if (o.clients > 1024) {
    flags.usage_error("--clients must be at most 1024");
  }
  return o;
}

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto byte_at = [&](std::size_t i) -> std::uint32_t {
    return i < bytes.size() ? static_cast<unsigned char>(bytes[i]) : 0;
  };
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  // Three bytes at a time become four characters; a short last group is padded with '='.
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t group = byte_at(i) << 16 | byte_at(i + 1) << 8 | byte_at(i + 2);
    const std::size_t present = std::min<std::size_t>(3, bytes.size() - i);
    out += kAlphabet[group >> 18 & 63];
    out += kAlphabet[group >> 12 & 63];
    out += present > 1 ? kAlphabet[group >> 6 & 63] : '=';
    out += present > 2 ? kAlphabet[group & 63] : '=';
  }
  return out;
}

// What every client shares: the deadline, the count, the latencies, the first failure. One
// thread runs the io_context, so no locks.
struct Run {
  Options options;
  std::string value_base64;  // The same value for every put; only the key changes.
  Clock::time_point deadline;
  std::uint64_t puts_started = 0;
  std::vector<std::uint32_t> latencies_us;
  std::string failure;
  std::size_t clients_connected = 0;
  Clock::time_point last_done;
};

// One connection with at most one put in flight: put, read the reply, check it, put again.
class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, Run& run, std::size_t index)
      : run_(run), index_(index), stream_(io), resolver_(io) {}

  // Connects, then calls `on_connected` (with the Run's failure set if it could not).
  void connect(std::function<void()> on_connected) {
    const Endpoint& endpoint = run_.options.endpoints[index_ % run_.options.endpoints.size()];
    target_host_ = endpoint.host + ":" + endpoint.port;
    stream_.expires_after(run_.options.put_timeout);
    resolver_.async_resolve(
        endpoint.host, endpoint.port,
        [self = shared_from_this(), on_connected = std::move(on_connected)](
            beast::error_code ec, const tcp::resolver::results_type& results) mutable {
          if (ec) {
            self->fail("resolve " + self->target_host_ + ": " + ec.message());
            on_connected();
            return;
          }
          self->stream_.async_connect(
              results, [self, on_connected = std::move(on_connected)](beast::error_code connect_ec,
                                                                      const tcp::endpoint&) {
                if (connect_ec) {
                  self->fail("connect " + self->target_host_ + ": " + connect_ec.message());
                } else {
                  self->stream_.socket().set_option(tcp::no_delay(true));
                }
                on_connected();
              });
        });
  }

  void start() { put_next(); }

 private:
  void fail(std::string why) {
    if (run_.failure.empty()) {
      run_.failure = std::move(why);
    }
  }

  // Nothing more to put on this connection: the run is over or failed.
  void finish() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  void put_next() {
    const auto now = Clock::now();
    if (!run_.failure.empty() || now >= run_.deadline ||
        run_.puts_started >= run_.options.max_puts) {
      finish();
      return;
    }
    ++run_.puts_started;
    const std::string key = "sk-bench/" + std::to_string(index_) + "/" + std::to_string(seq_++);
    request_ = {http::verb::post, "/v3/kv/put", 11};
    request_.set(http::field::host, target_host_);
    request_.set(http::field::content_type, "application/json");
    request_.keep_alive(true);
    request_.body() = "{\"key\":\"" + base64(key) + "\",\"value\":\"" + run_.value_base64 + "\"}";
    request_.prepare_payload();
    response_ = {};
    put_started_ = now;
    stream_.expires_after(run_.options.put_timeout);
    http::async_write(stream_, request_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) {
                          self->fail("put to " + self->target_host_ + ": " + ec.message());
                          self->finish();
                          return;
                        }
                        self->read_reply();
                      });
  }

  void read_reply() {
    http::async_read(
        stream_, buffer_, response_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_reply(ec); });
  }

  void on_reply(beast::error_code ec) {
    const auto now = Clock::now();
    if (ec) {
      fail("reply from " + target_host_ + ": " + ec.message());
      finish();
      return;
    }
    // The gateway answers a successful put with {"header":{...}} and a failed one (quota
    // exceeded, no leader, ...) with another status and {"error":...}.
    const std::string& body = response_.body();
    if (response_.result() != http::status::ok || body.find("\"header\"") == std::string::npos ||
        body.find("\"error\"") != std::string::npos) {
      fail("put to " + target_host_ + ": HTTP " + std::to_string(response_.result_int()) + " " +
           body.substr(0, 300));
      finish();
      return;
    }
    if (!response_.keep_alive()) {
      fail(target_host_ + " closed the connection after a put");
      finish();
      return;
    }
    run_.latencies_us.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(now - put_started_).count()));
    run_.last_done = now;
    put_next();
  }

  Run& run_;
  const std::size_t index_;
  beast::tcp_stream stream_;
  tcp::resolver resolver_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::string target_host_;  // host:port, for the Host header and messages.
  std::uint64_t seq_ = 0;
  Clock::time_point put_started_;
};

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.options = parse(argc, argv);
  std::string value(run.options.value_bytes, '\0');
  for (std::size_t i = 0; i < value.size(); ++i) {
    value[i] = static_cast<char>(i * 131 + 7);
  }
  run.value_base64 = base64(value);
  run.latencies_us.reserve(
      static_cast<std::size_t>(std::min<std::uint64_t>(run.options.max_puts, 1 << 20)));

  asio::io_context io;
  std::vector<std::shared_ptr<Client>> clients;
  for (std::size_t i = 0; i < run.options.clients; ++i) {
    clients.push_back(std::make_shared<Client>(io, run, i));
  }
  Clock::time_point started;
  // Every connection is open before the clock starts, so connecting is not measured.
  for (const auto& client : clients) {
    client->connect([&] {
      if (++run.clients_connected < clients.size() || !run.failure.empty()) {
        return;
      }
      started = Clock::now();
      run.last_done = started;
      run.deadline = started + std::chrono::duration_cast<Clock::duration>(
                                   std::chrono::duration<double>(run.options.seconds));
      for (const auto& each : clients) {
        each->start();
      }
    });
  }
  io.run();

  if (!run.failure.empty()) {
    std::fprintf(stderr, "sk-bench-etcd: %s\n", run.failure.c_str());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(run.last_done - started).count();
  const std::size_t puts = run.latencies_us.size();
  const double per_second = seconds > 0 ? static_cast<double>(puts) / seconds : 0.0;
  std::printf(
      "{\"bytes\":%zu,\"clients\":%zu,\"puts\":%zu,\"seconds\":%.3f,\"puts_per_s\":%.1f,"
      "\"mb_per_s\":%.2f,\"p50_us\":%u,\"p99_us\":%u}\n",
      run.options.value_bytes, run.options.clients, puts, seconds, per_second,
      per_second * static_cast<double>(run.options.value_bytes) / 1e6,
      sk::metrics::percentile(run.latencies_us, 0.5),
      sk::metrics::percentile(run.latencies_us, 0.99));
  return 0;
}
