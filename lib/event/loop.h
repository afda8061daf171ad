// lib/event/loop.h: the one event loop every halb daemon thread runs.
//
// A thin RAII layer over libev. Watchers are owned objects: destroying one
// stops it, so a component that goes away can never be called back. The
// main thread's Loop uses libev's default loop because only that loop can
// reap children (ev_child); worker threads make their own.
#pragma once

#include <ev.h>

#include <functional>
#include <memory>
#include <sys/types.h>
#include <vector>

namespace halb::event {

class Loop {
 public:
  // main_thread: use the default loop (signals and children); otherwise a new one.
  explicit Loop(bool main_thread = true);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  struct ev_loop* raw() const { return loop_; }
  void run();
  void stop();
  // Monotonic seconds as libev sees them at this iteration.
  double now() const;
  // Run fn at the start of the next iteration, outside the current callback
  // (objects that end inside their own callback are freed this way).
  void defer(std::function<void()> fn);
  // Let the loop sleep at least this long between wakeups, so timers and
  // socket events that fall close together are handled in one iteration
  // (libev's timeout/io collect intervals). Only for loops whose events
  // tolerate that much extra latency.
  void coalesce_wakeups(double io_seconds, double timer_seconds);

 private:
  static void on_idle(struct ev_loop*, ev_idle*, int);
  void run_deferred();

  struct ev_loop* loop_;
  bool owned_;
  ev_idle idle_{};
  std::vector<std::function<void()>> deferred_;
};

// Runs its callback once, just before the loop next waits for events, each
// time it is armed: what several callbacks of one iteration produce (the
// frames a link queued for one peer) leaves in one system call instead of
// one each.
class BeforeSleep {
 public:
  BeforeSleep(Loop& loop, std::function<void()> cb);
  ~BeforeSleep();
  BeforeSleep(const BeforeSleep&) = delete;
  BeforeSleep& operator=(const BeforeSleep&) = delete;
  void arm();  // arming an armed watcher changes nothing
  void disarm();
  bool armed() const;

 private:
  static void trampoline(struct ev_loop*, ev_prepare*, int);
  Loop& loop_;
  std::function<void()> cb_;
  ev_prepare w_{};
};

class Timer {
 public:
  Timer(Loop& loop, std::function<void()> cb);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  // Fire after `after` seconds, then every `repeat` seconds if > 0.
  void start(double after, double repeat = 0);
  void stop();
  bool active() const;
  // Seconds until the next firing (0 when inactive).
  double remaining() const;

 private:
  static void trampoline(struct ev_loop*, ev_timer*, int);
  Loop& loop_;
  std::function<void()> cb_;
  ev_timer w_{};
};

class Io {
 public:
  // events: EV_READ and/or EV_WRITE. Callback receives the ready events.
  Io(Loop& loop, int fd, int events, std::function<void(int)> cb);
  ~Io();
  Io(const Io&) = delete;
  Io& operator=(const Io&) = delete;
  void start();
  void stop();
  void set_events(int events);
  int fd() const { return w_.fd; }

 private:
  static void trampoline(struct ev_loop*, ev_io*, int);
  Loop& loop_;
  std::function<void(int)> cb_;
  ev_io w_{};
};

class Signal {
 public:
  Signal(Loop& loop, int signum, std::function<void()> cb);
  ~Signal();
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;

 private:
  static void trampoline(struct ev_loop*, ev_signal*, int);
  Loop& loop_;
  std::function<void()> cb_;
  ev_signal w_{};
};

// Watches one child process; the callback gets the raw wait status.
class Child {
 public:
  Child(Loop& loop, pid_t pid, std::function<void(int status)> cb);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return w_.pid; }

 private:
  static void trampoline(struct ev_loop*, ev_child*, int);
  Loop& loop_;
  std::function<void(int)> cb_;
  ev_child w_{};
};

// Wakes the loop from another thread: notify() is thread-safe, the callback
// runs on the loop's thread.
class Async {
 public:
  Async(Loop& loop, std::function<void()> cb);
  ~Async();
  Async(const Async&) = delete;
  Async& operator=(const Async&) = delete;
  void notify();

 private:
  static void trampoline(struct ev_loop*, ev_async*, int);
  Loop& loop_;
  std::function<void()> cb_;
  ev_async w_{};
};

}  // namespace halb::event
