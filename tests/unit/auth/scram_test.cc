// scram.h: RFC 7677's SCRAM-SHA-256 exchange byte for byte, wrong passwords and unknown users
// refused at the proof, and PostgreSQL's verifier format.
#include "safekeeper/auth/scram.h"

#include <gtest/gtest.h>

#include "safekeeper/auth/base64.h"

namespace sk::auth {
namespace {

constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

ScramVerifier pencil() {
  return make_scram_verifier("pencil", *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="));
}

TEST(ScramTest, Rfc7677Exchange) {
  ScramServer server(pencil(), std::string(kServerNonce));
  auto first = server.on_client_first(kClientFirst);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(*first,
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            "i=4096");
  auto last = server.on_client_final(kClientFinal);
  ASSERT_TRUE(last) << last.error().to_string();
  EXPECT_EQ(*last, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(ScramTest, WrongPasswordAndUnknownUser_FailAtTheProof) {
  ScramServer wrong(make_scram_verifier("crayon", *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==")),
                    std::string(kServerNonce));
  ASSERT_TRUE(wrong.on_client_first(kClientFirst));
  EXPECT_EQ(wrong.on_client_final(kClientFinal).error().code(), ErrorCode::kUnauthenticated);

  ScramServer unknown(std::nullopt, std::string(kServerNonce));
  auto first = unknown.on_client_first(kClientFirst);
  ASSERT_TRUE(first);  // Salt and iterations as for a real user: nothing tells them apart.
  EXPECT_NE(first->find(",s="), std::string::npos);
  EXPECT_EQ(unknown.on_client_final(kClientFinal).error().code(), ErrorCode::kUnauthenticated);
}

TEST(ScramTest, MalformedMessagesAndChannelBindingAreRefused) {
  for (const std::string_view bad : {"", "p=tls-server-end-point,,n=,r=abc", "n,a=admin,n=,r=x",
                                     "n,,r=abc", "n,,n=,r=", "x,,n=,r=abc"}) {
    ScramServer server(pencil(), std::string(kServerNonce));
    EXPECT_EQ(server.on_client_first(bad).error().code(), ErrorCode::kInvalidArgument) << bad;
  }
  ScramServer server(pencil(), std::string(kServerNonce));
  ASSERT_TRUE(server.on_client_first(kClientFirst));
  for (const std::string_view bad :
       {"c=biws,r=other,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "c=eSws,r=x,p=AAAA",
        "garbage"}) {
    EXPECT_EQ(server.on_client_final(bad).error().code(), ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(ScramTest, VerifierTextRoundTrips) {
  const ScramVerifier verifier = pencil();
  const std::string text = format_scram_verifier(verifier);
  EXPECT_TRUE(text.starts_with("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"));
  auto parsed = parse_scram_verifier(text);
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->stored_key, verifier.stored_key);
  EXPECT_EQ(parsed->server_key, verifier.server_key);
  for (const std::string_view bad :
       {"md5abc", "SCRAM-SHA-256$x:AA==$AA==:AA==", "SCRAM-SHA-256$4096:W22Z$short:short"}) {
    EXPECT_FALSE(parse_scram_verifier(bad)) << bad;
  }
}

}  // namespace
}  // namespace sk::auth
