// ControlStore: the contract both implementations keep (typed tests), then what only the LMDB
// store does with real files (reopen, bytes flipped on disk, a full map, a newer layout) and the
// twin's injected faults.
#include <fstream>
#include <iterator>
#include <memory>

#include <gtest/gtest.h>

#include "safekeeper/storage/lmdb_control_store.h"
#include "safekeeper/storage/memory_control_store.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/consensus/test_timeline.h"

namespace sk::storage {
namespace {

namespace fs = std::filesystem;
using consensus::AcceptorState;
using consensus::Term;
using consensus::TermHistory;
using consensus::TimelineId;
using consensus::test_support::at;
using consensus::test_support::test_identity;
using sk::testing::TempDir;

// The state of timeline number `n` of the test tenant, at term `term`.
AcceptorState state_of(std::uint8_t n, std::uint64_t term = 1) {
  consensus::TimelineIdentity identity = test_identity();
  consensus::TimelineId::Bytes id{};
  id[15] = n;
  identity.timeline_id = TimelineId(id);
  AcceptorState state = AcceptorState::for_new_timeline(identity);
  state.term = Term(term);
  state.history.append({Term(term), at(100)});
  state.commit_lsn = at(50);
  return state;
}

std::optional<AcceptorState> load_ok(ControlStore& store, const TimelineKey& key) {
  Result<std::optional<AcceptorState>> loaded = store.load(key);
  EXPECT_TRUE(loaded.has_value()) << loaded.error().to_string();
  return loaded ? *loaded : std::nullopt;
}

// One store per test, on a fresh directory for the LMDB one.
class LmdbFixture {
 public:
  LmdbFixture() {
    auto env = LmdbEnv::open(dir_.path(), {});
    EXPECT_TRUE(env.has_value()) << env.error().to_string();
    env_ = std::move(*env);
    store_ = std::make_unique<LmdbControlStore>(*env_);
  }
  ControlStore& store() { return *store_; }

 private:
  TempDir dir_{"sk_control"};
  std::unique_ptr<LmdbEnv> env_;
  std::unique_ptr<LmdbControlStore> store_;
};

class MemoryFixture {
 public:
  ControlStore& store() { return store_; }

