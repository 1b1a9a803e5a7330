// notify_service_manager: systemd's readiness protocol (sd_notify) without libsystemd. When the
// service manager (or a test) started us with NOTIFY_SOCKET set, sends it "READY=1" once every
// port listens and "STOPPING=1" when a clean stop begins; without NOTIFY_SOCKET it does nothing.
// Errors are returned for the log, never fatal: readiness is a courtesy to the supervisor.
#pragma once

#include <string_view>

#include "consensus/result.h"

namespace sk::safekeeper {

Status notify_service_manager(std::string_view state);

}  // namespace sk::safekeeper
