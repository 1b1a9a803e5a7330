// parse_replication_command; see replication_command.h.
#include "safekeeper/pgproto/replication_command.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace sk::pgproto {
namespace {

struct Token {
  std::string text;     // Lowercased unless quoted.
  bool quoted = false;  // A "double-quoted identifier".
  std::string raw;      // As written, for error messages.
};

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Error syntax_error(std::string_view near) {
  if (near.empty()) {
    return Error(ErrorCode::kInvalidArgument, "syntax error at end of input");
  }
  return Error(ErrorCode::kInvalidArgument,
               "syntax error at or near \"" + std::string(near) + "\"");
}

// Words, "quoted identifiers", and the punctuation ( ) , as tokens of their own.
Result<std::vector<Token>> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      ++i;
    } else if (c == '(' || c == ')' || c == ',' || c == ';') {
      tokens.push_back({std::string(1, c), false, std::string(1, c)});
      ++i;
    } else if (c == '"') {
      std::string name;
      ++i;
      for (;;) {
        if (i >= text.size()) {
          return Error(ErrorCode::kInvalidArgument, "unterminated quoted identifier");
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {  // "" is a quote inside.
            name += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        name += text[i++];
      }
      if (name.empty()) {
        return Error(ErrorCode::kInvalidArgument, "zero-length delimited identifier");
      }
      tokens.push_back({name, true, "\"" + name + "\""});
    } else {
      const std::size_t begin = i;
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0 &&
             text[i] != '(' && text[i] != ')' && text[i] != ',' && text[i] != ';' &&
             text[i] != '"') {
        ++i;
      }
      const std::string_view word = text.substr(begin, i - begin);
      tokens.push_back({lowercase(word), false, std::string(word)});
    }
  }
  if (!tokens.empty() && tokens.back().text == ";" && !tokens.back().quoted) {
    tokens.pop_back();
  }
  return tokens;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  bool done() const { return at_ >= tokens_.size(); }
  // True (and consumed) if the next token is the unquoted keyword `word`.
  bool accept(std::string_view word) {
    if (!done() && !tokens_[at_].quoted && tokens_[at_].text == word) {
      ++at_;
      return true;
    }
    return false;
  }
  std::string_view peek() const { return done() ? std::string_view() : tokens_[at_].text; }
  Error error_here() const { return syntax_error(done() ? "" : tokens_[at_].raw); }

  // A slot or setting name: an identifier, quoted or not.
  Result<std::string> identifier() {
    if (done()) {
      return error_here();
    }
    const Token& t = tokens_[at_];
    if (!t.quoted && (t.text == "(" || t.text == ")" || t.text == "," || t.text == ";")) {
      return error_here();
    }
    ++at_;
    return t.text;
  }

  Result<consensus::Lsn> lsn() {
    if (done()) {
      return error_here();
    }
    auto parsed = consensus::Lsn::parse(tokens_[at_].text);
    if (!parsed) {
      return error_here();
    }
    ++at_;
    return *parsed;
  }

  Result<std::uint32_t> unsigned_number() {
    if (done()) {
      return error_here();
    }
    const std::string& text = tokens_[at_].text;
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return error_here();
    }
    ++at_;
    return value;
  }

  // ( name [value] [, ...] ): names lowercased, values as written (empty when absent).
  Result<std::vector<std::pair<std::string, std::string>>> option_list() {
    std::vector<std::pair<std::string, std::string>> options;
    if (!accept("(")) {
      return options;
    }
    for (;;) {
      auto name = identifier();
      if (!name) {
        return name.error();
      }
      std::string value;
      if (!done() && peek() != "," && peek() != ")") {
        value = tokens_[at_++].text;
      }
      options.emplace_back(*name, value);
      if (accept(")")) {
        return options;
      }
      if (!accept(",")) {
        return error_here();
      }
    }
  }

 private:
  std::vector<Token> tokens_;
  std::size_t at_ = 0;
};

