// `skctl compute start --read-only --branch NAME@POINT` (compute.h): a read-only server at a
// point of a branch's history, with no branch created.
#pragma once

#include <filesystem>

#include "consensus/result.h"
#include "safekeeper/skctl/compute.h"

namespace sk::skctl {

Result<Endpoint> start_time_travel(const ApiClient& api, const LocalSettings& local,
                                   const std::filesystem::path& bindir,
                                   const StartRequest& request);

}  // namespace sk::skctl
