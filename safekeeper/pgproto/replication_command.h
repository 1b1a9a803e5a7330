// The replication commands a physical WAL server answers, parsed from a simple Query's text as
// PostgreSQL's replication grammar (repl_gram.y) accepts them: keywords in any case, slot names
// bare or double-quoted, PG15's parenthesised option lists and the older keyword forms, an
// optional trailing semicolon.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "consensus/result.h"
#include "consensus/types.h"

namespace sk::pgproto {

struct EmptyQuery {};
struct IdentifySystem {};
struct Show {
  std::string name;  // Lowercased, as PostgreSQL folds unquoted names.
};
struct ReadReplicationSlot {
  std::string slot;
};
struct CreateReplicationSlot {
  std::string slot;
  bool temporary = false;
  bool reserve_wal = false;
};
struct DropReplicationSlot {
  std::string slot;
  bool wait = false;
};
struct TimelineHistory {
  std::uint32_t pg_timeline = 0;
};
struct StartReplication {
  std::optional<std::string> slot;
  consensus::Lsn start;
  std::optional<std::uint32_t> pg_timeline;
};
// A command of the grammar this server does not serve (BASE_BACKUP, logical replication...):
// answered with SQLSTATE 0A000, not a syntax error.
struct UnsupportedCommand {
  std::string name;
};

using ReplicationCommand =
    std::variant<EmptyQuery, IdentifySystem, Show, ReadReplicationSlot, CreateReplicationSlot,
                 DropReplicationSlot, TimelineHistory, StartReplication, UnsupportedCommand>;

// kInvalidArgument with PostgreSQL's wording ("syntax error at or near ...") when the text is
// not a replication command.
Result<ReplicationCommand> parse_replication_command(std::string_view text);

}  // namespace sk::pgproto
