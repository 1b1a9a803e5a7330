// free_port(): a TCP port on 127.0.0.1 reserved for this test process until it exits, so that
// parallel tests (ctest -j) and the nodes of one test never get the same port.
//
// bind(0) is not enough: the kernel may hand the same port out again right after it is closed,
// and ports in the ephemeral range are also taken as source ports by outgoing connections. So,
// as PostgreSQL's TAP tests do, ports are picked below the ephemeral range, each one claimed by
// an flock()ed file in a directory shared by all test processes (released by the kernel when the
// process dies, so a crashed test leaves nothing stale), and checked with a bind.
#pragma once

#include <cstdint>

namespace sk::testing {

// Aborts the test binary (with a message) if no port can be found.
std::uint16_t free_port();

}  // namespace sk::testing
