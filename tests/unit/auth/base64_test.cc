// base64.h: RFC 4648's test vectors, and refusal of non-canonical text.
#include "safekeeper/auth/base64.h"

#include <gtest/gtest.h>

namespace sk::auth {
namespace {

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
}

TEST(Base64Test, DecodesWhatItEncodes) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes);
  }
}

TEST(Base64Test, RefusesNonCanonicalText) {
  EXPECT_FALSE(base64url_decode("Zm8="));  // Padding in the unpadded form.
  EXPECT_FALSE(base64url_decode("+/8"));   // The standard alphabet.
  EXPECT_FALSE(base64url_decode("Z"));     // A length no encoder writes.
  EXPECT_FALSE(base64url_decode("Zm9"));   // Leftover bits set ("fo" is "Zm8").
  EXPECT_FALSE(base64_decode("Zm8"));      // Padding missing.
  EXPECT_FALSE(base64_decode("Zg=a"));     // Padding in the middle.
  EXPECT_FALSE(base64_decode("Z==="));     // Too much padding.
  EXPECT_FALSE(base64_decode("Zm 9v"));    // A space.
}

}  // namespace
}  // namespace sk::auth
