// A throwaway self-signed TLS certificate for the HTTPS and SMTP TLS tests,
// valid for 127.0.0.1 and localhost (subject CN=127.0.0.1; subjectAltName
// IP:127.0.0.1, DNS:localhost), made with OpenSSL's C API.
//
//   Result<TestCertificate> cert = MakeTestCertificate(dir);
//   ASSERT_TRUE(cert.ok()) << cert.status().ToString();
//   options.ca_file = cert->cert_file;  // the client trusts it as its own CA

#pragma once

#include <string>

#include "common/status.h"

namespace tw::testing {

struct TestCertificate {
  std::string cert_file;  // PEM certificate: give it to a server, and to a client as ca_file
  std::string key_file;   // PEM private key (unencrypted)
};

// Writes cert.pem and key.pem into the existing directory `dir`. A fresh
// P-256 key each time; valid from a day ago for a week. kInternal when
// OpenSSL fails, kIo when a file cannot be written.
Result<TestCertificate> MakeTestCertificate(const std::string& dir);

}  // namespace tw::testing
