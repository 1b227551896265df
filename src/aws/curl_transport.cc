// SPDX-License-Identifier: MIT
#include "aws/curl_transport.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <new>
#include <optional>
#include <string_view>
#include <utility>

#include <curl/curl.h>

#include "aws/http.h"

namespace zae::aws {
namespace {

// Connections a session keeps in its cache: enough for the widest send_all the DynamoDB client
// makes (a cascade), and a bound on what one session can hold open.
constexpr long kSessionMaxConnections = 16;
// A Content-Length larger than this is not trusted for reserving the body buffer up front.
constexpr std::size_t kMaxBodyReserve = 64 * 1024 * 1024;
// How long one curl_multi_poll may sleep; libcurl wakes earlier for its own timeouts, so this
// only bounds the wait if it ever missed an event.
constexpr int kPollMillis = 1000;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]);
    unsigned char y = static_cast<unsigned char>(b[i]);
    // Equal, or the same ASCII letter in the other case (only letters differ by the 0x20 bit).
    if (x != y && ((x | 0x20) != (y | 0x20) || (x | 0x20) < 'a' || (x | 0x20) > 'z')) {
      return false;
    }
  }
  return true;
}

// A header line's value: optional whitespace around it, and the line's CRLF.
std::string_view trim(std::string_view s) { return aws::trim(s, " \t\r\n"); }

CURLcode global_init() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  return result;
}

NetworkErrorKind kind_of(CURLcode code, long os_errno) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      // The peer accepted and reset before libcurl saw the connection complete: a reset, not
      // a refusal (the TCP handshake succeeded).
      return os_errno == ECONNRESET ? NetworkErrorKind::kReset : NetworkErrorKind::kConnect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return NetworkErrorKind::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return NetworkErrorKind::kTimeout;
    case CURLE_SEND_ERROR:
    case CURLE_SEND_FAIL_REWIND:  // a non-idempotent request's connection died after sending
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return NetworkErrorKind::kReset;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
      return NetworkErrorKind::kTls;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP_RETURNED_ERROR:
      return NetworkErrorKind::kProtocol;
    default:
      return NetworkErrorKind::kOther;
  }
}

// The URL without its query, which may carry presigned credentials.
std::string_view redacted(std::string_view url) { return url.substr(0, url.find('?')); }

