// director/checks/http_probe.cc: service=http spoken by hand on the loop.
//
// Plain http is the check nearly every director runs, for every real, every
// checkinterval; through libcurl each attempt paid for an easy handle, URL
// parsing and the multi socket dance, several times what one request costs
// (bench/checks). Here: connect, one HTTP/1.0 request (GET or HEAD, Host =
// virtualhost or the real's address, Connection: close), read the status
// line, the headers and the body up to the end or Content-Length. Up =
// status 2xx and the body matches receive, as with libcurl. A redirect
// (which libcurl follows) is handed to the libcurl check from the start, so
// the rare real that redirects is judged exactly as before; https,
// http_proxy and absolute request URLs never come here.
#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/receive_pattern.h"
#include "director/checks/replies.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

constexpr size_t kMaxBody = 1 << 20;     // as the libcurl check keeps
constexpr size_t kMaxHeaders = 64 << 10;

class HttpCheck : public Attempt {
 public:
  HttpCheck(event::Loop& loop, const Spec& spec, RedirectedCheck redirected, Done done)
      : Attempt(loop, std::move(done)),
        spec_(spec),
        redirected_start_(std::move(redirected)),
        stream_(loop, {[this] { on_connected(); }, [this] { on_readable(); },
                       [this](std::string why) { finish(false, what_ + ": " + why); }}) {
    std::string host = spec.rip.is_v4() ? spec.rip.str() : "[" + spec.rip.str() + "]";
    std::string server = host + ":" + std::to_string(spec.port);
    std::string path = "/" + bare_request(spec);
    what_ = "http check of http://" + server + path;
    head_ = spec.httpmethod == config::HttpMethod::head;
    request_ = std::string(head_ ? "HEAD " : "GET ") + path + " HTTP/1.0\r\nHost: " +
               (spec.virtualhost.empty() ? host : spec.virtualhost) +
               "\r\nUser-Agent: halb-director (ldirectord check)\r\nAccept: */*\r\nConnection: close\r\n\r\n";
    if (!open_stream(stream_, spec, false, what_, spec.checktimeout)) return;
    arm_deadline(spec.negotiatetimeout, what_ + ": timed out");
  }

  void halt() override {
    stream_.close();
    redirected_.reset();
  }

 private:
  void on_connected() { stream_.write(request_); }

  void on_readable() {
    std::string& in = stream_.input();
    if (status_ == 0) {
      auto end = http_head_end(in);
      if (!end) {
        if (in.size() > kMaxHeaders) return finish(false, what_ + ": response headers too long");
        if (stream_.eof()) return finish(false, what_ + ": " + (in.empty() ? "empty reply from server"
                                                                           : "connection closed in the headers"));
        return;
      }
      if (!parse_head(std::string_view(in).substr(0, end->first))) return;
      in.erase(0, end->first + end->second);
      if (status_ >= 300 && status_ < 400 && has_location_) return hand_to_libcurl();
      if (status_ < 200 || status_ > 299) return finish(false, what_ + ": status " + std::to_string(status_));
      if (head_ || content_length_ == 0) return judge("");
    }
    bool complete = stream_.eof() || (content_length_ >= 0 && in.size() >= size_t(content_length_)) ||
                    in.size() >= kMaxBody;
    if (!complete) return;
    if (!stream_.eof() && content_length_ < 0 && in.size() < kMaxBody) return;
    if (content_length_ >= 0 && in.size() < size_t(content_length_) && stream_.eof())
      return finish(false, what_ + ": connection closed after " + std::to_string(in.size()) + " of " +
                               std::to_string(content_length_) + " body bytes");
    std::string body = in.substr(0, content_length_ >= 0 ? size_t(content_length_) : in.size());
    judge(body);
  }

  // The status line and the headers that matter; false after finishing.
  bool parse_head(std::string_view text) {
    auto head = parse_http_head(text);
    if (!head) {
      finish(false, what_ + ": not an HTTP response");
      return false;
    }
    status_ = head->status;
    content_length_ = head->content_length;
    has_location_ = head->has_location;
    chunked_ = head->chunked;
    if (chunked_ && !head_) {
      // An HTTP/1.0 request gets no chunked reply from a conforming server;
      // libcurl decodes what a broken one sends.
      hand_to_libcurl();
      return false;
    }
    return true;
  }

  void judge(const std::string& body) {
    std::string error;
    if (!receive_matches(spec_.receive, body, error))
      return finish(false,
                    what_ + ": " + (error.empty() ? "content did not match \"" + spec_.receive + "\"" : error));
    finish(true, what_ + ": status " + std::to_string(status_));
  }

  void hand_to_libcurl() {
    stream_.close();
    redirected_ = redirected_start_([this](Result r) { finish(r.up, std::move(r.reason)); });
  }

  Spec spec_;
  RedirectedCheck redirected_start_;
  std::unique_ptr<Check> redirected_;
  std::string what_;
  std::string request_;
  bool head_ = false;
  int status_ = 0;
  long long content_length_ = -1;
  bool has_location_ = false;
  bool chunked_ = false;
  Stream stream_;
};

}  // namespace

std::unique_ptr<Check> start_http(event::Loop& loop, const Spec& spec, RedirectedCheck redirected, Done done) {
  return std::make_unique<HttpCheck>(loop, spec, std::move(redirected), std::move(done));
}

}  // namespace halb::director::checks
