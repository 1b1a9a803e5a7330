// The LSN a `walproposer --sync-safekeepers` prints among its log lines.
#include "safekeeper/skctl/quorum_sync.h"

#include <gtest/gtest.h>

namespace sk::skctl {
namespace {

using consensus::Lsn;

TEST(PrintedLsn, TheLineThatIsOnlyAnLsn) {
  const std::string output =
      "2026-12-02T05:00:00.000Z INFO elected in term 3; the log continues at 0/3CADE90\n"
      "0/3CADE90\n"
      "2026-12-02T05:00:00.100Z INFO stopping\n";
  EXPECT_EQ(printed_lsn(output), Lsn(0x3CADE90));
  EXPECT_EQ(printed_lsn("INFO no quorum\n"), std::nullopt);
  EXPECT_EQ(printed_lsn(""), std::nullopt);
}

}  // namespace
}  // namespace sk::skctl