// One easy handle and the state of the request it runs. Reused across requests: libcurl keeps
// its settings, and the connection lives in the session's multi handle.
class Transfer {
 public:
  explicit Transfer(const CurlTransportOptions& options) : easy_(curl_easy_init()) {
    if (easy_ == nullptr) {
      throw AwsError("curl_easy_init failed");
    }
    error_[0] = '\0';
    curl_easy_setopt(easy_, CURLOPT_PRIVATE, this);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy_, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    // The caller signed the path it gave; libcurl must not normalise dot segments in it.
    curl_easy_setopt(easy_, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
    if (!options.ca_file.empty()) {
      curl_easy_setopt(easy_, CURLOPT_CAINFO, options.ca_file.c_str());
    }
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Transfer::on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Transfer::on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
  }

  ~Transfer() {
    curl_easy_cleanup(easy_);
    curl_slist_free_all(headers_);
  }

  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  CURL* easy() const noexcept { return easy_; }
  const HttpRequest& request() const noexcept { return *request_; }

  // Sets the handle up for `request`, which must outlive the transfer (its body is sent from
  // the caller's buffer). Returns an error outcome instead when the request cannot be sent.
  // `fresh`: open a new connection instead of reusing a cached one.
  std::optional<NetworkError> prepare(const HttpRequest& request, std::chrono::milliseconds timeout,
                                      bool fresh = false) {
    curl_easy_setopt(easy_, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
    request_ = &request;
    response_ = HttpResponse{};
    out_of_memory_ = false;
    error_[0] = '\0';

    curl_slist_free_all(headers_);
    headers_ = nullptr;
    bool has_accept = false;
    bool has_expect = false;
    bool has_content_type = false;
    std::string line;
    for (const auto& field : request.headers) {
      if (field.name.find(':') != std::string::npos || has_line_break(field.name) ||
          has_line_break(field.value)) {
        return NetworkError(NetworkErrorKind::kOther,
                            "invalid HTTP header field '" + field.name + "'");
      }
      has_accept = has_accept || iequals(field.name, "Accept");
      has_expect = has_expect || iequals(field.name, "Expect");
      has_content_type = has_content_type || iequals(field.name, "Content-Type");
      line.assign(field.name);
      // libcurl reads "Name:" as "remove this header"; "Name;" sends it with an empty value.
      if (field.value.empty()) {
        line += ';';
      } else {
        line += ": ";
        line += field.value;
      }
      if (!append_header(line.c_str())) {
        return NetworkError(NetworkErrorKind::kOther, "out of memory");
      }
    }
    // Headers libcurl would add by itself: they are not in the caller's signature.
    if ((!has_accept && !append_header("Accept:")) || (!has_expect && !append_header("Expect:")) ||
        (!has_content_type && !append_header("Content-Type:"))) {
      return NetworkError(NetworkErrorKind::kOther, "out of memory");
    }

    curl_easy_setopt(easy_, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers_);
    // NOBODY first: clearing it turns a HEAD back into a GET, which the method below overrides.
    curl_easy_setopt(easy_, CURLOPT_NOBODY, 0L);
    if (request.method == "HEAD") {
      curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, nullptr);
      curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
    } else if (request.method == "GET" && request.body.empty()) {
      curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, nullptr);
      curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
    } else {
      // Every other method sends the body from the caller's buffer, without a copy. A zero
      // size must be set explicitly, or libcurl would take strlen of the body.
      curl_easy_setopt(easy_, CURLOPT_POST, 1L);
      curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      body_sent_ = 0;
      if (request.idempotency == Idempotency::kNonIdempotent) {
        // libcurl resends a request whose reused connection died before any response byte
        // (Curl_retry_request), which for a non-idempotent request may apply it twice. A body
        // read through a callback that refuses to rewind once read makes that resend fail
        // (CURLE_SEND_FAIL_REWIND) instead; libcurl's liveness check before reuse still skips
        // connections the server closed while idle.
        curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, nullptr);
        curl_easy_setopt(easy_, CURLOPT_POST, 1L);
        curl_easy_setopt(easy_, CURLOPT_READFUNCTION, &Transfer::on_read);
        curl_easy_setopt(easy_, CURLOPT_READDATA, this);
        curl_easy_setopt(easy_, CURLOPT_SEEKFUNCTION, &Transfer::on_seek);
        curl_easy_setopt(easy_, CURLOPT_SEEKDATA, this);
      } else {
        curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, request.body.data());
      }
      curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST,
                       request.method == "POST" ? nullptr : request.method.c_str());
    }
    // The whole-request deadline, libcurl's own stale-connection retry included.
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    return std::nullopt;
  }

  // The outcome after libcurl finished with `code`. Moves the response out.
  HttpOutcome finish(CURLcode code) {
    HttpOutcome outcome;
    // libcurl resends a request whose reused connection died before any response byte, but it
    // may pick another cached connection that died the same way (a server closing every idle
    // connection at once) and give up after a few; that case deserves one fresh connection.
    stale_connections_ = code != CURLE_OK && std::strstr(error_, "Connection died") != nullptr;
    if (code == CURLE_OK && !out_of_memory_) {
      long status = 0;
      curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
      response_.status = static_cast<int>(status);
      outcome.response = std::move(response_);
    } else {
      outcome.error = error_for(code);
    }
    response_ = HttpResponse{};
    request_ = nullptr;
    return outcome;
  }

  NetworkError error_for(CURLcode code) const {
    if (out_of_memory_) {
      return NetworkError(NetworkErrorKind::kOther, "out of memory while receiving a response");
    }
    std::string message = "HTTP ";
    message += request_->method;
    message += ' ';
    message += redacted(request_->url);
    message += " failed: ";
    message += curl_easy_strerror(code);
    if (error_[0] != '\0') {
      message += " (";
      message += trim(error_);
      message += ')';
    }
    long os_errno = 0;
    curl_easy_getinfo(easy_, CURLINFO_OS_ERRNO, &os_errno);
    return NetworkError(kind_of(code, os_errno), message);
  }

  // The last transfer failed only because cached connections were dead (see finish()).
  bool failed_on_stale_connections() const { return stale_connections_; }

 private:
  bool append_header(const char* line) {
    curl_slist* next = curl_slist_append(headers_, line);
    if (next == nullptr) {
      return false;
    }
    headers_ = next;
    return true;
  }

  // libcurl calls these from C: they must not throw.
  static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Transfer*>(user);
    std::size_t bytes = size * count;
    try {
      self->add_header_line(std::string_view(data, bytes));
    } catch (const std::bad_alloc&) {
      self->out_of_memory_ = true;
      return 0;
    }
    return bytes;
  }

  static std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Transfer*>(user);
    const std::string& body = self->request_->body;
    const std::size_t bytes = std::min(size * count, body.size() - self->body_sent_);
    std::memcpy(buffer, body.data() + self->body_sent_, bytes);
    self->body_sent_ += bytes;
    return bytes;
  }

  static int on_seek(void* user, curl_off_t offset, int origin) {
    auto* self = static_cast<Transfer*>(user);
    // Only the no-op rewind of a body not read yet.
    if (origin == SEEK_SET && offset == 0 && self->body_sent_ == 0) {
      return CURL_SEEKFUNC_OK;
    }
    return CURL_SEEKFUNC_FAIL;
  }

  static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* self = static_cast<Transfer*>(user);
    std::size_t bytes = size * count;
    try {
      self->response_.body.append(data, bytes);
    } catch (const std::bad_alloc&) {
      self->out_of_memory_ = true;
      return 0;
    }
    return bytes;
  }

  void add_header_line(std::string_view line) {
    if (line.starts_with("HTTP/")) {
      // A new status line: an interim (1xx) response's fields do not belong to the final one.
      response_.headers.clear();
      return;
    }
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      // Obsolete line folding: continues the previous field's value.
      if (!response_.headers.empty()) {
        auto& value = response_.headers.back().value;
        value += ' ';
        value += trim(line);
      }
      return;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return;  // the blank line ending the header block
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      std::size_t length = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec == std::errc() && end == value.data() + value.size()) {
        response_.body.reserve(std::min(length, kMaxBodyReserve));
      }
    }
    response_.headers.push_back(HttpField{std::string(name), std::string(value)});
  }

  CURL* easy_;
  curl_slist* headers_ = nullptr;
  char error_[CURL_ERROR_SIZE];
  const HttpRequest* request_ = nullptr;
  HttpResponse response_;
  bool out_of_memory_ = false;
  bool stale_connections_ = false;
  // Body bytes handed to libcurl by on_read for the current request.
  std::size_t body_sent_ = 0;
};

}  // namespace

