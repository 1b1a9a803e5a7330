// Schema comparison; see schema_diff.h.
#include "safekeeper/skctl/schema_diff.h"

#include <fstream>
#include <sstream>

#include "safekeeper/skctl/local_process.h"

namespace sk::skctl {
namespace fs = std::filesystem;

namespace {

// "-- Name: t; Type: TABLE; Schema: public; Owner: -" -> "TABLE public.t"; "" for other lines.
std::string object_key(const std::string& line) {
  const std::string prefix = "-- Name: ";
  if (line.rfind(prefix, 0) != 0) {
    return "";
  }
  auto field = [&](const std::string& label) -> std::string {
    const auto at = line.find(label);
    if (at == std::string::npos) {
      return "";
    }
    const auto begin = at + label.size();
    return line.substr(begin, line.find(';', begin) - begin);
  };
  const std::string name = field("Name: ");
  const std::string type = field("Type: ");
  const std::string schema = field("Schema: ");
  return type + " " + (schema.empty() || schema == "-" ? "" : schema + ".") + name;
}

// pg_dump 15.14 and later fence a dump with "\restrict KEY" ... "\unrestrict KEY", KEY random
// per dump: no part of the schema, and never the same twice.
std::string without_restrict_keys(const std::string& dump) {
  std::istringstream in(dump);
  std::string out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("\\restrict ", 0) != 0 && line.rfind("\\unrestrict ", 0) != 0) {
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> schema_objects(const std::string& dump) {
  std::map<std::string, std::string> objects;
  std::istringstream in(dump);
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    if (std::string key = object_key(line); !key.empty()) {
      current = key;
      objects[current];
      continue;
    }
    // pg_dump's comments (header separators, "dump complete") and blank lines are no part of
    // an object.
    if (!current.empty() && !line.empty() && line.rfind("--", 0) != 0) {
      objects[current] += line + "\n";
    }
  }
  return objects;
}

Result<SchemaDiff> diff_schemas(const std::string& a_name, const std::string& a_given,
                                const std::string& b_name, const std::string& b_given,
                                const fs::path& scratch) {
  const std::string a_dump = without_restrict_keys(a_given);
  const std::string b_dump = without_restrict_keys(b_given);
  SchemaDiff diff;
  const auto a = schema_objects(a_dump);
  const auto b = schema_objects(b_dump);
  for (const auto& [key, text] : a) {
    auto it = b.find(key);
    if (it == b.end()) {
      diff.only_in_a.push_back(key);
    } else if (it->second != text) {
      diff.changed.push_back(key);
    }
  }
  for (const auto& [key, text] : b) {
    if (!a.contains(key)) {
      diff.only_in_b.push_back(key);
    }
  }
  if (diff.only_in_a.empty() && diff.only_in_b.empty() && diff.changed.empty()) {
    return diff;
  }
  std::error_code ec;
  fs::create_directories(scratch, ec);
  const fs::path a_file = scratch / "a.sql";
  const fs::path b_file = scratch / "b.sql";
  std::ofstream(a_file) << a_dump;
  std::ofstream(b_file) << b_dump;
  const fs::path out_file = scratch / "diff";
  // Through a file: run_program keeps only a program's last 16 KiB of output.
  auto ran =
      run_program({"sh", "-c", "diff -u --label \"$1\" --label \"$2\" \"$3\" \"$4\" > \"$5\"",
                   "diff", a_name, b_name, a_file.string(), b_file.string(), out_file.string()});
  std::ostringstream unified;
  unified << std::ifstream(out_file).rdbuf();
  fs::remove_all(scratch, ec);
  if (!ran) {
    return ran.error();
  }
  if (ran->exit_code > 1) {  // 0: same, 1: different, 2: trouble.
    return Error(ErrorCode::kInternal, "diff failed: " + ran->output);
  }
  diff.unified = unified.str();
  return diff;
}

Result<std::string> dump_schema(const fs::path& bindir, const Endpoint& endpoint,
                                const fs::path& file) {
  auto ran = run_program({(bindir / "pg_dump").string(), "--schema-only", "--no-owner",
                          "--no-privileges", "-h", "127.0.0.1", "-p", std::to_string(endpoint.port),
                          "-U", "postgres", "-f", file.string(), "postgres"});
  if (!ran) {
    return ran.error();
  }
  if (ran->exit_code != 0) {
    return Error(ErrorCode::kInternal, "pg_dump of branch '" + endpoint.branch +
                                           "' failed: " + ran->output.substr(0, 500));
  }
  std::ostringstream dump;
  dump << std::ifstream(file).rdbuf();
  std::error_code ec;
  fs::remove(file, ec);
  return dump.str();
}

}  // namespace sk::skctl
