#include "notify/signing.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

namespace tw::notify {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct BignumDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumDeleter>;

constexpr int kRsaBits = 2048;
constexpr long kCertValiditySeconds =
    10L * 365 * 24 * 60 * 60 + 2L * 24 * 60 * 60;  // 10y + leap days

// `what`, followed by the OpenSSL error queue of this thread (which it drains,
// so that a later failure does not report stale errors).
Status OpenSslError(StatusCode code, std::string what) {
  std::string detail;
  while (unsigned long err = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    detail += detail.empty() ? ": " : "; ";
    detail += buf;
  }
  return Status(code, std::move(what) + detail);
}

Status OpenSslInternal(std::string what) {
  return OpenSslError(StatusCode::kInternal, std::move(what));
}

BioPtr MemoryBio(std::string_view data) {
  if (data.size() > static_cast<size_t>(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

Result<std::string> BioContents(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  if (length < 0 || (length > 0 && data == nullptr)) return OpenSslInternal("reading a memory BIO");
  return std::string(data, static_cast<size_t>(length));
}

const EVP_MD* DigestFor(int signature_version) {
  switch (signature_version) {
    case 1:
      return EVP_sha1();
    case 2:
      return EVP_sha256();
    default:
      return nullptr;
  }
}

Result<int> ParseSignatureVersion(std::string_view version) {
  if (version == "1") return 1;
  if (version == "2") return 2;
  return InvalidArgument("unsupported SignatureVersion '" + std::string(version) +
                         "' (expected \"1\" or \"2\")");
}

Status CheckType(std::string_view type) {
  if (type == kNotification || IsConfirmation(type)) return Status::Ok();
  return InvalidArgument("unknown SNS message Type '" + std::string(type) + "'");
}

std::string Base64Encode(const std::vector<unsigned char>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Strict standard base64 (padded, no whitespace); nullopt when malformed.
std::optional<std::vector<unsigned char>> Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > static_cast<size_t>(INT_MAX)) {
    return std::nullopt;
  }
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  for (size_t i = 0; i < text.size() - padding; ++i) {
    char c = text[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/';
    if (!ok) return std::nullopt;
  }
  std::vector<unsigned char> out(text.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

void AppendPair(std::string& out, std::string_view key, std::string_view value) {
  out.append(key);
  out.push_back('\n');
  out.append(value);
  out.push_back('\n');
}

Result<std::string> PrivateKeyPem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslInternal("writing the private key PEM");
  }
  return BioContents(bio.get());
}

Result<std::string> CertificatePem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
    return OpenSslInternal("writing the certificate PEM");
  }
  return BioContents(bio.get());
}

}  // namespace

void SigningKey::KeyDeleter::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }
void SigningKey::CertDeleter::operator()(x509_st* cert) const { X509_free(cert); }

SigningKey::SigningKey(std::unique_ptr<evp_pkey_st, KeyDeleter> key,
                       std::unique_ptr<x509_st, CertDeleter> cert, std::string key_pem,
                       std::string certificate_pem)
    : key_(std::move(key)),
      cert_(std::move(cert)),
      key_pem_(std::move(key_pem)),
      certificate_pem_(std::move(certificate_pem)) {}

SigningKey::~SigningKey() = default;

Result<SigningKey> SigningKey::Generate(std::string_view common_name) {
  if (common_name.empty()) return InvalidArgument("certificate common name is empty");

  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* raw_key = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), kRsaBits) != 1 ||
      EVP_PKEY_generate(ctx.get(), &raw_key) != 1) {
    return OpenSslInternal("generating an RSA key");
  }
  std::unique_ptr<evp_pkey_st, KeyDeleter> key(raw_key);

  std::unique_ptr<x509_st, CertDeleter> cert(X509_new());
  if (!cert) return OpenSslInternal("allocating a certificate");

  // A random positive 63-bit serial, so two generated certificates differ.
  unsigned char serial_bytes[8];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) {
    return OpenSslInternal("drawing a certificate serial");
  }
  serial_bytes[0] &= 0x7f;
  BignumPtr serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));

  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!serial || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kCertValiditySeconds) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1 ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return OpenSslInternal("building the self-signed certificate");
  }

  Result<std::string> key_pem = PrivateKeyPem(key.get());
  if (!key_pem.ok()) return key_pem.status();
  Result<std::string> cert_pem = CertificatePem(cert.get());
  if (!cert_pem.ok()) return cert_pem.status();
  return SigningKey(std::move(key), std::move(cert), std::move(*key_pem), std::move(*cert_pem));
}

Result<SigningKey> SigningKey::Load(const std::string& key_pem, const std::string& cert_pem) {
  BioPtr key_bio = MemoryBio(key_pem);
  std::unique_ptr<evp_pkey_st, KeyDeleter> key(
      key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key)
    return OpenSslError(
        StatusCode::kInvalidArgument,
        "cannot parse the private key PEM (expected an unencrypted PEM private key)");
  if (!EVP_PKEY_is_a(key.get(), "RSA")) {
    return InvalidArgument("the private key is not an RSA key (SNS signatures are RSA)");
  }

  BioPtr cert_bio = MemoryBio(cert_pem);
  std::unique_ptr<x509_st, CertDeleter> cert(
      cert_bio ? PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return OpenSslError(StatusCode::kInvalidArgument, "cannot parse the certificate PEM");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return OpenSslError(StatusCode::kInvalidArgument,
                        "the certificate does not match the private key");
  }

  // Re-encode so that key_pem()/certificate_pem() are canonical whatever the input form.
  Result<std::string> canonical_key = PrivateKeyPem(key.get());
  if (!canonical_key.ok()) return canonical_key.status();
  Result<std::string> canonical_cert = CertificatePem(cert.get());
  if (!canonical_cert.ok()) return canonical_cert.status();
  return SigningKey(std::move(key), std::move(cert), std::move(*canonical_key),
                    std::move(*canonical_cert));
}

