// skctl's tables, in psql's aligned format.
#include "safekeeper/skctl/table.h"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace sk::skctl {
namespace {

TEST(SkctlTable, AlignsLikePsql) {
  const auto objects = boost::json::parse(
      R"([{"name": "main", "lsn": null, "n": 7}, {"name": "dev-branch", "lsn": "0/16B3748"}])");
  const std::string text = format_table(table_of(objects.as_array(), {"name", "lsn", "n"}));
  EXPECT_EQ(text,
            "    name    |    lsn    | n\n"
            "------------+-----------+---\n"
            " main       |           | 7\n"
            " dev-branch | 0/16B3748 | \n"
            "(2 rows)\n");
}

TEST(SkctlTable, OneRecordSideways) {
  const auto object = boost::json::parse(R"({"name": "main", "tenant_id": "ab"})");
  EXPECT_EQ(format_table(record_of(object.as_object(), {"name", "tenant_id"})),
            "   field   | value\n"
            "-----------+-------\n"
            " name      | main\n"
            " tenant_id | ab\n"
            "(2 rows)\n");
}

}  // namespace
}  // namespace sk::skctl
