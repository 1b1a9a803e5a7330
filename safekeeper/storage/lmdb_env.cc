// LmdbEnv over LMDB's C API; see lmdb_env.h.
#include "safekeeper/storage/lmdb_env.h"

#include <cerrno>

#include <lmdb.h>

namespace sk::storage {
namespace {

constexpr std::string_view kLayoutKey = "layout_version";

MDB_val as_val(std::string_view bytes) {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}

std::string from_val(const MDB_val& value) {
  return std::string(static_cast<const char*>(value.mv_data), value.mv_size);
}

// Aborts a transaction that was not committed.
class TxnGuard {
 public:
  explicit TxnGuard(MDB_txn* txn) : txn_(txn) {}
  ~TxnGuard() {
    if (txn_ != nullptr) {
      mdb_txn_abort(txn_);
    }
  }
  TxnGuard(const TxnGuard&) = delete;
  TxnGuard& operator=(const TxnGuard&) = delete;
  MDB_txn* get() const { return txn_; }
  // Commits; the transaction is gone afterwards whatever the result.
  int commit() { return mdb_txn_commit(std::exchange(txn_, nullptr)); }

 private:
  MDB_txn* txn_;
};

}  // namespace

struct LmdbEnv::Handles {
  MDB_env* env = nullptr;
  MDB_dbi meta = 0;
  MDB_dbi control = 0;
  MDB_dbi slots = 0;
  MDB_dbi commit_index = 0;
  MDB_dbi dbi(Database db) const {
    switch (db) {
      case Database::kMeta:
        return meta;
      case Database::kControl:
        return control;
      case Database::kSlots:
        return slots;
      case Database::kCommitIndex:
        break;
    }
    return commit_index;
  }
  ~Handles() {
    if (env != nullptr) {
      mdb_env_close(env);
    }
  }
};

LmdbEnv::LmdbEnv(std::filesystem::path dir, std::uint64_t map_size_bytes,
                 std::unique_ptr<Handles> handles)
    : dir_(std::move(dir)), map_size_bytes_(map_size_bytes), handles_(std::move(handles)) {}

LmdbEnv::~LmdbEnv() = default;

Error LmdbEnv::error(int rc, const std::string& doing) const {
  if (rc == MDB_MAP_FULL) {
    return Error(ErrorCode::kNoSpace, "LMDB environment " + dir_.string() + " is full (map size " +
                                          std::to_string(map_size_bytes_) + " bytes) while " +
                                          doing + "; raise the map size");
  }
  if (rc == ENOSPC) {
    return Error(ErrorCode::kNoSpace, "no space left on the disk of LMDB environment " +
                                          dir_.string() + " while " + doing);
  }
  return Error(ErrorCode::kIoError,
               "LMDB environment " + dir_.string() + ": " + doing + ": " + mdb_strerror(rc));
}

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::open(const std::filesystem::path& dir, Options options) {
  auto handles = std::make_unique<Handles>();
  auto fail = [&](int rc, const std::string& doing) -> Error {
    return Error(
        rc == ENOSPC ? ErrorCode::kNoSpace : ErrorCode::kIoError,
        "cannot open LMDB environment " + dir.string() + ": " + doing + ": " + mdb_strerror(rc));
  };
  if (int rc = mdb_env_create(&handles->env); rc != 0) {
    handles->env = nullptr;
    return fail(rc, "mdb_env_create");
  }
  if (int rc = mdb_env_set_maxdbs(handles->env, 4); rc != 0) {
    return fail(rc, "mdb_env_set_maxdbs");
  }
  if (int rc = mdb_env_set_mapsize(handles->env, options.map_size_bytes); rc != 0) {
    return fail(rc, "mdb_env_set_mapsize");
  }
  // MDB_NOTLS: read transactions are not tied to the thread that began them.
  if (int rc = mdb_env_open(handles->env, dir.c_str(), MDB_NOTLS, 0600); rc != 0) {
    return fail(rc, "mdb_env_open");
  }
  {
    MDB_txn* raw = nullptr;
    if (int rc = mdb_txn_begin(handles->env, nullptr, 0, &raw); rc != 0) {
      return fail(rc, "beginning the transaction that opens the databases");
    }
    TxnGuard txn(raw);
    if (int rc = mdb_dbi_open(txn.get(), "meta", MDB_CREATE, &handles->meta); rc != 0) {
      return fail(rc, "opening database meta");
    }
    if (int rc = mdb_dbi_open(txn.get(), "control", MDB_CREATE, &handles->control); rc != 0) {
      return fail(rc, "opening database control");
    }
    // Added after layout version 1 was fixed: created where missing, ignored by older builds.
    if (int rc = mdb_dbi_open(txn.get(), "slots", MDB_CREATE, &handles->slots); rc != 0) {
      return fail(rc, "opening database slots");
    }
    if (int rc = mdb_dbi_open(txn.get(), "commit_index", MDB_CREATE, &handles->commit_index);
        rc != 0) {
      return fail(rc, "opening database commit_index");
    }
    if (int rc = txn.commit(); rc != 0) {
      return fail(rc, "committing the opened databases");
    }
  }
  std::unique_ptr<LmdbEnv> env(new LmdbEnv(dir, options.map_size_bytes, std::move(handles)));
  if (Status layout = env->check_layout(); !layout) {
    return layout.error();
  }
  return env;
}

Status LmdbEnv::check_layout() {
  Result<std::optional<std::string>> stored = get(Database::kMeta, kLayoutKey);
  if (!stored) {
    return stored.error();
  }
  const std::string ours = std::to_string(kLmdbLayoutVersion);
  if (!stored->has_value()) {
    return put(Database::kMeta, kLayoutKey, ours);  // A new environment.
  }
  if (**stored != ours) {
    return Error(ErrorCode::kFailedPrecondition, "LMDB environment " + dir_.string() +
                                                     " has layout version " + **stored +
                                                     ", this build reads version " + ours);
  }
  return {};
}

Result<std::optional<std::string>> LmdbEnv::get(Database db, std::string_view key) const {
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(handles_->env, nullptr, MDB_RDONLY, &raw); rc != 0) {
    return error(rc, "beginning a read");
  }
  TxnGuard txn(raw);
  MDB_val k = as_val(key);
  MDB_val v{};
  const int rc = mdb_get(txn.get(), handles_->dbi(db), &k, &v);
  if (rc == MDB_NOTFOUND) {
    return std::optional<std::string>();
  }
  if (rc != 0) {
    return error(rc, "reading a key");
  }
  return std::optional<std::string>(from_val(v));
}