Result<ReplicationCommand> finish(Parser& p, ReplicationCommand command) {
  if (!p.done()) {
    return p.error_here();
  }
  return command;
}

Result<bool> boolean_option(const std::string& name, const std::string& value) {
  const std::string v = lowercase(value);
  if (v.empty() || v == "true" || v == "on" || v == "1") {
    return true;
  }
  if (v == "false" || v == "off" || v == "0") {
    return false;
  }
  return Error(ErrorCode::kInvalidArgument,
               name + " requires a Boolean value, not \"" + value + "\"");
}

Result<ReplicationCommand> create_slot(Parser& p) {
  CreateReplicationSlot command;
  auto slot = p.identifier();
  if (!slot) {
    return slot.error();
  }
  command.slot = *slot;
  command.temporary = p.accept("temporary");
  if (p.accept("logical")) {
    return ReplicationCommand(UnsupportedCommand{"CREATE_REPLICATION_SLOT ... LOGICAL"});
  }
  if (!p.accept("physical")) {
    return p.error_here();
  }
  if (p.accept("reserve_wal")) {  // The keyword form, before PG15.
    command.reserve_wal = true;
    return finish(p, command);
  }
  auto options = p.option_list();
  if (!options) {
    return options.error();
  }
  for (const auto& [name, value] : *options) {
    if (name != "reserve_wal") {
      return Error(ErrorCode::kInvalidArgument, "unrecognized option: " + name);
    }
    auto on = boolean_option(name, value);
    if (!on) {
      return on.error();
    }
    command.reserve_wal = *on;
  }
  return finish(p, command);
}

Result<ReplicationCommand> start_replication(Parser& p) {
  StartReplication command;
  if (p.accept("slot")) {
    auto slot = p.identifier();
    if (!slot) {
      return slot.error();
    }
    command.slot = *slot;
    if (p.accept("logical")) {
      return ReplicationCommand(UnsupportedCommand{"START_REPLICATION ... LOGICAL"});
    }
  }
  p.accept("physical");
  auto start = p.lsn();
  if (!start) {
    return start.error();
  }
  command.start = *start;
  if (p.accept("timeline")) {
    auto timeline = p.unsigned_number();
    if (!timeline) {
      return timeline.error();
    }
    command.pg_timeline = *timeline;
  }
  return finish(p, command);
}

}  // namespace

Result<ReplicationCommand> parse_replication_command(std::string_view text) {
  auto tokens = tokenize(text);
  if (!tokens) {
    return tokens.error();
  }
  if (tokens->empty()) {
    return ReplicationCommand(EmptyQuery{});
  }
  Parser p(std::move(*tokens));
  if (p.accept("identify_system")) {
    return finish(p, IdentifySystem{});
  }
  if (p.accept("show")) {
    auto name = p.identifier();
    if (!name) {
      return name.error();
    }
    return finish(p, Show{*name});
  }
  if (p.accept("read_replication_slot")) {
    auto slot = p.identifier();
    if (!slot) {
      return slot.error();
    }
    return finish(p, ReadReplicationSlot{*slot});
  }
  if (p.accept("create_replication_slot")) {
    return create_slot(p);
  }
  if (p.accept("drop_replication_slot")) {
    auto slot = p.identifier();
    if (!slot) {
      return slot.error();
    }
    const bool wait = p.accept("wait");
    return finish(p, DropReplicationSlot{*slot, wait});
  }
  if (p.accept("timeline_history")) {
    auto timeline = p.unsigned_number();
    if (!timeline) {
      return timeline.error();
    }
    return finish(p, TimelineHistory{*timeline});
  }
  if (p.accept("start_replication")) {
    return start_replication(p);
  }
  for (std::string_view other : {"base_backup", "upload_manifest"}) {
    if (p.accept(other)) {
      std::string name = std::string(other);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return ReplicationCommand(UnsupportedCommand{name});
    }
  }
  return p.error_here();
}

}  // namespace sk::pgproto
