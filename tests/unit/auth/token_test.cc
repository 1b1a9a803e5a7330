// token.h, keys.h and authenticator.h: tokens signed, checked, tampered with, expired, and keys
// read from files and directories, rotated and reloaded.
#include "safekeeper/auth/token.h"

#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "safekeeper/auth/authenticator.h"
#include "safekeeper/auth/base64.h"

namespace sk::auth {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

// A P-256 public key: a PEM key of another type than Ed25519.
constexpr std::string_view kP256PublicKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEgshRUKAJmxrEeMQ1soraQfy3AyB7
xR0eyVm/2ujCy2b8MiIGz1cVLD6LtfuRy0BOOZ2VQQ628HalaviCuBg/Ew==
-----END PUBLIC KEY-----
)";

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("token_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, std::string_view text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  static Grant tenant_grant(std::int64_t expires_at) {
    Grant grant = parse_scope("tenant:0123456789abcdef0123456789abcdef").value();
    grant.expires_at = expires_at;
    grant.subject = "ci";
    return grant;
  }

  PrivateKey key_ = PrivateKey::generate().value();
  PublicKeys public_keys_ = PublicKeys::from_pem(key_.public_pem(), "test").value();
  std::filesystem::path dir_;
};

Error refusal(const Result<Grant>& result) {
  EXPECT_FALSE(result);
  return result ? Error(ErrorCode::kInternal, "accepted") : result.error();
}

TEST_F(TokenTest, VerifiesWhatItIssues) {
  const std::string token = issue_token(tenant_grant(kNow + 60), key_, kNow);
  auto grant = verify_token(token, public_keys_, kNow);
  ASSERT_TRUE(grant) << grant.error().to_string();
  EXPECT_EQ(*grant, tenant_grant(kNow + 60));
}

