// Ed25519 keys: the private key skctl signs tokens with, and the public keys a safekeeper checks
// them against. Keys are PEM files as `openssl genpkey -algorithm ed25519` and
// `openssl pkey -pubout` write them (or `skctl token keygen`). Rotation: a safekeeper trusts every
// public key in its --auth-public-keys file or directory at once, so a new key is added
// everywhere, tokens are re-issued with it, then the old one is removed. OpenSSL stays in keys.cc.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/result.h"

namespace sk::auth {

class PrivateKey {
 public:
  // A fresh key from the system's random source.
  static Result<PrivateKey> generate();
  // A PEM private key (PKCS#8) from `path`; kInvalidArgument if it is not an Ed25519 key.
  static Result<PrivateKey> load(const std::filesystem::path& path);

  // The 64-byte Ed25519 signature of `message`.
  std::string sign(std::string_view message) const;
  std::string private_pem() const;
  std::string public_pem() const;

  struct Key;  // Defined in keys.cc (an EVP_PKEY).

 private:
  explicit PrivateKey(std::shared_ptr<const Key> key) : key_(std::move(key)) {}
  std::shared_ptr<const Key> key_;
};

class PublicKeys {
 public:
  // Every PEM public key in `path`: a file (several keys may follow each other), or a directory,
  // whose regular files ending in .pem are read in name order. kInvalidArgument for a file that
  // holds no key, a key that is not Ed25519, or a directory without any.
  static Result<PublicKeys> load(const std::filesystem::path& path);
  // From PEM text (tests and `skctl token keygen`).
  static Result<PublicKeys> from_pem(std::string_view pem, const std::string& origin);

  // True if `signature` is an Ed25519 signature of `message` by one of the keys.
  bool verify(std::string_view message, std::string_view signature) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::vector<std::shared_ptr<const PrivateKey::Key>> keys_;
};

}  // namespace sk::auth
