// The node side of a management session, against a scripted server end.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/mgmapi/session.h"

using namespace halb;
using namespace halb::cluster::mgmapi;

namespace {
struct Rig {
  event::Loop loop{false};
  log::Logger logger;
  int fds[2] = {-1, -1};
  MessageReader server_reader;
  Rig() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0); }
  ~Rig() {
    if (fds[1] >= 0) close(fds[1]);
  }
  void server_send(const Message& m) {
    std::string w = format(m);
    ASSERT_EQ(write(fds[1], w.data(), w.size()), static_cast<ssize_t>(w.size()));
  }
  // Runs the loop briefly and returns what the node sent.
  std::vector<Message> exchange(double s = 0.05) {
    event::Timer t(loop, [this] { loop.stop(); });
    t.start(s);
    loop.run();
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[1], buf, sizeof buf)) > 0) server_reader.feed(std::string_view(buf, n));
    std::vector<Message> out;
    Message m;
    while (server_reader.next(m)) out.push_back(m);
    return out;
  }
};
}  // namespace

TEST(Session, OpensReportsStateAndEvents) {
  Rig rig;
  Session s(rig.loop, rig.logger, rig.fds[0], 3, nullptr, nullptr);
  StateReport st;
  st.status = NodeStatus::kStarting;
  st.start_phase = 2;
  s.report_state(st);
  Event e;
  e.category = Category::kStartup;
  e.threshold = 1;
  e.text = "Start initiated (version 5.0.67)";
  s.report_event(e);
  auto got = rig.exchange();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].head, "node session");
  EXPECT_EQ(got[0].get_int("nodeid"), 3);
  EXPECT_EQ(got[1].get_or("status", ""), "STARTING");
  EXPECT_EQ(got[1].get_int("startphase"), 2);
  EXPECT_EQ(got[2].get_or("category", ""), "STARTUP");
  EXPECT_EQ(got[2].get_or("text", ""), "Start initiated (version 5.0.67)");
}

TEST(Session, AnswersCommandsWithTheHandlersReply) {
  Rig rig;
  std::string seen;
  Session s(rig.loop, rig.logger, rig.fds[0], 3,
            [&](const std::string& cmd, const Message& req) {
              seen = cmd + "/" + req.get_or("nostart", "");
              Message r;
              if (cmd == "report memoryusage") r.add("data_used", 177).add("data_total", 3200);
              return r;
            },
            nullptr);
  rig.exchange();
  rig.server_send(Message("node command").add("seq", 7).add("command", "restart").add("nostart", 1));
  rig.server_send(Message("node command").add("seq", 8).add("command", "report memoryusage"));
  auto got = rig.exchange();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(seen, "report memoryusage/");
  EXPECT_EQ(got[0].head, "node command reply");
  EXPECT_EQ(got[0].get_int("seq"), 7);
  EXPECT_EQ(got[0].get_or("result", ""), "Ok");
  EXPECT_EQ(got[1].get_int("data_used"), 177);
}

TEST(Session, ArbitrationAnswerReachesTheCallback) {
  Rig rig;
  Session s(rig.loop, rig.logger, rig.fds[0], 3, nullptr, nullptr);
  int answer = -1;
  s.arbitrate(42, [&](bool yes, const std::string&) { answer = yes; });
  auto got = rig.exchange();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].head, "arbitrate");
  EXPECT_EQ(got[1].get_int("ticket"), 42);
  rig.server_send(Message("arbitrate reply").add("seq", got[1].get_or("seq", "")).add("granted", 1).add("result", "Ok"));
  rig.exchange();
  EXPECT_EQ(answer, 1);
}

TEST(Session, ServerClosingOrGarbageEndsTheSession) {
  Rig rig;
  std::string why;
  int answer = -1;
  Session s(rig.loop, rig.logger, rig.fds[0], 3, nullptr, [&](const std::string& w) { why = w; });
  s.arbitrate(1, [&](bool yes, const std::string&) { answer = yes; });
  rig.exchange();
  std::string junk("\x01\x02garbage\n", 10);
  ASSERT_EQ(write(rig.fds[1], junk.data(), junk.size()), 10);
  rig.exchange();
  EXPECT_EQ(why, "bad message from management server: control character in a protocol line");
  EXPECT_EQ(answer, 0);
  EXPECT_FALSE(s.open());
}
