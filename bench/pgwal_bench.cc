// Throughput of safekeeper/pgwal: CRC-32C (SSE4.2 and table) over one WAL page and one 128 KiB
// append, and the WAL decoder over 16 MiB of generated WAL with small (100-byte, commit-like) and
// large (20 KiB, full-page-image-like) records, as start-up scans and the commit index do.
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include <benchmark/benchmark.h>

#include "safekeeper/pgwal/crc32c.h"
#include "safekeeper/pgwal/wal_decoder.h"
#include "safekeeper/pgwal/wal_generator.h"

namespace sk::pgwal {
namespace {

using consensus::Lsn;

std::vector<std::uint8_t> make_buffer(std::size_t size_bytes) {
  std::vector<std::uint8_t> buffer(size_bytes);
  for (std::size_t i = 0; i < buffer.size(); ++i) {
    buffer[i] = static_cast<std::uint8_t>(i * 131 + 17);
  }
  return buffer;
}

void report_bytes(benchmark::State& state, std::size_t size_bytes) {
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size_bytes));
}

void crc32c_hardware(benchmark::State& state) {
  if (!crc32c_hardware_available()) {
    state.SkipWithError("no SSE4.2 on this CPU");
    return;
  }
  const std::vector<std::uint8_t> buffer = make_buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(crc32c_update_hardware(0xFFFFFFFFu, buffer));
  }
  report_bytes(state, buffer.size());
}

void crc32c_software(benchmark::State& state) {
  const std::vector<std::uint8_t> buffer = make_buffer(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(crc32c_update_software(0xFFFFFFFFu, buffer));
  }
  report_bytes(state, buffer.size());
}

// 16 MiB of WAL made of records with `main_data_bytes` of payload each.
std::vector<std::uint8_t> make_wal(std::size_t main_data_bytes) {
  WalGenerator generator = std::move(WalGenerator::create(Lsn(0x1000000), {})).value();
  while (generator.position().value() < 0x1000000 + 16 * 1024 * 1024 - 64 * 1024) {
    generator.append_noop(main_data_bytes);
  }
  return generator.bytes();
}

void wal_decoder_feed(benchmark::State& state) {
  const std::vector<std::uint8_t> wal = make_wal(static_cast<std::size_t>(state.range(0)));
  const auto chunk_bytes = static_cast<std::size_t>(state.range(1));
  std::int64_t records = 0;
  WalDecoder::RecordCallback on_record = [&](const WalRecord& record) {
    benchmark::DoNotOptimize(record.header.xid);
    ++records;
  };
  for (auto _ : state) {
    WalDecoder decoder = std::move(WalDecoder::create(Lsn(0x1000000), {})).value();
    for (std::size_t offset = 0; offset < wal.size(); offset += chunk_bytes) {
      decoder.feed(std::span(wal).subspan(offset, std::min(chunk_bytes, wal.size() - offset)),
                   on_record);
    }
    if (decoder.state() != WalDecoder::State::kDecoding) {
      state.SkipWithError(decoder.stop()->reason.c_str());
      break;
    }
  }
  state.SetItemsProcessed(records);
  report_bytes(state, wal.size());
}

constexpr std::int64_t k8KiB = std::int64_t{8} * 1024;
constexpr std::int64_t k128KiB = std::int64_t{128} * 1024;

BENCHMARK(crc32c_hardware)->Arg(k8KiB)->Arg(k128KiB);
BENCHMARK(crc32c_software)->Arg(k8KiB)->Arg(k128KiB);
// Arguments: record main data bytes, bytes per feed() call.
BENCHMARK(wal_decoder_feed)->Args({100, k128KiB})->Args({20000, k128KiB})->Args({100, 512});

}  // namespace
}  // namespace sk::pgwal
