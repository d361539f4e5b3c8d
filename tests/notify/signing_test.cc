#include "notify/signing.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace tw::notify {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kTopic = "arn:aws:sns:us-east-1:123456789012:alarms";
constexpr std::string_view kCertUrl =
    "http://localhost:4566/SimpleNotificationService-trailwatch.pem";

SnsEnvelope Notification(std::optional<std::string> subject) {
  SnsEnvelope e;
  e.type = "Notification";
  e.message_id = "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324";
  e.topic_arn = std::string(kTopic);
  e.subject = std::move(subject);
  e.message = "{\"AlarmName\":\"root-login\",\"NewStateValue\":\"ALARM\"}\nline two";
  e.timestamp = "2023-11-14T22:13:20.456Z";
  e.signing_cert_url = std::string(kCertUrl);
  e.unsubscribe_url =
      "http://localhost:4566/?Action=Unsubscribe&SubscriptionArn=" + std::string(kTopic) + ":sub1";
  return e;
}

SnsEnvelope Confirmation(std::string type = "SubscriptionConfirmation") {
  SnsEnvelope e;
  e.type = std::move(type);
  e.message_id = "165545c9-2a5c-472c-8df2-7ff2be2b3b1b";
  e.token = "2336412f37fb687f5d51e6e241d09c80";
  e.topic_arn = std::string(kTopic);
  e.message = "You have chosen to subscribe to the topic " + std::string(kTopic) +
              ".\nTo confirm the subscription, visit the SubscribeURL included in this message.";
  e.timestamp = "2012-04-26T20:45:04.751Z";
  e.signing_cert_url = std::string(kCertUrl);
  e.subscribe_url =
      "http://localhost:4566/?Action=ConfirmSubscription&TopicArn=" + std::string(kTopic) +
      "&Token=2336412f37fb687f5d51e6e241d09c80";
  return e;
}

class SigningTest : public ::testing::Test {
 protected:
  // RSA-2048 generation is slow enough to share one key across the suite.
  static void SetUpTestSuite() {
    Result<SigningKey> key = SigningKey::Generate("sns.us-east-1.trailwatch.local");
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    key_ = new SigningKey(std::move(*key));
  }
  static void TearDownTestSuite() {
    delete key_;
    key_ = nullptr;
  }

  static SnsEnvelope Signed(SnsEnvelope envelope, const std::string& version) {
    envelope.signature_version = version;
    Result<SnsEnvelope> signed_envelope = SignEnvelope(std::move(envelope), *key_);
    EXPECT_TRUE(signed_envelope.ok()) << signed_envelope.status().ToString();
    return signed_envelope.ok() ? *signed_envelope : SnsEnvelope{};
  }

  static SigningKey* key_;
};

SigningKey* SigningTest::key_ = nullptr;

