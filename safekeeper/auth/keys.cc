// Ed25519 keys through OpenSSL 3's EVP interface; see keys.h.
#include "safekeeper/auth/keys.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "consensus/check.h"

namespace sk::auth {

struct PrivateKey::Key {
  explicit Key(EVP_PKEY* k) : pkey(k) {}
  ~Key() { EVP_PKEY_free(pkey); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  EVP_PKEY* pkey;
};

namespace {

using Key = PrivateKey::Key;

// OpenSSL's last error, for messages; clears its queue.
std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) {
    return "no detail";
  }
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kInvalidArgument, "cannot read key file " + path.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

Bio memory_bio(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Status require_ed25519(EVP_PKEY* pkey, const std::string& origin) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
    return Error(ErrorCode::kInvalidArgument,
                 origin + ": not an Ed25519 key (tokens are signed with EdDSA over Ed25519)");
  }
  return {};
}

}  // namespace

Result<PrivateKey> PrivateKey::generate() {
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (pkey == nullptr) {
    return Error(ErrorCode::kInternal, "cannot generate an Ed25519 key: " + openssl_error());
  }
  return PrivateKey(std::make_shared<const Key>(pkey));
}

Result<PrivateKey> PrivateKey::load(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    return text.error();
  }
  Bio bio = memory_bio(*text);
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (pkey == nullptr) {
    return Error(ErrorCode::kInvalidArgument,
                 path.string() + ": not a PEM private key (" + openssl_error() + ")");
  }
  auto key = std::make_shared<const Key>(pkey);
  if (Status ok = require_ed25519(pkey, path.string()); !ok) {
    return ok.error();
  }
  return PrivateKey(std::move(key));
}

std::string PrivateKey::sign(std::string_view message) const {
  std::string signature(64, '\0');
  std::size_t length = signature.size();
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const bool ok =
      context != nullptr &&
      EVP_DigestSignInit(context, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
      EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(context);
  SK_CHECK_MSG(ok && length == 64, "Ed25519 signing failed: " + openssl_error());
  return signature;
}

std::string PrivateKey::private_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  SK_CHECK(PEM_write_bio_PrivateKey(bio.get(), key_->pkey, nullptr, nullptr, 0, nullptr, nullptr) ==
           1);
  return bio_text(bio.get());
}

std::string PrivateKey::public_pem() const {
  Bio bio(BIO_new(BIO_s_mem()));
  SK_CHECK(PEM_write_bio_PUBKEY(bio.get(), key_->pkey) == 1);
  return bio_text(bio.get());
}

Result<PublicKeys> PublicKeys::from_pem(std::string_view pem, const std::string& origin) {
  PublicKeys keys;
  Bio bio = memory_bio(pem);
  while (EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)) {
    auto key = std::make_shared<const Key>(pkey);
    if (Status ok = require_ed25519(pkey, origin); !ok) {
      return ok.error();
    }
    keys.keys_.push_back(std::move(key));
  }
  ERR_clear_error();  // The end of the text reads as an error.
  if (keys.keys_.empty()) {
    return Error(ErrorCode::kInvalidArgument, origin + ": no PEM public key in it");
  }
  return keys;
}

Result<PublicKeys> PublicKeys::load(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    auto text = read_file(path);
    if (!text) {
      return text.error();
    }
    return from_pem(*text, path.string());
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".pem") {
      files.push_back(entry.path());
    }
  }
  if (ec) {
    return Error(ErrorCode::kInvalidArgument,
                 "cannot list key directory " + path.string() + ": " + ec.message());
  }
  if (files.empty()) {
    return Error(ErrorCode::kInvalidArgument, path.string() + ": no *.pem file in the directory");
  }
  std::sort(files.begin(), files.end());
  PublicKeys all;
  for (const auto& file : files) {
    auto text = read_file(file);
    if (!text) {
      return text.error();
    }
    auto keys = from_pem(*text, file.string());
    if (!keys) {
      return keys.error();
    }
    all.keys_.insert(all.keys_.end(), keys->keys_.begin(), keys->keys_.end());
  }
  return all;
}

bool PublicKeys::verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != 64) {
    return false;
  }
  for (const auto& key : keys_) {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    const bool ok =
        context != nullptr &&
        EVP_DigestVerifyInit(context, nullptr, nullptr, nullptr, key->pkey) == 1 &&
        EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                         message.size()) == 1;
    EVP_MD_CTX_free(context);
    if (ok) {
      return true;
    }
  }
  ERR_clear_error();
  return false;
}

}  // namespace sk::auth