Status LmdbEnv::put(Database db, std::string_view key, std::string_view value) {
  return write(db, {{std::string(key), std::string(value)}});
}

Status LmdbEnv::write(Database db, const std::vector<std::pair<std::string, std::string>>& puts,
                      std::string_view erase_from, std::string_view erase_to) {
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(handles_->env, nullptr, 0, &raw); rc != 0) {
    return error(rc, "beginning a write");
  }
  TxnGuard txn(raw);
  if (erase_from < erase_to) {
    MDB_cursor* cursor = nullptr;
    if (int rc = mdb_cursor_open(txn.get(), handles_->dbi(db), &cursor); rc != 0) {
      return error(rc, "opening a cursor");
    }
    // The keys first, then each deleted: no reliance on where a delete leaves the cursor.
    std::vector<std::string> doomed;
    MDB_val k = as_val(erase_from);
    MDB_val v{};
    int rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE);
    while (rc == 0) {
      const std::string_view key(static_cast<const char*>(k.mv_data), k.mv_size);
      if (key >= erase_to) {
        break;
      }
      doomed.emplace_back(key);
      rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cursor);
    if (rc != 0 && rc != MDB_NOTFOUND) {
      return error(rc, "listing a range of keys");
    }
    for (const std::string& key : doomed) {
      MDB_val doomed_key = as_val(key);
      if (rc = mdb_del(txn.get(), handles_->dbi(db), &doomed_key, nullptr); rc != 0) {
        return error(rc, "erasing a key");
      }
    }
  }
  for (const auto& [key, value] : puts) {
    MDB_val k = as_val(key);
    MDB_val v = as_val(value);
    if (int rc = mdb_put(txn.get(), handles_->dbi(db), &k, &v, 0); rc != 0) {
      return error(rc, "writing a key");
    }
  }
  if (int rc = txn.commit(); rc != 0) {
    return error(rc, "committing a write");
  }
  return {};
}

Status LmdbEnv::erase(Database db, std::string_view key) {
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(handles_->env, nullptr, 0, &raw); rc != 0) {
    return error(rc, "beginning a write");
  }
  TxnGuard txn(raw);
  MDB_val k = as_val(key);
  if (int rc = mdb_del(txn.get(), handles_->dbi(db), &k, nullptr); rc != 0 && rc != MDB_NOTFOUND) {
    return error(rc, "erasing a key");
  }
  if (int rc = txn.commit(); rc != 0) {
    return error(rc, "committing an erase");
  }
  return {};
}

Result<std::vector<std::pair<std::string, std::string>>> LmdbEnv::scan(Database db) const {
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(handles_->env, nullptr, MDB_RDONLY, &raw); rc != 0) {
    return error(rc, "beginning a read");
  }
  TxnGuard txn(raw);
  MDB_cursor* cursor = nullptr;
  if (int rc = mdb_cursor_open(txn.get(), handles_->dbi(db), &cursor); rc != 0) {
    return error(rc, "opening a cursor");
  }
  std::vector<std::pair<std::string, std::string>> entries;
  MDB_val k{};
  MDB_val v{};
  int rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
  while (rc == 0) {
    entries.emplace_back(from_val(k), from_val(v));
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cursor);
  if (rc != MDB_NOTFOUND) {
    return error(rc, "scanning");
  }
  return entries;
}

}  // namespace sk::storage
