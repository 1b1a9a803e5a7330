// Fixture for the tidy self-test (see clean.h). Identifiers that merely contain a banned word,
// and member functions that share a banned name (f.exit(), p->time()), are not the banned
// function. Fake is not declared anywhere: this file is only scanned, never compiled.
#include "clean.h"

#include <cstdint>

int use(Fake& f, Fake* p) {
  std::uint64_t fsync_latency_us_max = 1'000'000;  // units-last name containing "fsync"
  char quote = '"';                                 // a char literal holding a double quote
  int runtime_ticks = f.exit() + p->time() + f.rand() + p->sleep(1) + quote;
  return static_cast<int>(fsync_latency_us_max) + runtime_ticks;  // "exit(" in a comment
}