TEST_F(SigningTest, GeneratedKeyHasPemForms) {
  EXPECT_TRUE(key_->key_pem().starts_with("-----BEGIN PRIVATE KEY-----\n"));
  EXPECT_TRUE(key_->certificate_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
  EXPECT_FALSE(SigningKey::Generate("").ok());
}

TEST_F(SigningTest, StringToSignNotificationWithSubject) {
  EXPECT_EQ(StringToSign(Notification("ALARM: \"root-login\" in US East")),
            "Message\n"
            "{\"AlarmName\":\"root-login\",\"NewStateValue\":\"ALARM\"}\nline two\n"
            "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
            "Subject\nALARM: \"root-login\" in US East\n"
            "Timestamp\n2023-11-14T22:13:20.456Z\n"
            "TopicArn\narn:aws:sns:us-east-1:123456789012:alarms\n"
            "Type\nNotification\n");
}

TEST_F(SigningTest, StringToSignNotificationWithoutSubject) {
  EXPECT_EQ(StringToSign(Notification(std::nullopt)),
            "Message\n"
            "{\"AlarmName\":\"root-login\",\"NewStateValue\":\"ALARM\"}\nline two\n"
            "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
            "Timestamp\n2023-11-14T22:13:20.456Z\n"
            "TopicArn\narn:aws:sns:us-east-1:123456789012:alarms\n"
            "Type\nNotification\n");
}

TEST_F(SigningTest, StringToSignConfirmations) {
  for (std::string type : {"SubscriptionConfirmation", "UnsubscribeConfirmation"}) {
    SnsEnvelope e = Confirmation(type);
    e.subject = "ignored";          // confirmations carry no Subject
    e.unsubscribe_url = "ignored";  // nor an UnsubscribeURL
    EXPECT_EQ(StringToSign(e),
              "Message\nYou have chosen to subscribe to the topic "
              "arn:aws:sns:us-east-1:123456789012:alarms.\nTo confirm the subscription, visit the "
              "SubscribeURL included in this message.\n"
              "MessageId\n165545c9-2a5c-472c-8df2-7ff2be2b3b1b\n"
              "SubscribeURL\nhttp://localhost:4566/"
              "?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:alarms&"
              "Token=2336412f37fb687f5d51e6e241d09c80\n"
              "Timestamp\n2012-04-26T20:45:04.751Z\n"
              "Token\n2336412f37fb687f5d51e6e241d09c80\n"
              "TopicArn\narn:aws:sns:us-east-1:123456789012:alarms\n"
              "Type\n" +
                  type + "\n");
  }
}

TEST_F(SigningTest, SignsAndVerifiesEveryTypeAndVersion) {
  const SnsEnvelope cases[] = {Notification("ALARM"), Notification(std::nullopt), Confirmation(),
                               Confirmation("UnsubscribeConfirmation")};
  for (const SnsEnvelope& base : cases) {
    for (std::string version : {"1", "2"}) {
      SCOPED_TRACE(base.type + " v" + version + (base.subject ? " with Subject" : ""));
      SnsEnvelope e = Signed(base, version);
      EXPECT_EQ(e.signature.size(), 344u);  // base64 of 256 bytes
      Status status = VerifyEnvelope(e, key_->certificate_pem());
      EXPECT_TRUE(status.ok()) << status.ToString();

      // Fields outside the string to sign are not covered, as on AWS.
      e.signing_cert_url = "https://elsewhere.example/cert.pem";
      e.unsubscribe_url = "https://elsewhere.example/unsub";
      EXPECT_TRUE(VerifyEnvelope(e, key_->certificate_pem()).ok());
    }
  }
}

TEST_F(SigningTest, VersionsUseDifferentDigests) {
  SnsEnvelope v1 = Signed(Notification("ALARM"), "1");
  SnsEnvelope v2 = Signed(Notification("ALARM"), "2");
  EXPECT_NE(v1.signature, v2.signature);
  v1.signature_version = "2";  // a SHA1 signature presented as SHA256
  EXPECT_FALSE(VerifyEnvelope(v1, key_->certificate_pem()).ok());
  v2.signature_version = "1";
  EXPECT_FALSE(VerifyEnvelope(v2, key_->certificate_pem()).ok());
}

TEST_F(SigningTest, TamperingWithASignedFieldFailsVerification) {
  using Tamper = std::function<void(SnsEnvelope&)>;
  const std::pair<const char*, Tamper> notification_tampers[] = {
      {"message", [](SnsEnvelope& e) { e.message += " "; }},
      {"subject", [](SnsEnvelope& e) { e.subject = "OK"; }},
      {"subject removed", [](SnsEnvelope& e) { e.subject.reset(); }},
      {"topic arn", [](SnsEnvelope& e) { e.topic_arn += "x"; }},
      {"timestamp", [](SnsEnvelope& e) { e.timestamp = "2023-11-14T22:13:20.457Z"; }},
      {"message id", [](SnsEnvelope& e) { e.message_id[0] = '3'; }},
      {"signature", [](SnsEnvelope& e) { e.signature[10] = e.signature[10] == 'A' ? 'B' : 'A'; }},
      {"signature not base64", [](SnsEnvelope& e) { e.signature[10] = '*'; }},
      {"signature truncated", [](SnsEnvelope& e) { e.signature.resize(340); }},
      {"signature empty", [](SnsEnvelope& e) { e.signature.clear(); }},
      {"type", [](SnsEnvelope& e) { e.type = "UnsubscribeConfirmation"; }},
      {"unknown type", [](SnsEnvelope& e) { e.type = "Notice"; }},
      {"unknown version", [](SnsEnvelope& e) { e.signature_version = "3"; }},
  };
  for (std::string version : {"1", "2"}) {
    const SnsEnvelope good = Signed(Notification("ALARM"), version);
    ASSERT_TRUE(VerifyEnvelope(good, key_->certificate_pem()).ok());
    for (const auto& [name, tamper] : notification_tampers) {
      SCOPED_TRACE(std::string(name) + " v" + version);
      SnsEnvelope bad = good;
      tamper(bad);
      Status status = VerifyEnvelope(bad, key_->certificate_pem());
      EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    }
  }

  const std::pair<const char*, Tamper> confirmation_tampers[] = {
      {"token", [](SnsEnvelope& e) { e.token += "0"; }},
      {"subscribe url", [](SnsEnvelope& e) { e.subscribe_url = "http://evil.example/"; }},
      {"message", [](SnsEnvelope& e) { e.message = "hi"; }},
  };
  const SnsEnvelope good = Signed(Confirmation(), "2");
  for (const auto& [name, tamper] : confirmation_tampers) {
    SCOPED_TRACE(name);
    SnsEnvelope bad = good;
    tamper(bad);
    EXPECT_FALSE(VerifyEnvelope(bad, key_->certificate_pem()).ok());
  }
}

TEST_F(SigningTest, OtherKeysCertificateDoesNotVerify) {
  Result<SigningKey> other = SigningKey::Generate("other.trailwatch.local");
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  SnsEnvelope e = Signed(Notification("ALARM"), "2");
  EXPECT_FALSE(VerifyEnvelope(e, other->certificate_pem()).ok());
  Status garbage = VerifyEnvelope(e, "not a certificate");
  EXPECT_EQ(garbage.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.message().find("certificate PEM"), std::string::npos) << garbage.message();
}

TEST_F(SigningTest, SignRejectsUnknownTypeAndVersion) {
  SnsEnvelope e = Notification(std::nullopt);
  e.signature_version = "3";
  EXPECT_EQ(SignEnvelope(e, *key_).status().code(), StatusCode::kInvalidArgument);
  e.signature_version = "2";
  e.type = "Notice";
  EXPECT_EQ(SignEnvelope(e, *key_).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(key_->Sign("x", 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SigningTest, EnvelopeJsonNotificationKeyOrder) {
  SnsEnvelope e = Notification("ALARM");
  e.message = "Hello \"world\"\n";
  e.signature = "c2lnbmF0dXJl";
  EXPECT_EQ(EnvelopeJson(e),
            "{\"Type\":\"Notification\","
            "\"MessageId\":\"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\","
            "\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:alarms\","
            "\"Subject\":\"ALARM\","
            "\"Message\":\"Hello \\\"world\\\"\\n\","
            "\"Timestamp\":\"2023-11-14T22:13:20.456Z\","
            "\"SignatureVersion\":\"1\","
            "\"Signature\":\"c2lnbmF0dXJl\","
            "\"SigningCertURL\":\"http://localhost:4566/SimpleNotificationService-trailwatch.pem\","
            "\"UnsubscribeURL\":\"http://localhost:4566/?Action=Unsubscribe&SubscriptionArn="
            "arn:aws:sns:us-east-1:123456789012:alarms:sub1\"}");

  e.subject.reset();
  EXPECT_EQ(EnvelopeJson(e).find("Subject"), std::string::npos);

  // Message attributes come last, sorted by name, and are not signed.
  std::string signed_before = StringToSign(e);
  e.message_attributes = {{"retries", {"Number", "3"}},
                          {"list", {"String.Array", "[\"a\",\"b\"]"}}};
  std::string json = EnvelopeJson(e);
  EXPECT_TRUE(json.ends_with(
      "sub1\","
      "\"MessageAttributes\":{\"list\":{\"Type\":\"String.Array\",\"Value\":"
      "\"[\\\"a\\\",\\\"b\\\"]\"},\"retries\":{\"Type\":\"Number\",\"Value\":\"3\"}}}"))
      << json;
  EXPECT_EQ(StringToSign(e), signed_before);
}

TEST_F(SigningTest, EnvelopeJsonConfirmationKeyOrder) {
  SnsEnvelope e = Confirmation();
  e.message = "m";
  e.signature_version = "2";
  e.signature = "c2ln";
  e.subject = "not emitted";
  e.unsubscribe_url = "not emitted";
  EXPECT_EQ(
      EnvelopeJson(e),
      "{\"Type\":\"SubscriptionConfirmation\","
      "\"MessageId\":\"165545c9-2a5c-472c-8df2-7ff2be2b3b1b\","
      "\"Token\":\"2336412f37fb687f5d51e6e241d09c80\","
      "\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:alarms\","
      "\"Message\":\"m\","
      "\"SubscribeURL\":\"http://localhost:4566/?Action=ConfirmSubscription&TopicArn="
      "arn:aws:sns:us-east-1:123456789012:alarms&Token=2336412f37fb687f5d51e6e241d09c80\","
      "\"Timestamp\":\"2012-04-26T20:45:04.751Z\","
      "\"SignatureVersion\":\"2\","
      "\"Signature\":\"c2ln\","
      "\"SigningCertURL\":\"http://localhost:4566/SimpleNotificationService-trailwatch.pem\"}");
}

TEST_F(SigningTest, LoadRoundTripsPem) {
  Result<SigningKey> loaded = SigningKey::Load(key_->key_pem(), key_->certificate_pem());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->key_pem(), key_->key_pem());
  EXPECT_EQ(loaded->certificate_pem(), key_->certificate_pem());
  // PKCS#1 v1.5 signatures are deterministic: the loaded key signs identically.
  for (int version : {1, 2}) {
    Result<std::string> a = key_->Sign("payload", version);
    Result<std::string> b = loaded->Sign("payload", version);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(*a, *b);
  }
}

TEST_F(SigningTest, LoadRejectsGarbageAndMismatchedPem) {
  Result<SigningKey> bad_key = SigningKey::Load("garbage", key_->certificate_pem());
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_key.status().message().find("cannot parse the private key PEM"), std::string::npos)
      << bad_key.status().message();

  Result<SigningKey> bad_cert = SigningKey::Load(key_->key_pem(), "-----BEGIN CERTIFICATE-----\n");
  ASSERT_FALSE(bad_cert.ok());
  EXPECT_NE(bad_cert.status().message().find("cannot parse the certificate PEM"), std::string::npos)
      << bad_cert.status().message();

  Result<SigningKey> other = SigningKey::Generate("other.trailwatch.local");
  ASSERT_TRUE(other.ok());
  Result<SigningKey> mismatched = SigningKey::Load(key_->key_pem(), other->certificate_pem());
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.status().message().find("does not match"), std::string::npos)
      << mismatched.status().message();
}

// An oracle outside our code: the openssl command line verifies what we sign,
// with the public key it extracts from our certificate itself.
class OpensslCliTest : public SigningTest {
 protected:
  void SetUp() override {
    if (std::system("openssl version > /dev/null 2>&1") != 0) {
      GTEST_SKIP() << "openssl command-line tool not found";
    }
    std::string pattern = (fs::temp_directory_path() / "tw_signing_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void Write(const std::string& name, const std::string& content) {
    std::ofstream out(dir_ / name, std::ios::binary);
    out << content;
  }

  int Run(const std::string& command) {
    return std::system(("cd '" + dir_.string() + "' && " + command + " > out.txt 2>&1").c_str());
  }

  std::string Output() {
    std::ifstream in(dir_ / "out.txt");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path dir_;
};

TEST_F(OpensslCliTest, CommandLineVerifiesOurSignatures) {
  Write("cert.pem", key_->certificate_pem());
  ASSERT_EQ(Run("openssl x509 -in cert.pem -pubkey -noout -out pubkey.pem"), 0) << Output();
  ASSERT_EQ(Run("openssl x509 -in cert.pem -noout -subject"), 0) << Output();
  EXPECT_NE(Output().find("sns.us-east-1.trailwatch.local"), std::string::npos) << Output();

  const SnsEnvelope cases[] = {Notification("ALARM"), Notification(std::nullopt), Confirmation()};
  for (const SnsEnvelope& base : cases) {
    for (std::string version : {"1", "2"}) {
      SCOPED_TRACE(base.type + " v" + version);
      SnsEnvelope e = Signed(base, version);
      Write("data.txt", StringToSign(e));
      Write("sig.b64", e.signature);
      ASSERT_EQ(Run("openssl base64 -d -A -in sig.b64 -out sig.bin"), 0) << Output();
      const std::string digest = version == "1" ? "-sha1" : "-sha256";
      EXPECT_EQ(Run("openssl dgst " + digest + " -verify pubkey.pem -signature sig.bin data.txt"),
                0)
          << Output();
      EXPECT_NE(Output().find("Verified OK"), std::string::npos) << Output();

      // And the command line rejects the signature over tampered data.
      e.message += "!";
      Write("data.txt", StringToSign(e));
      EXPECT_NE(Run("openssl dgst " + digest + " -verify pubkey.pem -signature sig.bin data.txt"),
                0)
          << Output();
    }
  }
}

}  // namespace
}  // namespace tw::notify
