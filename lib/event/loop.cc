// lib/event/loop.cc: libev wrappers (see loop.h).
#include "lib/event/loop.h"

#include <stdexcept>
#include <utility>

namespace halb::event {

Loop::Loop(bool main_thread)
    : loop_(main_thread ? ev_default_loop(EVFLAG_AUTO) : ev_loop_new(EVFLAG_AUTO)),
      owned_(!main_thread) {
  if (!loop_) throw std::runtime_error("libev: cannot create an event loop");
  ev_idle_init(&idle_, &Loop::on_idle);
  idle_.data = this;
}

Loop::~Loop() {
  ev_idle_stop(loop_, &idle_);
  if (owned_) ev_loop_destroy(loop_);
}

void Loop::run() { ev_run(loop_, 0); }
void Loop::stop() { ev_break(loop_, EVBREAK_ALL); }
double Loop::now() const { return ev_now(loop_); }

void Loop::defer(std::function<void()> fn) {
  deferred_.push_back(std::move(fn));
  ev_idle_start(loop_, &idle_);
}

void Loop::coalesce_wakeups(double io_seconds, double timer_seconds) {
  ev_set_io_collect_interval(loop_, io_seconds);
  ev_set_timeout_collect_interval(loop_, timer_seconds);
}

void Loop::run_deferred() {
  // A deferred function may defer more work; that runs on the next pass.
  std::vector<std::function<void()>> batch;
  batch.swap(deferred_);
  for (auto& fn : batch) fn();
  if (deferred_.empty()) ev_idle_stop(loop_, &idle_);
}

void Loop::on_idle(struct ev_loop*, ev_idle* w, int) { static_cast<Loop*>(w->data)->run_deferred(); }

BeforeSleep::BeforeSleep(Loop& loop, std::function<void()> cb) : loop_(loop), cb_(std::move(cb)) {
  ev_prepare_init(&w_, &BeforeSleep::trampoline);
  w_.data = this;
}
BeforeSleep::~BeforeSleep() { disarm(); }
void BeforeSleep::arm() {
  if (!ev_is_active(&w_)) ev_prepare_start(loop_.raw(), &w_);
}
void BeforeSleep::disarm() { ev_prepare_stop(loop_.raw(), &w_); }
bool BeforeSleep::armed() const { return ev_is_active(&w_); }
void BeforeSleep::trampoline(struct ev_loop*, ev_prepare* w, int) {
  auto* self = static_cast<BeforeSleep*>(w->data);
  // Disarmed first: the callback may arm it again for the next iteration.
  ev_prepare_stop(self->loop_.raw(), w);
  self->cb_();
}

Timer::Timer(Loop& loop, std::function<void()> cb) : loop_(loop), cb_(std::move(cb)) {
  ev_init(&w_, &Timer::trampoline);
  w_.data = this;
}
Timer::~Timer() { stop(); }
void Timer::start(double after, double repeat) {
  ev_timer_stop(loop_.raw(), &w_);
  ev_timer_set(&w_, after < 0 ? 0 : after, repeat);
  ev_timer_start(loop_.raw(), &w_);
}
void Timer::stop() { ev_timer_stop(loop_.raw(), &w_); }
bool Timer::active() const { return ev_is_active(&w_); }
double Timer::remaining() const { return active() ? ev_timer_remaining(loop_.raw(), const_cast<ev_timer*>(&w_)) : 0; }
void Timer::trampoline(struct ev_loop*, ev_timer* w, int) { static_cast<Timer*>(w->data)->cb_(); }

Io::Io(Loop& loop, int fd, int events, std::function<void(int)> cb) : loop_(loop), cb_(std::move(cb)) {
  ev_io_init(&w_, &Io::trampoline, fd, events);
  w_.data = this;
}
Io::~Io() { stop(); }
void Io::start() { ev_io_start(loop_.raw(), &w_); }
void Io::stop() { ev_io_stop(loop_.raw(), &w_); }
void Io::set_events(int events) {
  // Unchanged: a stop/start would still cost the loop an epoll_ctl (it fails
  // with EEXIST and libev retries), once per message on a busy link.
  if ((w_.events & (EV_READ | EV_WRITE)) == (events & (EV_READ | EV_WRITE))) return;
  bool was = ev_is_active(&w_);
  ev_io_stop(loop_.raw(), &w_);
  ev_io_set(&w_, w_.fd, events);
  if (was) ev_io_start(loop_.raw(), &w_);
}
void Io::trampoline(struct ev_loop*, ev_io* w, int revents) { static_cast<Io*>(w->data)->cb_(revents); }

Signal::Signal(Loop& loop, int signum, std::function<void()> cb) : loop_(loop), cb_(std::move(cb)) {
  ev_signal_init(&w_, &Signal::trampoline, signum);
  w_.data = this;
  ev_signal_start(loop_.raw(), &w_);
  ev_unref(loop_.raw());  // a signal handler alone does not keep the loop running
}
Signal::~Signal() {
  ev_ref(loop_.raw());
  ev_signal_stop(loop_.raw(), &w_);
}
void Signal::trampoline(struct ev_loop*, ev_signal* w, int) { static_cast<Signal*>(w->data)->cb_(); }

Child::Child(Loop& loop, pid_t pid, std::function<void(int)> cb) : loop_(loop), cb_(std::move(cb)) {
  ev_child_init(&w_, &Child::trampoline, pid, 0);
  w_.data = this;
  ev_child_start(loop_.raw(), &w_);
}
Child::~Child() { ev_child_stop(loop_.raw(), &w_); }
void Child::trampoline(struct ev_loop* l, ev_child* w, int) {
  ev_child_stop(l, w);
  static_cast<Child*>(w->data)->cb_(w->rstatus);
}

Async::Async(Loop& loop, std::function<void()> cb) : loop_(loop), cb_(std::move(cb)) {
  ev_async_init(&w_, &Async::trampoline);
  w_.data = this;
  ev_async_start(loop_.raw(), &w_);
  ev_unref(loop_.raw());
}
Async::~Async() {
  ev_ref(loop_.raw());
  ev_async_stop(loop_.raw(), &w_);
}
void Async::notify() { ev_async_send(loop_.raw(), &w_); }
void Async::trampoline(struct ev_loop*, ev_async* w, int) { static_cast<Async*>(w->data)->cb_(); }

}  // namespace halb::event
