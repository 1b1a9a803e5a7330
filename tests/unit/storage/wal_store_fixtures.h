// The two WalStore implementations as typed-test fixtures (a file store on 1 MiB segments in a
// temporary directory, and the in-memory twin), shared by the tests of the WalStore contract
// and of its durable readers.
#pragma once

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "safekeeper/storage/file_wal_store.h"
#include "safekeeper/storage/memory_wal_store.h"
#include "tests/support/temp_dir.h"

namespace sk::storage::test_support {

using consensus::Lsn;

inline constexpr Lsn kStart{0x1000000};

inline std::vector<std::uint8_t> bytes_of(std::size_t size, std::uint8_t seed) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<std::uint8_t>(seed * 31 + i);
  }
  return bytes;
}

class FileFixture {
 public:
  static constexpr std::uint64_t kSegmentBytes = std::uint64_t{1} << 20;
  FileFixture() {
    auto opened = FileWalStore::open(dir_.path() / "wal", kStart, kSegmentBytes);
    EXPECT_TRUE(opened.has_value()) << opened.error().to_string();
    store_ = std::move(opened->store);
  }
  WalStore& store() { return *store_; }
  // Closes the store, as a timeline reopened after a failure does with its old one.
  void destroy_store() { store_.reset(); }

 private:
  sk::testing::TempDir dir_{"sk_wal"};
  std::unique_ptr<FileWalStore> store_;
};

class MemoryFixture {
 public:
  WalStore& store() { return *store_; }
  void destroy_store() { store_.reset(); }

 private:
  std::unique_ptr<MemoryWalStore> store_ = std::make_unique<MemoryWalStore>(kStart);
};

}  // namespace sk::storage::test_support
