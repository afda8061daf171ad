// director/checks/curl_multi.h: libcurl's multi interface driven by the
// libev loop (CURLMOPT_SOCKETFUNCTION / CURLMOPT_TIMERFUNCTION), so any
// number of http checks run at once without a thread or a blocking call.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <map>
#include <memory>

#include "lib/event/loop.h"

namespace halb::director::checks {

class CurlMulti {
 public:
  using Finished = std::function<void(CURLcode)>;

  explicit CurlMulti(event::Loop& loop);
  ~CurlMulti();
  CurlMulti(const CurlMulti&) = delete;
  CurlMulti& operator=(const CurlMulti&) = delete;

  // Run `easy` (configured by the caller, still owned by it); `finished`
  // runs once with its result, and may call remove().
  void add(CURL* easy, Finished finished);
  // Forget `easy` (done or abandoned); its callback never runs afterwards.
  void remove(CURL* easy);

 private:
  static int on_socket(CURL* easy, curl_socket_t s, int what, void* self, void* socketp);
  static int on_timer(CURLM* multi, long timeout_ms, void* self);
  void act(curl_socket_t s, int flags);
  void collect();

  event::Loop& loop_;
  CURLM* multi_;
  event::Timer timer_;
  std::map<curl_socket_t, std::unique_ptr<event::Io>> sockets_;
  std::map<CURL*, Finished> running_;
};

}  // namespace halb::director::checks
