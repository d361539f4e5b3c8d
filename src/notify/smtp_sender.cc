// SMTP submission with libcurl: smtp:// (optionally STARTTLS) and smtps://.

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/host_name.h"
#include "notify/transport.h"
#include "notify/transport_internal.h"

namespace tw::notify {
namespace {

using internal::CurlEasy;
using internal::CurlSlist;
using internal::CurlUrl;

struct Reply {
  int code = 0;
  std::string text;  // "550 5.1.1 unknown user", continuation lines joined by spaces
};

// The server's replies, from libcurl's debug stream (the only place libcurl
// shows their text). A multi-line reply ("250-a", "250 b") becomes one Reply.
struct ReplyLog {
  std::vector<Reply> replies;
  std::string partial;  // continuation lines of the reply being read
};

void AddReplyLine(ReplyLog& log, std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.size() < 3 ||
      !std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })) {
    return;
  }
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  if (!log.partial.empty()) log.partial += ' ';
  log.partial += text;
  if (line.size() > 3 && line[3] == '-') return;  // more lines follow
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  std::string full = std::string(line.substr(0, 3));
  if (!log.partial.empty()) full += " " + log.partial;
  log.replies.push_back(Reply{code, std::move(full)});
  log.partial.clear();
}

int OnDebug(CURL* /*curl*/, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* log = static_cast<ReplyLog*>(user);
  std::string_view chunk(data, size);
  // libcurl hands over one line at a time, but do not rely on it.
  while (!chunk.empty()) {
    size_t end = chunk.find('\n');
    std::string_view line = end == std::string_view::npos ? chunk : chunk.substr(0, end + 1);
    AddReplyLine(*log, line);
    chunk.remove_prefix(line.size());
  }
  return 0;
}

struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadData(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// An address that cannot smuggle SMTP commands or extra recipients.
bool IsSafeAddress(std::string_view address) {
  return std::none_of(address.begin(), address.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == ' ' || c == '<' || c == '>';
  });
}

AttemptResult Final(std::string detail) {
  AttemptResult result;
  result.outcome = AttemptOutcome::kFinal;
  result.detail = std::move(detail);
  return result;
}

const Reply* LastReplyWithCode(const ReplyLog& log, long code) {
  for (auto it = log.replies.rbegin(); it != log.replies.rend(); ++it) {
    if (it->code == code) return &*it;
  }
  return nullptr;
}

class CurlSmtpSender final : public MailSender {
 public:
  CurlSmtpSender(std::string url, std::string host_port, std::string user, std::string password,
                 bool implicit_tls, const SmtpOptions& options, std::string description)
      : url_(std::move(url)),
        host_port_(std::move(host_port)),
        user_(std::move(user)),
        password_(std::move(password)),
        implicit_tls_(implicit_tls),
        require_starttls_(options.require_starttls),
        ca_file_(options.ca_file),
        timeout_(options.timeout),
        description_(std::move(description)) {}

