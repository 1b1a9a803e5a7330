// The timing of every proposer that runs on a real network and clock (the walproposer,
// sk-loadgen, the branch log's writer), written once. A tick is 10 ms: campaigns retry after
// 0.2-0.4 s, heartbeats go every 0.1 s, unacknowledged appends are resent after 0.5 s, and a
// silent acceptor is given up (and greeted again) after 3 s, since an fdatasync under load can
// take a good fraction of a second. The simulation uses ticks of its own.
#pragma once

#include <chrono>

#include "consensus/proposer.h"

namespace sk::proposer {

inline constexpr std::chrono::milliseconds kProposerTick{10};

inline void use_network_timing(consensus::ProposerConfig& config) {
  config.election_timeout_ticks = 20;
  config.election_jitter_ticks = 20;
  config.peer_timeout_ticks = 300;
  config.resend_ticks = 50;
  config.heartbeat_ticks = 10;
}

}  // namespace sk::proposer