Result<std::string> SigningKey::Sign(std::string_view data, int signature_version) const {
  const EVP_MD* md = DigestFor(signature_version);
  if (md == nullptr) {
    return InvalidArgument("unsupported signature version " + std::to_string(signature_version) +
                           " (expected 1 or 2)");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t length = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, in, data.size()) != 1) {
    return OpenSslInternal("preparing the signature");
  }
  std::vector<unsigned char> signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, in, data.size()) != 1) {
    return OpenSslInternal("signing");
  }
  signature.resize(length);
  return Base64Encode(signature);
}

bool IsConfirmation(std::string_view type) {
  return type == kSubscriptionConfirmation || type == kUnsubscribeConfirmation;
}

std::string StringToSign(const SnsEnvelope& envelope) {
  std::string out;
  AppendPair(out, "Message", envelope.message);
  AppendPair(out, "MessageId", envelope.message_id);
  if (IsConfirmation(envelope.type)) {
    AppendPair(out, "SubscribeURL", envelope.subscribe_url);
    AppendPair(out, "Timestamp", envelope.timestamp);
    AppendPair(out, "Token", envelope.token);
  } else {
    if (envelope.subject) AppendPair(out, "Subject", *envelope.subject);
    AppendPair(out, "Timestamp", envelope.timestamp);
  }
  AppendPair(out, "TopicArn", envelope.topic_arn);
  AppendPair(out, "Type", envelope.type);
  return out;
}

Result<SnsEnvelope> SignEnvelope(SnsEnvelope envelope, const SigningKey& key) {
  TW_RETURN_IF_ERROR(CheckType(envelope.type));
  Result<int> version = ParseSignatureVersion(envelope.signature_version);
  if (!version.ok()) return version.status();
  Result<std::string> signature = key.Sign(StringToSign(envelope), *version);
  if (!signature.ok()) return signature.status();
  envelope.signature = std::move(*signature);
  return envelope;
}

std::string EnvelopeJson(const SnsEnvelope& envelope) {
  const bool confirmation = IsConfirmation(envelope.type);
  nlohmann::ordered_json body;
  body["Type"] = envelope.type;
  body["MessageId"] = envelope.message_id;
  if (confirmation) body["Token"] = envelope.token;
  body["TopicArn"] = envelope.topic_arn;
  if (!confirmation && envelope.subject) body["Subject"] = *envelope.subject;
  body["Message"] = envelope.message;
  if (confirmation) body["SubscribeURL"] = envelope.subscribe_url;
  body["Timestamp"] = envelope.timestamp;
  body["SignatureVersion"] = envelope.signature_version;
  body["Signature"] = envelope.signature;
  body["SigningCertURL"] = envelope.signing_cert_url;
  if (!confirmation) body["UnsubscribeURL"] = envelope.unsubscribe_url;
  if (!confirmation && !envelope.message_attributes.empty()) {
    nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
    for (const auto& [name, attribute] : envelope.message_attributes) {
      attributes[name] = {{"Type", attribute.type}, {"Value", attribute.value}};
    }
    body["MessageAttributes"] = std::move(attributes);
  }
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Status VerifyEnvelope(const SnsEnvelope& envelope, std::string_view certificate_pem) {
  TW_RETURN_IF_ERROR(CheckType(envelope.type));
  Result<int> version = ParseSignatureVersion(envelope.signature_version);
  if (!version.ok()) return version.status();
  std::optional<std::vector<unsigned char>> signature = Base64Decode(envelope.signature);
  if (!signature) return InvalidArgument("Signature is not valid base64");

  BioPtr bio = MemoryBio(certificate_pem);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, &X509_free);
  if (!cert) return OpenSslError(StatusCode::kInvalidArgument, "cannot parse the certificate PEM");
  EVP_PKEY* public_key = X509_get0_pubkey(cert.get());  // owned by cert
  if (public_key == nullptr) {
    return OpenSslError(StatusCode::kInvalidArgument, "cannot read the certificate's public key");
  }

  const std::string data = StringToSign(envelope);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, DigestFor(*version), nullptr, public_key) != 1) {
    return OpenSslInternal("preparing signature verification");
  }
  int rc = EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
  if (rc != 1) {
    // 0 is a clean mismatch; a negative value is a malformed signature. Both mean "not signed by
    // this certificate", so drop OpenSSL's queue rather than report it.
    ERR_clear_error();
    return InvalidArgument("SNS message signature does not match (SignatureVersion " +
                           envelope.signature_version + ")");
  }
  return Status::Ok();
}

}  // namespace tw::notify