// A multi handle (owning the connection cache) and the easy handles that ran on it. Used by one
// call at a time.
struct CurlTransport::Session {
  explicit Session(const CurlTransportOptions& options)
      : options(options), multi(curl_multi_init()) {
    if (multi == nullptr) {
      throw AwsError("curl_multi_init failed");
    }
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, kSessionMaxConnections);
  }

  ~Session() {
    // libcurl's order: easy handles are removed (done after every run), cleaned up, then the
    // multi handle, which closes the cached connections.
    transfers.clear();
    curl_multi_cleanup(multi);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The first `n` transfers, created on demand.
  std::span<std::unique_ptr<Transfer>> transfers_for(std::size_t n) {
    while (transfers.size() < n) {
      transfers.push_back(std::make_unique<Transfer>(options));
    }
    return std::span(transfers).first(n);
  }

  // Runs every prepared transfer (active[i]) to completion and stores its outcome in
  // outcomes[i]. Transfers that were not prepared already hold an outcome and are skipped.
  void run(std::span<std::unique_ptr<Transfer>> active, std::span<HttpOutcome> outcomes,
           std::span<const bool> prepared) {
    std::size_t pending = 0;
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (!prepared[i]) {
        continue;
      }
      if (curl_multi_add_handle(multi, active[i]->easy()) != CURLM_OK) {
        outcomes[i].error = NetworkError(NetworkErrorKind::kOther, "curl_multi_add_handle failed");
        continue;
      }
      ++pending;
    }
    while (pending > 0) {
      int running = 0;
      CURLMcode status = curl_multi_perform(multi, &running);
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg != CURLMSG_DONE) {
          continue;
        }
        CURL* easy = message->easy_handle;
        // The message is invalid after remove_handle: read the result first.
        CURLcode code = message->data.result;
        curl_multi_remove_handle(multi, easy);
        Transfer* transfer = nullptr;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &transfer);
        std::size_t index = index_of(active, transfer);
        outcomes[index] = transfer->finish(code);
        --pending;
      }
      if (pending == 0) {
        break;
      }
      if (status != CURLM_OK) {
        abandon(active, outcomes, curl_multi_strerror(status));
        return;
      }
      curl_multi_poll(multi, nullptr, 0, kPollMillis, nullptr);
    }
  }

  static std::size_t index_of(std::span<std::unique_ptr<Transfer>> active, const Transfer* t) {
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (active[i].get() == t) {
        return i;
      }
    }
    return 0;  // unreachable: every handle on the multi is one of `active`
  }

  // A failure of the multi handle itself (out of memory): every unfinished transfer fails.
  void abandon(std::span<std::unique_ptr<Transfer>> active, std::span<HttpOutcome> outcomes,
               const char* why) {
    for (std::size_t i = 0; i < active.size(); ++i) {
      if (!outcomes[i].response && !outcomes[i].error) {
        curl_multi_remove_handle(multi, active[i]->easy());
        outcomes[i].error =
            NetworkError(NetworkErrorKind::kOther, std::string("curl multi failed: ") + why);
      }
    }
  }

  const CurlTransportOptions& options;
  CURLM* multi;
  std::vector<std::unique_ptr<Transfer>> transfers;
};

