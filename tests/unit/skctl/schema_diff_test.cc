// Schema dumps split into their objects by pg_dump's headers, and compared.
#include "safekeeper/skctl/schema_diff.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace sk::skctl {
namespace {

const std::string kDumpA = R"(--
-- PostgreSQL database dump
--

SET statement_timeout = 0;

--
-- Name: t; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.t (
    v text
);

--
-- Name: t_v; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX t_v ON public.t USING btree (v);
)";

TEST(SchemaDiffTest, ADumpSplitsIntoItsObjectsByTheirHeaders) {
  const auto objects = schema_objects(kDumpA);
  ASSERT_EQ(objects.size(), 2U);
  EXPECT_EQ(objects.at("TABLE public.t"), "CREATE TABLE public.t (\n    v text\n);\n");
  EXPECT_EQ(objects.at("INDEX public.t_v"), "CREATE INDEX t_v ON public.t USING btree (v);\n");
}

TEST(SchemaDiffTest, ObjectsOnlyInOneOrChanged_AndTheUnifiedDiff) {
  sk::testing::TempDir dir("sk_schema_diff");
  std::string b = kDumpA;
  b.replace(b.find("    v text"), 10, "    v text,\n    w int");
  b += "\n--\n-- Name: u; Type: TABLE; Schema: public; Owner: -\n--\n\nCREATE TABLE public.u ();\n";
  auto diff = diff_schemas("main", kDumpA, "dev", b, dir.path() / "scratch");
  ASSERT_TRUE(diff.has_value()) << diff.error().to_string();
  EXPECT_TRUE(diff->only_in_a.empty());
  EXPECT_EQ(diff->only_in_b, (std::vector<std::string>{"TABLE public.u"}));
  EXPECT_EQ(diff->changed, (std::vector<std::string>{"TABLE public.t"}));
  EXPECT_EQ(diff->unified.rfind("--- main\n+++ dev\n", 0), 0U) << diff->unified;
  EXPECT_NE(diff->unified.find("+    w int"), std::string::npos) << diff->unified;

  // pg_dump's per-dump random "\\restrict KEY" fence is no difference.
  auto same =
      diff_schemas("main", "\\restrict AAA\n" + kDumpA + "\\unrestrict AAA\n", "main2",
                   "\\restrict BBB\n" + kDumpA + "\\unrestrict BBB\n", dir.path() / "scratch");
  ASSERT_TRUE(same.has_value());
  EXPECT_TRUE(same->only_in_a.empty() && same->only_in_b.empty() && same->changed.empty());
  EXPECT_TRUE(same->unified.empty());
}

}  // namespace
}  // namespace sk::skctl
