// The `options` startup parameter ("-c name=value ..."), split as PostgreSQL's pg_split_opts
// does: words separated by white space, a backslash escaping the next character. Each setting is
// "-c name=value", "-cname=value" or "--name=value"; a bare "name=value" after another setting is
// accepted too, as Neon's clients write "-c tenant_id=... timeline_id=...".
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "consensus/result.h"

namespace sk::pgproto {

// Names lowercased, '-' read as '_'. kInvalidArgument for a word that is not a setting.
Result<std::map<std::string, std::string>> parse_startup_options(std::string_view options);

}  // namespace sk::pgproto
