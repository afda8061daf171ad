// director/checks/dialog_probe.cc: the line-based services, as ldirectord
// checks them: the greeting (smtp/submission 220, pop +OK, imap * OK, nntp
// 2xx), smtp's EHLO, a login where one is configured (smtp AUTH PLAIN, pop
// USER/PASS, imap LOGIN, nntp AUTHINFO), then a polite QUIT/LOGOUT;
// simpletcp sends the request, half-closes and wants a line matching
// receive.
#include <openssl/evp.h>
#include <unistd.h>

#include <vector>

#include "director/checks/attempt.h"
#include "director/checks/probes.h"
#include "director/checks/receive_pattern.h"
#include "director/checks/replies.h"
#include "director/checks/stream.h"

namespace halb::director::checks {
namespace {

struct Step {
  std::string send;  // written before waiting for the reply
  Judge judge;
};

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(n < 0 ? 0 : n);
  return out;
}

std::string local_hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

class Dialog : public Attempt {
 public:
  Dialog(event::Loop& loop, const Spec& spec, Done done)
      : Attempt(loop, std::move(done)),
        what_(std::string(service_name(spec.service)) + " check of " + target_name(spec)),
        stream_(loop, {[this] { on_connected(); }, [this] { on_readable(); },
                       [this](std::string why) { finish(false, what_ + ": " + why); }}) {
    plan(spec);
    if (!open_stream(stream_, spec, false, what_, spec.checktimeout)) return;
    arm_deadline(spec.negotiatetimeout, what_ + ": timed out");
  }
  void halt() override { stream_.close(); }

 private:
  void plan(const Spec& spec) {
    switch (spec.service) {
      case Service::smtp:
      case Service::submission:
        steps_.push_back({"", smtp_reply('2')});
        steps_.push_back({"EHLO " + local_hostname() + "\r\n", smtp_reply('2')});
        if (!spec.login.empty())
          steps_.push_back(
              {"AUTH PLAIN " + base64(std::string(1, '\0') + spec.login + '\0' + spec.passwd) + "\r\n", smtp_reply('2')});
        goodbye_ = "QUIT\r\n";
        break;
      case Service::pop:
        steps_.push_back({"", line_starts("+OK")});
        if (!spec.login.empty()) {
          steps_.push_back({"USER " + spec.login + "\r\n", line_starts("+OK")});
          steps_.push_back({"PASS " + spec.passwd + "\r\n", line_starts("+OK")});
        }
        goodbye_ = "QUIT\r\n";
        break;
      case Service::imap:
        steps_.push_back({"", line_starts("* OK")});
        if (!spec.login.empty())
          steps_.push_back({"a1 LOGIN \"" + spec.login + "\" \"" + spec.passwd + "\"\r\n", imap_tagged("a1")});
        goodbye_ = "a2 LOGOUT\r\n";
        break;
      case Service::nntp:
        steps_.push_back({"", line_starts("2")});
        if (!spec.login.empty()) {
          steps_.push_back({"AUTHINFO USER " + spec.login + "\r\n", line_starts("381")});
          steps_.push_back({"AUTHINFO PASS " + spec.passwd + "\r\n", line_starts("281")});
        }
        goodbye_ = "QUIT\r\n";
        break;
      default: {  // simpletcp
        std::string request = bare_request(spec);
        // ldirectord turns a written "\n" into a newline.
        for (size_t at; (at = request.find("\\n")) != std::string::npos;) request.replace(at, 2, "\n");
        receive_ = spec.receive;
        simple_ = true;
        steps_.push_back({request, nullptr});
        break;
      }
    }
  }

  void on_connected() {
    if (simple_) {
      stream_.write(steps_[0].send);
      stream_.shutdown_write();
      return;
    }
    send_step();
  }

  void send_step() {
    if (!steps_[step_].send.empty()) stream_.write(steps_[step_].send);
  }

  void on_readable() {
    std::string& in = stream_.input();
    if (simple_) return simple_readable(in);
    while (auto line = take_line(in)) {
      Judged j = steps_[step_].judge(*line);
      if (j == Judged::more) continue;
      if (j == Judged::bad) return finish(false, what_ + ": unexpected reply \"" + printable(*line) + "\"");
      if (++step_ == steps_.size()) {
        stream_.write(goodbye_);
        return finish(true, what_ + ": " + printable(*line));
      }
      send_step();
    }
    if (in.size() > 65536) return finish(false, what_ + ": reply line too long");
    if (stream_.eof()) return finish(false, what_ + ": connection closed by the server");
  }

  void simple_readable(std::string& in) {
    while (auto line = take_line(in)) {
      if (line_matches(*line)) return;
    }
    if (stream_.eof()) {
      if (!in.empty() && line_matches(in)) return;
      return finish(false, what_ + ": no line matched \"" + receive_ + "\"");
    }
    if (in.size() > 65536) return finish(false, what_ + ": reply line too long");
  }

  // Finishes (and returns true) on a match or a bad pattern.
  bool line_matches(const std::string& line) {
    std::string error;
    if (receive_matches(receive_, line, error)) {
      finish(true, what_ + ": \"" + printable(line) + "\" matched");
      return true;
    }
    if (!error.empty()) {
      finish(false, what_ + ": " + error);
      return true;
    }
    return false;
  }

  std::string what_;
  Stream stream_;
  std::vector<Step> steps_;
  size_t step_ = 0;
  std::string goodbye_;
  std::string receive_;
  bool simple_ = false;
};

}  // namespace

std::unique_ptr<Check> start_dialog(event::Loop& loop, const Spec& spec, Done done) {
  return std::make_unique<Dialog>(loop, spec, std::move(done));
}

}  // namespace halb::director::checks
