// SNS message signing: the key and certificate trailwatch signs HTTP(S)
// deliveries with, the JSON envelope SNS POSTs, and the standard verification
// a subscriber runs on it.
//
// AWS signs a "string to sign" built from Key\nValue\n pairs (spec §5.2;
// AWS guide "Verifying the signatures of Amazon SNS messages"):
//   Notification:             Message, MessageId, Subject (only if present),
//                             Timestamp, TopicArn, Type
//   SubscriptionConfirmation,
//   UnsubscribeConfirmation:  Message, MessageId, SubscribeURL, Timestamp,
//                             Token, TopicArn, Type
// with RSA PKCS#1 v1.5 over SHA-1 (SignatureVersion "1") or SHA-256 ("2"),
// base64-encoded. SigningCertURL, UnsubscribeURL and SignatureVersion are not
// signed, as on AWS.
//
//   Result<SigningKey> key = SigningKey::Generate("sns.us-east-1.trailwatch.local");
//   SnsEnvelope envelope{.type = "Notification", ...};
//   Result<SnsEnvelope> signed_envelope = SignEnvelope(std::move(envelope), *key);
//   std::string body = EnvelopeJson(*signed_envelope);
//
// Nothing here reads the wall clock except certificate generation (its
// validity starts now); the envelope's Timestamp comes from the caller.

#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

// OpenSSL's handle types, declared here so that callers need no OpenSSL headers.
struct evp_pkey_st;
struct x509_st;

namespace tw::notify {

// An RSA private key with the self-signed X.509 certificate that carries its
// public half (the PEM served at SigningCertURL). Move-only. Sign() may be
// called from several threads at once: it only reads the key.
class SigningKey {
 public:
  // A fresh RSA-2048 key and a self-signed certificate (SHA-256, valid for
  // 10 years from now) whose subject and issuer are CN=`common_name`, e.g.
  // "sns.us-east-1.trailwatch.local".
  static Result<SigningKey> Generate(std::string_view common_name);

  // Loads a key (PKCS#8 or traditional RSA PEM, unencrypted) and its
  // certificate PEM, as produced by key_pem() / certificate_pem(). Fails with
  // kInvalidArgument if either does not parse, the key is not RSA, or the
  // certificate does not belong to the key.
  static Result<SigningKey> Load(const std::string& key_pem, const std::string& cert_pem);

  SigningKey(SigningKey&&) noexcept = default;
  SigningKey& operator=(SigningKey&&) noexcept = default;
  ~SigningKey();

  // The private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----").
  const std::string& key_pem() const { return key_pem_; }
  // The certificate as PEM ("-----BEGIN CERTIFICATE-----").
  const std::string& certificate_pem() const { return certificate_pem_; }

  // Base64 RSA PKCS#1 v1.5 signature of `data`: SHA-1 for signature_version 1,
  // SHA-256 for 2; any other version is kInvalidArgument.
  Result<std::string> Sign(std::string_view data, int signature_version) const;

 private:
  struct KeyDeleter {
    void operator()(evp_pkey_st* key) const;
  };
  struct CertDeleter {
    void operator()(x509_st* cert) const;
  };

  SigningKey(std::unique_ptr<evp_pkey_st, KeyDeleter> key,
             std::unique_ptr<x509_st, CertDeleter> cert, std::string key_pem,
             std::string certificate_pem);

  std::unique_ptr<evp_pkey_st, KeyDeleter> key_;
  std::unique_ptr<x509_st, CertDeleter> cert_;
  std::string key_pem_;
  std::string certificate_pem_;
};

inline constexpr std::string_view kNotification = "Notification";
inline constexpr std::string_view kSubscriptionConfirmation = "SubscriptionConfirmation";
inline constexpr std::string_view kUnsubscribeConfirmation = "UnsubscribeConfirmation";

// A message attribute of Publish: Type "String", "Number", "Binary" or
// "String.Array" (custom suffixes such as "Number.float" allowed, as in
// SNS); Binary values are base64. Not signed, as on AWS.
struct MessageAttribute {
  std::string type;
  std::string value;

  bool operator==(const MessageAttribute&) const = default;
};

// One SNS HTTP(S) delivery body. Field names follow the JSON keys.
struct SnsEnvelope {
  std::string type;        // kNotification, kSubscriptionConfirmation or kUnsubscribeConfirmation
  std::string message_id;  // a UUID; the same across retries of one delivery
  std::string token;       // confirmations only
  std::string topic_arn;
  std::optional<std::string> subject;  // notifications only; omitted when absent
  std::string message;
  std::string timestamp;  // ISO 8601 UTC with milliseconds: "2023-11-14T22:13:20.456Z"
  std::string signature_version = "1";  // "1" (SHA1withRSA) or "2" (SHA256withRSA)
  std::string signature;                // base64; filled by SignEnvelope()
  std::string signing_cert_url;
  std::string subscribe_url;                                   // confirmations only
  std::string unsubscribe_url;                                 // notifications only
  std::map<std::string, MessageAttribute> message_attributes;  // notifications only
};

// True for the two confirmation types, which sign Token and SubscribeURL.
bool IsConfirmation(std::string_view type);

// The exact bytes AWS signs, each pair "Key\nValue\n" in the order above.
// A type other than the two confirmation types gets the Notification layout;
// SignEnvelope() and VerifyEnvelope() reject unknown types.
std::string StringToSign(const SnsEnvelope& envelope);

// Returns `envelope` with `signature` set, signed as its signature_version
// says. kInvalidArgument for an unknown type or signature version.
Result<SnsEnvelope> SignEnvelope(SnsEnvelope envelope, const SigningKey& key);

// The JSON body SNS POSTs, keys in SNS's order: Type, MessageId, [Token],
// TopicArn, [Subject], Message, [SubscribeURL], Timestamp, SignatureVersion,
// Signature, SigningCertURL, [UnsubscribeURL], [MessageAttributes]. Token
// and SubscribeURL appear for confirmations; Subject (when present),
// UnsubscribeURL and MessageAttributes (when any, as
// {"name": {"Type": ..., "Value": ...}}) for notifications. Invalid UTF-8 in a value is replaced by
// U+FFFD rather than failing, so such an envelope no longer verifies.
std::string EnvelopeJson(const SnsEnvelope& envelope);

// The standard subscriber check: rebuilds StringToSign(), decodes the base64
// signature and verifies it with the public key of `certificate_pem` (SHA-1
// for version "1", SHA-256 for "2"). It does not check the certificate's
// chain, validity dates or SigningCertURL. Returns kInvalidArgument when the
// type, version, certificate or signature is malformed or does not match.
Status VerifyEnvelope(const SnsEnvelope& envelope, std::string_view certificate_pem);

}  // namespace tw::notify
