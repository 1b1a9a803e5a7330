// sk-bench-branch-create: branch creation latency, one request at a time: --count branches of
// --parent (at its head) created through POST /v1/tenants/{t}/branches, each timed from sending
// the request to the 201, which the safekeeper sends only once the entry is committed by a
// majority and applied. Requests go round-robin to the --http addresses. Prints one JSON line:
//
//   {"count":1000,"p50_ms":...,"p99_ms":...,"max_ms":...,"mean_ms":...}
//
// Any answer but 201 stops the run with status 1 and the answer.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "safekeeper/cli/command_line.h"
#include "safekeeper/http/http_client.h"
#include "safekeeper/metrics/percentile.h"
#include "safekeeper/proposer/cluster_setup.h"

namespace {

struct Options {
  std::vector<std::string> http;
  std::string tenant;
  std::string parent = "main";
  std::string prefix = "bench";
  std::uint64_t count = 1000;
};

Options parse(int argc, char** argv) {
  static sk::cli::CommandLine flags("sk-bench-branch-create",
                                    "--http HOST:PORT,... --tenant HEX [options]");
  flags.value("http", "LIST", "the safekeepers' HTTP addresses; request i goes to entry i mod n")
      .value("tenant", "HEX", "the tenant the branches are made in")
      .value("parent", "NAME", "the parent of every branch (default main)")
      .value("prefix", "NAME", "branch names are PREFIX-1, PREFIX-2, ... (default bench)")
      .value("count", "N", "how many branches (default 1000)");
  flags.parse(argc, argv);
  Options o;
  o.http = sk::proposer::split_list(flags.get("http").value_or(""));
  o.tenant = flags.get("tenant").value_or("");
  o.parent = flags.get("parent").value_or(o.parent);
  o.prefix = flags.get("prefix").value_or(o.prefix);
  o.count = flags.get_unsigned("count", true).value_or(o.count);
  if (!flags.get("http") || o.tenant.empty()) {
    flags.usage_error("--http and --tenant are required");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::string target = "/v1/tenants/" + o.tenant + "/branches";
  std::vector<std::uint32_t> micros;
  micros.reserve(o.count);
  for (std::uint64_t i = 0; i < o.count; ++i) {
    const std::string body = R"({"name":")" + o.prefix + "-" + std::to_string(i) +
                             R"(","parent":")" + o.parent + R"("})";
    const auto start = std::chrono::steady_clock::now();
    auto reply = sk::http::http_request(o.http[i % o.http.size()], "POST", target, body,
                                        std::chrono::seconds(10));
    const auto end = std::chrono::steady_clock::now();
    if (!reply || reply->status != 201) {
      std::fprintf(stderr, "sk-bench-branch-create: creation %llu: %s\n",
                   static_cast<unsigned long long>(i),
                   reply ? (std::to_string(reply->status) + " " + reply->body).c_str()
                         : reply.error().to_string().c_str());
      return 1;
    }
    micros.push_back(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(end - start).count()));
  }
  double sum = 0;
  for (const std::uint32_t us : micros) {
    sum += us;
  }
  auto ms = [&](double p) { return sk::metrics::percentile(micros, p) / 1000.0; };
  std::printf("{\"count\":%zu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f}\n",
              micros.size(), ms(0.50), ms(0.99), ms(1.0),
              sum / 1000.0 / static_cast<double>(micros.size()));
  return 0;
}
