// director/checks/curl_multi.cc
#include "director/checks/curl_multi.h"

#include <vector>

namespace halb::director::checks {

CurlMulti::CurlMulti(event::Loop& loop)
    : loop_(loop), multi_(curl_multi_init()), timer_(loop, [this] { act(CURL_SOCKET_TIMEOUT, 0); }) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlMulti::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlMulti::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlMulti::~CurlMulti() {
  for (auto& [easy, cb] : running_) curl_multi_remove_handle(multi_, easy);
  running_.clear();
  curl_multi_cleanup(multi_);
  sockets_.clear();
}

void CurlMulti::add(CURL* easy, Finished finished) {
  running_[easy] = std::move(finished);
  curl_multi_add_handle(multi_, easy);  // asks for a timeout through on_timer
}

void CurlMulti::remove(CURL* easy) {
  if (running_.erase(easy)) curl_multi_remove_handle(multi_, easy);
}

int CurlMulti::on_socket(CURL*, curl_socket_t s, int what, void* self, void*) {
  auto* m = static_cast<CurlMulti*>(self);
  if (what == CURL_POLL_REMOVE) {
    m->sockets_.erase(s);
    return 0;
  }
  int events = (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
  auto& io = m->sockets_[s];
  if (!io) {
    io = std::make_unique<event::Io>(m->loop_, s, events, [m, s](int ev) {
      m->act(s, (ev & EV_READ ? CURL_CSELECT_IN : 0) | (ev & EV_WRITE ? CURL_CSELECT_OUT : 0));
    });
    io->start();
  } else {
    io->set_events(events);
  }
  return 0;
}

int CurlMulti::on_timer(CURLM*, long timeout_ms, void* self) {
  auto* m = static_cast<CurlMulti*>(self);
  m->timer_.stop();
  if (timeout_ms >= 0) m->timer_.start(timeout_ms / 1000.0);
  return 0;
}

void CurlMulti::act(curl_socket_t s, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_, s, flags, &running);
  collect();
}

void CurlMulti::collect() {
  // Gather first: a finished callback may remove or add handles.
  std::vector<std::pair<CURL*, CURLcode>> done;
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &left))
    if (msg->msg == CURLMSG_DONE) done.emplace_back(msg->easy_handle, msg->data.result);
  for (auto [easy, code] : done) {
    auto it = running_.find(easy);
    if (it == running_.end()) continue;
    Finished cb = std::move(it->second);
    running_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    cb(code);
  }
}

}  // namespace halb::director::checks
