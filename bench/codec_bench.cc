// Throughput of proto/codec on the hot path: AppendRequest frames of a typical (8 KiB) and the
// largest (128 KiB, the proposer's max_append_bytes) payload, encoded, decoded, and both, as a
// proposer and an acceptor each do once per message.
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "proto/codec.h"

namespace sk::proto {
namespace {

using consensus::AppendRequest;
using consensus::Lsn;
using consensus::Term;

TimelineKey make_key() {
  consensus::TenantId::Bytes tenant{};
  consensus::TimelineId::Bytes timeline{};
  for (std::size_t i = 0; i < tenant.size(); ++i) {
    tenant[i] = static_cast<std::uint8_t>(i + 1);
    timeline[i] = static_cast<std::uint8_t>(i + 0x21);
  }
  return TimelineKey{consensus::TenantId(tenant), consensus::TimelineId(timeline)};
}

AppendRequest make_append(std::size_t payload_bytes) {
  std::vector<std::uint8_t> wal(payload_bytes);
  for (std::size_t i = 0; i < wal.size(); ++i) {
    wal[i] = static_cast<std::uint8_t>(i * 131 + 17);
  }
  const Lsn begin(0x16B3748);
  AppendRequest request;
  request.term = Term(3);
  request.begin_lsn = begin;
  request.end_lsn = begin.plus_bytes(payload_bytes);
  request.commit_lsn = begin;
  request.truncate_lsn = begin;
  request.wal = std::move(wal);
  return request;
}

void report(benchmark::State& state, std::size_t payload_bytes) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(payload_bytes));
}

void codec_encode_append(benchmark::State& state) {
  const auto payload_bytes = static_cast<std::size_t>(state.range(0));
  const TimelineKey key = make_key();
  const consensus::Message message = make_append(payload_bytes);
  for (auto _ : state) {
    std::string bytes = encode_frame(key, message);
    benchmark::DoNotOptimize(bytes.data());
  }
  report(state, payload_bytes);
}

void codec_decode_append(benchmark::State& state) {
  const auto payload_bytes = static_cast<std::size_t>(state.range(0));
  const TimelineKey key = make_key();
  const std::string bytes = encode_frame(key, make_append(payload_bytes));
  for (auto _ : state) {
    Result<consensus::Message> decoded = decode_frame(bytes, key);
    if (!decoded) {
      state.SkipWithError(decoded.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(decoded->index());
  }
  report(state, payload_bytes);
}

void codec_encode_decode_append(benchmark::State& state) {
  const auto payload_bytes = static_cast<std::size_t>(state.range(0));
  const TimelineKey key = make_key();
  const consensus::Message message = make_append(payload_bytes);
  for (auto _ : state) {
    Result<consensus::Message> decoded = decode_frame(encode_frame(key, message), key);
    if (!decoded) {
      state.SkipWithError(decoded.error().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(decoded->index());
  }
  report(state, payload_bytes);
}

constexpr std::int64_t k8KiB = std::int64_t{8} * 1024;
constexpr std::int64_t k128KiB = std::int64_t{128} * 1024;

BENCHMARK(codec_encode_append)->Arg(k8KiB)->Arg(k128KiB);
BENCHMARK(codec_decode_append)->Arg(k8KiB)->Arg(k128KiB);
BENCHMARK(codec_encode_decode_append)->Arg(k8KiB)->Arg(k128KiB);

}  // namespace
}  // namespace sk::proto
