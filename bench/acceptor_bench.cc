// Throughput of consensus::Acceptor on its hot path: a stream of consecutive AppendRequests in
// the elected term, 8 KiB and 128 KiB each. Measures the state machine alone (no codec, no
// disk); each Ready, which holds a copy of the WAL bytes, is dropped every iteration.
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>

#include "consensus/acceptor.h"

namespace sk::consensus {
namespace {

const NodeId kAcceptorId(1);
const NodeId kProposerId(100);

TimelineIdentity make_identity() {
  TimelineIdentity identity;
  identity.system_id = 0x1234567890abcdefULL;
  identity.pg_version = 150004;
  identity.wal_seg_size_bytes = 16 * 1024 * 1024;
  identity.timeline_start_lsn = Lsn(0x16B3748);
  return identity;
}

// An acceptor of a new timeline that has voted for and adopted term 1's proposer, ready for
// appends at the timeline start. Aborts the benchmark (SkipWithError) if the setup is refused.
bool elect(benchmark::State& state, Acceptor& acceptor, Lsn start) {
  Result<Ready> voted = acceptor.step(kProposerId, VoteRequest{Term(1)});
  Result<Ready> elected = acceptor.step(
      kProposerId,
      ProposerElected{Term(1), start, TermHistory({{Term(0), start}, {Term(1), start}})});
  if (!voted || !elected || acceptor.history_up_to_flush().last_term() != Term(1)) {
    state.SkipWithError("acceptor refused the election");
    return false;
  }
  return true;
}

void acceptor_append(benchmark::State& state) {
  const auto payload_bytes = static_cast<std::uint64_t>(state.range(0));
  const TimelineIdentity identity = make_identity();
  const Lsn start = identity.timeline_start_lsn;
  Acceptor acceptor(kAcceptorId, AcceptorState::for_new_timeline(identity), start);
  if (!elect(state, acceptor, start)) {
    return;
  }
  std::vector<std::uint8_t> wal(payload_bytes);
  for (std::size_t i = 0; i < wal.size(); ++i) {
    wal[i] = static_cast<std::uint8_t>(i * 131 + 17);
  }
  // One message reused: only its LSNs move, so the loop allocates nothing that outlives it.
  Message message = AppendRequest{Term(1), start, start, start, start, std::move(wal)};
  auto& request = std::get<AppendRequest>(message);
  for (auto _ : state) {
    request.begin_lsn = acceptor.flush_lsn();
    request.end_lsn = request.begin_lsn.plus_bytes(payload_bytes);
    // The previous append is committed, so each step also moves the commit LSN and persists.
    request.commit_lsn = request.begin_lsn;
    request.truncate_lsn = request.begin_lsn;
    Result<Ready> ready = acceptor.step(kProposerId, message);
    if (!ready || !ready->wal_write) {
      state.SkipWithError("append was not accepted");
      break;
    }
    benchmark::DoNotOptimize(ready->wal_write->bytes.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload_bytes));
}

BENCHMARK(acceptor_append)->Arg(std::int64_t{8} * 1024)->Arg(std::int64_t{128} * 1024);

}  // namespace
}  // namespace sk::consensus