CurlTransport::CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
  CURLcode init = global_init();
  if (init != CURLE_OK) {
    throw AwsError(std::string("curl_global_init failed: ") + curl_easy_strerror(init));
  }
}

CurlTransport::~CurlTransport() = default;

std::unique_ptr<CurlTransport::Session> CurlTransport::acquire_session() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      // Last in, first out: the most recently used session has the warmest connections.
      auto session = std::move(idle_.back());
      idle_.pop_back();
      return session;
    }
  }
  return std::make_unique<Session>(options_);
}

void CurlTransport::release_session(std::unique_ptr<Session> session) {
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < options_.max_idle_connections) {
      idle_.push_back(std::move(session));
      return;
    }
  }
  // Destroyed outside the lock: closing connections is I/O.
  session.reset();
}

std::size_t CurlTransport::idle_sessions() const {
  std::lock_guard lock(mutex_);
  return idle_.size();
}

HttpResponse CurlTransport::send(const HttpRequest& request) {
  std::vector<HttpOutcome> outcomes = send_all(std::span(&request, 1));
  if (outcomes.front().error) {
    throw std::move(*outcomes.front().error);
  }
  return std::move(*outcomes.front().response);
}

std::vector<HttpOutcome> CurlTransport::send_all(std::span<const HttpRequest> requests) {
  std::vector<HttpOutcome> outcomes(requests.size());
  if (requests.empty()) {
    return outcomes;
  }
  // Returns the session to the pool however the call ends.
  struct Lease {
    CurlTransport& transport;
    std::unique_ptr<Session> session;
    ~Lease() { transport.release_session(std::move(session)); }
  } lease{*this, acquire_session()};
  Session& session = *lease.session;
  auto active = session.transfers_for(requests.size());
  // std::vector<bool> has no contiguous storage for a span.
  std::unique_ptr<bool[]> prepared(new bool[requests.size()]);
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const HttpRequest& request = requests[i];
    auto timeout = request.timeout.count() > 0 ? request.timeout : options_.request_timeout;
    std::optional<NetworkError> error = active[i]->prepare(request, timeout);
    prepared[i] = !error.has_value();
    if (error) {
      outcomes[i].error = std::move(error);
    }
  }
  session.run(active, outcomes, std::span<const bool>(prepared.get(), requests.size()));
  // The stale-connection rule: a request that only met dead cached connections is sent once
  // more, on a new connection.
  bool retry = false;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    prepared[i] = outcomes[i].error.has_value() && active[i]->failed_on_stale_connections() &&
                  requests[i].idempotency == Idempotency::kIdempotent;
    if (prepared[i]) {
      const HttpRequest& request = requests[i];
      auto timeout = request.timeout.count() > 0 ? request.timeout : options_.request_timeout;
      outcomes[i] = HttpOutcome{};
      if (std::optional<NetworkError> error = active[i]->prepare(request, timeout, true)) {
        outcomes[i].error = std::move(error);
        prepared[i] = false;
      }
      retry = retry || prepared[i];
    }
  }
  if (retry) {
    session.run(active, outcomes, std::span<const bool>(prepared.get(), requests.size()));
  }
  return outcomes;
}

}  // namespace zae::aws
