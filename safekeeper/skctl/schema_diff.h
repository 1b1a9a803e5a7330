// Two branches' schemas compared, as Neon's compare_schema: `pg_dump --schema-only` of each
// branch's server on this machine (a compute or a replica that skctl started), split into its
// objects by pg_dump's own headers ("-- Name: t; Type: TABLE; Schema: public; ..."), and the
// dumps' unified diff.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "consensus/result.h"
#include "safekeeper/skctl/endpoints.h"

namespace sk::skctl {

// "TABLE public.t" -> its text in the dump (pure). What precedes the first header (settings,
// pg_dump's version) is no object.
std::map<std::string, std::string> schema_objects(const std::string& dump);

struct SchemaDiff {
  std::vector<std::string> only_in_a;  // "TABLE public.t", in order.
  std::vector<std::string> only_in_b;
  std::vector<std::string> changed;
  std::string unified;  // diff -u of the two dumps; empty when they are the same.
};

// Compares two dumps (pure, but for the unified diff, which `diff -u` makes).
Result<SchemaDiff> diff_schemas(const std::string& a_name, const std::string& a_dump,
                                const std::string& b_name, const std::string& b_dump,
                                const std::filesystem::path& scratch);

// The dump of a running server: pg_dump from `bindir`, through `file` (removed after).
// kInternal with pg_dump's output.
Result<std::string> dump_schema(const std::filesystem::path& bindir, const Endpoint& endpoint,
                                const std::filesystem::path& file);

}  // namespace sk::skctl
