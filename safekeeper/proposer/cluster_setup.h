// What the two proposer programs (sk-loadgen, walproposer) share before the first election: the
// flags that name the cluster and the timeline, and the timeline made to exist, with one
// identity, on the safekeepers' HTTP ports.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "consensus/configuration.h"
#include "consensus/result.h"
#include "consensus/types.h"
#include "safekeeper/cli/command_line.h"
#include "safekeeper/proposer/acceptor_links.h"

namespace sk::proposer {

// `id=host:port,id=host:port,...`; kInvalidArgument naming the bad item.
Result<std::vector<AcceptorAddress>> parse_acceptor_list(const std::string& text);

// Generation 0 of these acceptors' ids: the configuration a proposer assumes from its list
// (--safekeepers, --peers) until an acceptor shows a newer one.
consensus::Configuration plain_configuration(const std::vector<AcceptorAddress>& acceptors);

// Where to reach each acceptor of `configuration`: the address the configuration gives (an
// operator's membership change names its new members' there), else the one in `known` (the
// program's --safekeepers or --peers). The ids of those with neither go to `unreachable`.
std::vector<AcceptorAddress> configured_acceptors(const consensus::Configuration& configuration,
                                                  const std::vector<AcceptorAddress>& known,
                                                  std::vector<consensus::NodeId>& unreachable);

// The items of a comma-separated list, empty items included.
std::vector<std::string> split_list(const std::string& text);

// --safekeepers ID=HOST:PORT,..., --http [https://]HOST:PORT,..., --tenant HEX, --timeline HEX,
// --token-file FILE, --tls-ca FILE (the CA https:// addresses and TLS proposer ports are
// checked against; set for the whole process) and --tls-cert FILE --tls-key FILE (a client
// certificate: the proposer ports are then reached over mutual TLS), as read by
// read_cluster_flags(): each absent one is empty; a malformed one (or an unreadable file) is a
// usage error.
struct ClusterFlags {
  std::vector<AcceptorAddress> safekeepers;  // Proposer ports.
  std::vector<std::string> http;             // HTTP ports, to create the timeline.
  // Sent in every greeting and HTTP request (auth/token.h): the tenant's write scope or the
  // safekeeper scope.
  std::string token;
  // With --tls-cert: the context the proposer ports are reached with; nullptr: plain TCP.
  std::shared_ptr<boost::asio::ssl::context> proposer_tls;
  std::optional<consensus::TenantId> tenant;
  std::optional<consensus::TimelineId> timeline;
};
void add_cluster_flags(cli::CommandLine& flags);
ClusterFlags read_cluster_flags(const cli::CommandLine& flags);

// The identity the timeline has on the first of `http_addresses` that hosts it, or nullopt when
// none of those that answered does. kUnavailable when none answered.
Result<std::optional<consensus::TimelineIdentity>> find_timeline(
    const std::vector<std::string>& http_addresses, const consensus::TenantId& tenant,
    const consensus::TimelineId& timeline, const std::string& token);

// Creates the timeline on every address (idempotent: the same identity again is fine). Returns
// how many hold it now (`token`, if any, goes as a bearer token); one line per failure goes to
// `errors` (a safekeeper that is down, or one holding the timeline with another identity).
std::size_t create_timeline(const std::vector<std::string>& http_addresses,
                            const consensus::TimelineIdentity& identity, const std::string& token,
                            std::vector<std::string>& errors);

}  // namespace sk::proposer