 private:
  MemoryControlStore store_;
};

template <class Fixture>
class ControlStoreContractTest : public ::testing::Test {
 protected:
  Fixture fixture_;
};

using Implementations = ::testing::Types<LmdbFixture, MemoryFixture>;
TYPED_TEST_SUITE(ControlStoreContractTest, Implementations);

TYPED_TEST(ControlStoreContractTest, SaveThenLoad_ReturnsTheSameState) {
  ControlStore& store = this->fixture_.store();
  const AcceptorState state = state_of(1, 5);
  ASSERT_TRUE(store.save(state).has_value());
  EXPECT_EQ(load_ok(store, key_of(state)), state);
}

TYPED_TEST(ControlStoreContractTest, Load_NeverSaved_IsNullopt) {
  EXPECT_EQ(load_ok(this->fixture_.store(), key_of(state_of(9))), std::nullopt);
}

TYPED_TEST(ControlStoreContractTest, Save_ReplacesTheTimelinesStateOnly) {
  ControlStore& store = this->fixture_.store();
  ASSERT_TRUE(store.save(state_of(1, 1)).has_value());
  ASSERT_TRUE(store.save(state_of(2, 1)).has_value());
  ASSERT_TRUE(store.save(state_of(1, 4)).has_value());
  EXPECT_EQ(load_ok(store, key_of(state_of(1))), state_of(1, 4));
  EXPECT_EQ(load_ok(store, key_of(state_of(2))), state_of(2, 1));
}

TYPED_TEST(ControlStoreContractTest, List_ReturnsEveryTimelineInKeyOrder) {
  ControlStore& store = this->fixture_.store();
  for (std::uint8_t n : {3, 1, 2}) {
    ASSERT_TRUE(store.save(state_of(n)).has_value());
  }
  Result<std::vector<TimelineKey>> keys = store.list();
  ASSERT_TRUE(keys.has_value()) << keys.error().to_string();
  EXPECT_EQ(*keys, (std::vector<TimelineKey>{key_of(state_of(1)), key_of(state_of(2)),
                                             key_of(state_of(3))}));
}

// --- LMDB only -------------------------------------------------------------------------------

std::unique_ptr<LmdbEnv> open_ok(const fs::path& dir, LmdbEnv::Options options = {}) {
  auto env = LmdbEnv::open(dir, options);
  EXPECT_TRUE(env.has_value()) << env.error().to_string();
  return env ? std::move(*env) : nullptr;
}

TEST(LmdbControlStoreTest, Reopened_LoadsWhatWasSaved) {
  TempDir dir("sk_control");
  {
    auto env = open_ok(dir.path());
    ASSERT_NE(env, nullptr);
    LmdbControlStore store(*env);
    ASSERT_TRUE(store.save(state_of(1, 3)).has_value());
    ASSERT_TRUE(store.save(state_of(2, 6)).has_value());
  }
  auto env = open_ok(dir.path());
  ASSERT_NE(env, nullptr);
  LmdbControlStore store(*env);
  EXPECT_EQ(load_ok(store, key_of(state_of(1))), state_of(1, 3));
  EXPECT_EQ(load_ok(store, key_of(state_of(2))), state_of(2, 6));
}

// Flips a bit in every copy of one record in data.mdb (LMDB copies pages on write, so an older
// copy may sit in a free page too), found by its payload bytes.
int flip_record_on_disk(const fs::path& data_file, const std::string& record) {
  std::ifstream in(data_file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  int flipped = 0;
  for (std::size_t at = bytes.find(record); at != std::string::npos;
       at = bytes.find(record, at + 1)) {
    bytes[at + record.size() - 2] ^= 0x04;  // Inside the payload.
    ++flipped;
  }
  std::ofstream out(data_file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return flipped;
}

TEST(LmdbControlStoreTest, BitFlippedOnDisk_LoadIsCorruptionAndOtherTimelinesStillLoad) {
  TempDir dir("sk_control");
  const AcceptorState damaged = state_of(1, 3);
  const AcceptorState intact = state_of(2, 3);
  {
    auto env = open_ok(dir.path());
    ASSERT_NE(env, nullptr);
    LmdbControlStore store(*env);
    ASSERT_TRUE(store.save(damaged).has_value());
    ASSERT_TRUE(store.save(intact).has_value());
  }
  ASSERT_GE(flip_record_on_disk(dir.path() / "data.mdb", encode_control_record(damaged)), 1);

  auto env = open_ok(dir.path());
  ASSERT_NE(env, nullptr);
  LmdbControlStore store(*env);
  Result<std::optional<AcceptorState>> loaded = store.load(key_of(damaged));
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kCorruption);
  EXPECT_NE(loaded.error().message().find("checksum mismatch"), std::string::npos)
      << loaded.error().message();
  EXPECT_NE(loaded.error().message().find(timeline_name(key_of(damaged))), std::string::npos);
  EXPECT_EQ(load_ok(store, key_of(intact)), intact);
}

TEST(LmdbControlStoreTest, MapFull_SaveIsNoSpaceAndEverySavedStateSurvives) {
  TempDir dir("sk_control");
  // Term histories of about 12 KB each fill a 256 KiB map after a few saves.
  auto big_state = [](std::uint8_t n) {
    AcceptorState state = state_of(n, 1);
    state.history = TermHistory({{Term(0), at(0)}});
    for (std::uint64_t term = 1; term <= 1000; ++term) {
      state.history.append({Term(term), at(term)});
    }
    state.term = Term(1000);
    return state;
  };
  std::vector<AcceptorState> saved;
  std::optional<Error> refused;
  {
    auto env = open_ok(dir.path(), {.map_size_bytes = 256 * 1024});
    ASSERT_NE(env, nullptr);
    LmdbControlStore store(*env);
    for (std::uint8_t n = 1; n < 200 && !refused; ++n) {
      Status status = store.save(big_state(n));
      if (status) {
        saved.push_back(big_state(n));
      } else {
        refused = status.error();
      }
    }
    ASSERT_TRUE(refused.has_value()) << "the map never filled";
    EXPECT_EQ(refused->code(), ErrorCode::kNoSpace);
    EXPECT_NE(refused->message().find("map size 262144 bytes"), std::string::npos)
        << refused->message();
    ASSERT_FALSE(saved.empty());
    for (const AcceptorState& state : saved) {
      EXPECT_EQ(load_ok(store, key_of(state)), state);
    }
  }
  // With a larger map the same environment takes the refused save.
  auto env = open_ok(dir.path(), {.map_size_bytes = 4 * 1024 * 1024});
  ASSERT_NE(env, nullptr);
  LmdbControlStore store(*env);
  const AcceptorState next = big_state(static_cast<std::uint8_t>(saved.size() + 1));
  ASSERT_TRUE(store.save(next).has_value());
  EXPECT_EQ(load_ok(store, key_of(next)), next);
  EXPECT_EQ(load_ok(store, key_of(saved.front())), saved.front());
}

TEST(LmdbEnvTest, LayoutFromANewerBuild_IsFailedPrecondition) {
  TempDir dir("sk_control");
  {
    auto env = open_ok(dir.path());
    ASSERT_NE(env, nullptr);
    ASSERT_TRUE(env->put(LmdbEnv::Database::kMeta, "layout_version", "2").has_value());
  }
  auto env = LmdbEnv::open(dir.path(), {});
  ASSERT_FALSE(env.has_value());
  EXPECT_EQ(env.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(env.error().message().find("layout version 2"), std::string::npos)
      << env.error().message();
}

TEST(LmdbEnvTest, MissingDirectory_IsIoErrorNamingThePath) {
  TempDir dir("sk_control");
  const fs::path missing = dir.path() / "no" / "such";
  auto env = LmdbEnv::open(missing, {});
  ASSERT_FALSE(env.has_value());
  EXPECT_EQ(env.error().code(), ErrorCode::kIoError);
  EXPECT_NE(env.error().message().find(missing.string()), std::string::npos)
      << env.error().message();
}

// --- The twin's faults -----------------------------------------------------------------------

TEST(MemoryControlStoreTest, FailingSaves_ChangeNothingUntilCleared) {
  MemoryControlStore store;
  ASSERT_TRUE(store.save(state_of(1, 2)).has_value());
  store.fail_saves(ErrorCode::kNoSpace);
  Status status = store.save(state_of(1, 3));
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), ErrorCode::kNoSpace);
  EXPECT_EQ(load_ok(store, key_of(state_of(1))), state_of(1, 2));
  store.clear_faults();
  ASSERT_TRUE(store.save(state_of(1, 3)).has_value());
  EXPECT_EQ(load_ok(store, key_of(state_of(1))), state_of(1, 3));
}

TEST(MemoryControlStoreTest, CorruptedRecord_LoadIsCorruption) {
  MemoryControlStore store;
  ASSERT_TRUE(store.save(state_of(1)).has_value());
  store.corrupt_record(key_of(state_of(1)), kControlRecordHeaderBytes + 1);
  Result<std::optional<AcceptorState>> loaded = store.load(key_of(state_of(1)));
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code(), ErrorCode::kCorruption);
}

}  // namespace
}  // namespace sk::storage
