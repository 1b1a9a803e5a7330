// --mutation NAME, as consensus-sim and consensus-explore read it: a usage error (exit 2) for
// a name that is no mutation.
#pragma once

#include "consensus/mutation.h"
#include "safekeeper/cli/command_line.h"

namespace sk::sim {

inline consensus::Mutation mutation_flag(const cli::CommandLine& flags) {
  const auto name = flags.get("mutation");
  if (!name) {
    return consensus::Mutation::kNone;
  }
  const auto mutation = consensus::mutation_from_name(*name);
  if (!mutation) {
    flags.usage_error("unknown mutation '" + *name + "' (consensus-sim --list-mutations)");
  }
  return *mutation;
}

}  // namespace sk::sim