TEST_F(TokenTest, RefusesAnExpiredToken) {
  const std::string token = issue_token(tenant_grant(kNow + 60), key_, kNow);
  const Error error = refusal(verify_token(token, public_keys_, kNow + 60));
  EXPECT_EQ(error.code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(error.message().find("expired at 2027-01-15T08:01:00Z"), std::string::npos)
      << error.message();
}

TEST_F(TokenTest, RefusesAnotherKeysSignature) {
  const PrivateKey other = PrivateKey::generate().value();
  const std::string token = issue_token(tenant_grant(kNow + 60), other, kNow);
  const Error error = refusal(verify_token(token, public_keys_, kNow));
  EXPECT_NE(error.message().find("signature does not match"), std::string::npos);
}

TEST_F(TokenTest, RefusesChangedClaims) {
  const std::string token = issue_token(tenant_grant(kNow + 60), key_, kNow);
  const std::size_t first = token.find('.');
  const std::size_t last = token.rfind('.');
  const std::string forged_claims =
      base64url_encode(R"({"scope":"admin","exp":1900000000,"iat":1800000000})");
  const std::string forged = token.substr(0, first + 1) + forged_claims + token.substr(last);
  EXPECT_EQ(refusal(verify_token(forged, public_keys_, kNow)).code(), ErrorCode::kUnauthenticated);
}

TEST_F(TokenTest, RefusesOtherAlgorithmsAndShapes) {
  const std::string claims =
      base64url_encode(R"({"scope":"admin","exp":1900000000,"iat":1800000000})");
  const std::string none = base64url_encode(R"({"alg":"none"})") + "." + claims + ".";
  EXPECT_NE(refusal(verify_token(none, public_keys_, kNow)).message().find("only EdDSA"),
            std::string::npos);
  const std::string hmac = base64url_encode(R"({"alg":"HS256"})") + "." + claims + ".c2ln";
  EXPECT_NE(refusal(verify_token(hmac, public_keys_, kNow)).message().find("only EdDSA"),
            std::string::npos);
  for (const std::string& bad : std::vector<std::string>{"", "abc", "a.b", "a.b.c.d", "!!.??.**",
                                                         std::string(kMaxTokenBytes + 1, 'a')}) {
    EXPECT_EQ(refusal(verify_token(bad, public_keys_, kNow)).code(), ErrorCode::kUnauthenticated)
        << bad.substr(0, 20);
  }
}

TEST_F(TokenTest, RequiresAnExpiry) {
  // Signed correctly, but without "exp": a token that never expires is refused.
  const std::string signed_part = base64url_encode(R"({"alg":"EdDSA","typ":"JWT"})") + "." +
                                  base64url_encode(R"({"scope":"admin"})");
  const std::string token = signed_part + "." + base64url_encode(key_.sign(signed_part));
  EXPECT_NE(refusal(verify_token(token, public_keys_, kNow)).message().find("no \"exp\""),
            std::string::npos);
}

TEST_F(TokenTest, LoadsKeysFromAFileOrADirectory) {
  const PrivateKey second = PrivateKey::generate().value();
  const auto file = write("both.pem", key_.public_pem() + second.public_pem());
  auto from_file = PublicKeys::load(file);
  ASSERT_TRUE(from_file) << from_file.error().to_string();
  EXPECT_EQ(from_file->size(), 2u);

  std::filesystem::create_directories(dir_ / "keys");
  write("keys/old.pem", key_.public_pem());
  write("keys/new.pem", second.public_pem());
  write("keys/README", "not a key");
  auto from_directory = PublicKeys::load(dir_ / "keys");
  ASSERT_TRUE(from_directory) << from_directory.error().to_string();
  EXPECT_EQ(from_directory->size(), 2u);
  // Either key's tokens pass: that is what makes rotation possible.
  for (const PrivateKey* signer : std::vector<const PrivateKey*>{&key_, &second}) {
    EXPECT_TRUE(
        verify_token(issue_token(tenant_grant(kNow + 60), *signer, kNow), *from_directory, kNow));
  }
}

TEST_F(TokenTest, RefusesFilesWithoutEd25519Keys) {
  EXPECT_EQ(PublicKeys::load(write("p256.pem", kP256PublicKey)).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(PublicKeys::load(write("empty.pem", "")).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(PublicKeys::load(dir_ / "missing.pem").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(PrivateKey::load(write("public.pem", key_.public_pem())).error().code(),
            ErrorCode::kInvalidArgument);
  const auto private_file = write("private.pem", key_.private_pem());
  auto loaded = PrivateKey::load(private_file);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->public_pem(), key_.public_pem());
}

TEST_F(TokenTest, AuthenticatorChecksScopeAndReloadsKeys) {
  std::int64_t now = kNow;
  const auto keys_file = write("keys.pem", key_.public_pem());
  auto authenticator = Authenticator::open(keys_file, [&] { return now; });
  ASSERT_TRUE(authenticator) << authenticator.error().to_string();
  const auto tenant = *consensus::TenantId::parse_hex("0123456789abcdef0123456789abcdef");
  const std::string token = issue_token(tenant_grant(kNow + 60), key_, kNow);

  EXPECT_TRUE((*authenticator)->check(token, Need::write(tenant)));
  EXPECT_EQ(refusal((*authenticator)->check(token, Need::admin())).code(),
            ErrorCode::kPermissionDenied);
  EXPECT_EQ(refusal((*authenticator)->check("", Need::read(tenant))).code(),
            ErrorCode::kUnauthenticated);

  // Rotation: the file now holds another key only; after a reload the old token fails.
  const PrivateKey next = PrivateKey::generate().value();
  write("keys.pem", next.public_pem());
  EXPECT_TRUE((*authenticator)->check(token, Need::read(tenant)));  // Not reloaded yet.
  ASSERT_EQ((*authenticator)->reload().value(), 1u);
  EXPECT_EQ(refusal((*authenticator)->check(token, Need::read(tenant))).code(),
            ErrorCode::kUnauthenticated);
  // A broken file on reload keeps the keys in use.
  write("keys.pem", "garbage");
  EXPECT_FALSE((*authenticator)->reload());
  EXPECT_TRUE((*authenticator)
                  ->check(issue_token(tenant_grant(kNow + 60), next, kNow), Need::read(tenant)));
  now = kNow + 61;
  EXPECT_EQ(
      refusal((*authenticator)
                  ->check(issue_token(tenant_grant(kNow + 60), next, kNow), Need::read(tenant)))
          .code(),
      ErrorCode::kUnauthenticated);
}

TEST(BearerTokenTest, TakesTheTokenOutOfTheHeader) {
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer   abc"), "abc");
  EXPECT_FALSE(bearer_token("Basic dXNlcjpwdw=="));
  EXPECT_FALSE(bearer_token("Bearer "));
  EXPECT_FALSE(bearer_token(""));
}

TEST(AuthenticatorOffTest, AllowsEverything) {
  const Authenticator off;
  EXPECT_FALSE(off.enabled());
  EXPECT_TRUE(off.check("", Need::safekeeper()));
  EXPECT_TRUE(off.check("", Need::admin()));
}

}  // namespace
}  // namespace sk::auth