  AttemptResult Send(const MailEnvelope& mail) override {
    auto start = std::chrono::steady_clock::now();
    AttemptResult result = Attempt(mail);
    result.elapsed = std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - start);
    return result;
  }

  std::string Describe() const override { return description_; }

 private:
  AttemptResult Attempt(const MailEnvelope& mail) const {
    if (mail.recipients.empty()) return Final("no recipients");
    if (!IsSafeAddress(mail.from)) return Final("invalid sender address");
    std::string from = "<" + mail.from + ">";
    CurlSlist recipients;
    for (const std::string& rcpt : mail.recipients) {
      if (rcpt.empty() || !IsSafeAddress(rcpt)) return Final("invalid recipient address");
      if (!internal::SlistAppend(recipients, "<" + rcpt + ">")) return Final("out of memory");
    }

    internal::EnsureCurlInitialized();
    CurlEasy curl(curl_easy_init());
    if (curl == nullptr) return Final("out of memory");
    CURL* c = curl.get();
    char error_buffer[CURL_ERROR_SIZE] = {};
    ReplyLog log;
    Upload upload{mail.data};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
    if (!user_.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, user_.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, password_.c_str());
    }
    if (implicit_tls_ || require_starttls_) {
      curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    }
    if (!ca_file_.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file_.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadData);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(mail.data.size()));
    // The debug stream is how the replies' text reaches us; with a debug
    // function set, VERBOSE prints nothing.
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, OnDebug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &log);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);

    CURLcode code = curl_easy_perform(c);
    // libcurl keeps the last reply code, except QUIT's.
    long reply_code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply_code);
    const Reply* reply = LastReplyWithCode(log, reply_code);
    std::string reply_text = reply != nullptr ? reply->text : std::to_string(reply_code);

    AttemptResult result;
    if (code == CURLE_OK) {
      result.outcome = AttemptOutcome::kDelivered;
      result.status_code = static_cast<int>(reply_code);
      result.detail = reply_text;
      return result;
    }
    if (reply_code >= 400 && reply_code < 600) {
      // The server refused: 5xx for good (unknown user, bad credentials,
      // rejected sender), 4xx for now (greylisting, full queue).
      result.outcome = reply_code >= 500 ? AttemptOutcome::kFinal : AttemptOutcome::kRetryable;
      result.status_code = static_cast<int>(reply_code);
      result.detail = reply_text;
      return result;
    }
    if (code == CURLE_USE_SSL_FAILED) {
      result.outcome = AttemptOutcome::kRetryable;
      result.detail = "STARTTLS required but not offered by " + host_port_;
      return result;
    }
    return internal::TransportFailure(c, code, host_port_, error_buffer, timeout_);
  }

  const std::string url_;        // without credentials
  const std::string host_port_;  // for details
  const std::string user_;
  const std::string password_;
  const bool implicit_tls_;
  const bool require_starttls_;
  const std::string ca_file_;
  const Duration timeout_;
  const std::string description_;
};


}  // namespace

Result<std::unique_ptr<MailSender>> MakeSmtpSender(const SmtpOptions& options) {
  internal::EnsureCurlInitialized();
  CurlUrl url(curl_url());
  if (url == nullptr) return Internal("out of memory");
  // CURLU_NON_SUPPORT_SCHEME: parse it anyway, so that the error below names
  // the scheme rather than saying "malformed".
  if (curl_url_set(url.get(), CURLUPART_URL, options.url.c_str(), CURLU_NON_SUPPORT_SCHEME) !=
      CURLUE_OK) {
    return InvalidArgument("SMTP URL is not a valid URL");
  }
  std::string scheme = internal::UrlPart(url.get(), CURLUPART_SCHEME);
  if (scheme != "smtp" && scheme != "smtps") {
    return InvalidArgument("SMTP URL must start with smtp:// or smtps://, not " + scheme + "://");
  }
  std::string host = internal::UrlPart(url.get(), CURLUPART_HOST);
  if (host.empty()) return InvalidArgument("SMTP URL has no host");
  std::string port = internal::UrlPart(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::string user = internal::UrlPart(url.get(), CURLUPART_USER, CURLU_URLDECODE);
  std::string password = internal::UrlPart(url.get(), CURLUPART_PASSWORD, CURLU_URLDECODE);

  // Credentials go to libcurl as options, not in the URL: nothing we keep
  // or print contains the password.
  curl_url_set(url.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(url.get(), CURLUPART_PASSWORD, nullptr, 0);
  curl_url_set(url.get(), CURLUPART_OPTIONS, nullptr, 0);
  // libcurl says EHLO with the URL's path, "localhost" when there is none;
  // a real name is kinder to servers that check it.
  std::string path = internal::UrlPart(url.get(), CURLUPART_PATH);
  if (path.empty() || path == "/") {
    curl_url_set(url.get(), CURLUPART_PATH, ("/" + HostName()).c_str(), 0);
  }
  std::string bare_url = internal::UrlPart(url.get(), CURLUPART_URL);
  if (bare_url.empty()) return Internal("out of memory");

  std::string host_port = host + ":" + port;
  std::string description = scheme + "://" + host_port;
  std::vector<std::string> notes;
  if (scheme == "smtp" && options.require_starttls) notes.push_back("STARTTLS");
  if (scheme == "smtps") notes.push_back("TLS");
  if (!user.empty()) notes.push_back("AUTH as " + user);
  for (size_t i = 0; i < notes.size(); ++i) {
    description += (i == 0 ? " (" : ", ") + notes[i];
  }
  if (!notes.empty()) description += ")";

  return std::unique_ptr<MailSender>(std::make_unique<CurlSmtpSender>(
      std::move(bare_url), std::move(host_port), std::move(user), std::move(password),
      scheme == "smtps", options, std::move(description)));
}

}  // namespace tw::notify
