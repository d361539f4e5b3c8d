#include "support/net/test_certificate.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace tw::testing {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct ExtensionDeleter {
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free_all(bio); }
};

Status OpenSslFailure(const std::string& what) {
  std::string message = "OpenSSL: " + what;
  while (unsigned long err = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    message += std::string("; ") + buf;
  }
  return Status(StatusCode::kInternal, message);
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtensionDeleter> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

Result<TestCertificate> MakeTestCertificate(const std::string& dir) {
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslFailure("generating a P-256 key");
  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  if (cert == nullptr) return OpenSslFailure("X509_new");
  X509* c = cert.get();
  X509_NAME* name = X509_get_subject_name(c);
  const auto* cn = reinterpret_cast<const unsigned char*>("127.0.0.1");
  if (X509_set_version(c, 2) != 1 ||
      ASN1_INTEGER_set(X509_get_serialNumber(c), static_cast<long>(time(nullptr))) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(c), -24L * 3600) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(c), 7L * 24 * 3600) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1 ||
      X509_set_issuer_name(c, name) != 1 || X509_set_pubkey(c, key.get()) != 1 ||
      !AddExtension(c, NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(c, NID_subject_key_identifier, "hash") ||
      !AddExtension(c, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") ||
      X509_sign(c, key.get(), EVP_sha256()) == 0) {
    return OpenSslFailure("building the certificate");
  }

  TestCertificate files{dir + "/cert.pem", dir + "/key.pem"};
  std::unique_ptr<BIO, BioDeleter> cert_bio(BIO_new_file(files.cert_file.c_str(), "w"));
  if (cert_bio == nullptr || PEM_write_bio_X509(cert_bio.get(), c) != 1) {
    return Status(StatusCode::kIo, "cannot write " + files.cert_file);
  }
  std::unique_ptr<BIO, BioDeleter> key_bio(BIO_new_file(files.key_file.c_str(), "w"));
  if (key_bio == nullptr || PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0,
                                                     nullptr, nullptr) != 1) {
    return Status(StatusCode::kIo, "cannot write " + files.key_file);
  }
  return files;
}

}  // namespace tw::testing
