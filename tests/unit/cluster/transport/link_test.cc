// Links over a socketpair on a real event loop: handshake, delivery,
// malformed frames, back-pressure and heartbeat death.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>

#include "cluster/transport/link.h"
#include "cluster/transport/local_socket.h"

using namespace halb;
using namespace halb::cluster::transport;

namespace {

struct Pair {
  event::Loop loop{false};
  log::Logger logger;
  MessageRegistry registry;
  int fds[2] = {-1, -1};
  Pair() {
    registry.add({300, 1, 1, "TEST", 1 << 20});
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  }
  LinkOptions options(uint16_t own, uint16_t peer) {
    LinkOptions o;
    o.own_id = own;
    o.peer_id = peer;
    o.registry = &registry;
    o.heartbeat_interval_s = 0.05;
    return o;
  }
  // Runs the loop until pred() or a generous limit; returns pred().
  template <class P>
  bool run_until(P pred, double limit_s = 5) {
    event::Timer stop(loop, [this] { loop.stop(); });
    event::Timer poll(loop, [&] {
      if (pred()) loop.stop();
    });
    stop.start(limit_s);
    poll.start(0.001, 0.001);
    loop.run();
    return pred();
  }
};

}  // namespace

TEST(Link, HandshakeThenMessagesBothWays) {
  Pair p;
  std::vector<std::string> got_a, got_b;
  uint16_t b_saw_peer = 0;
  LinkHandlers ha, hb;
  ha.on_message = [&](const Frame& f) { got_a.push_back(f.payload); };
  hb.accept_peer = [](uint16_t id) { return id == 2; };
  hb.on_up = [&](uint16_t id) { b_saw_peer = id; };
  hb.on_message = [&](const Frame& f) { got_b.push_back(f.payload); };
  Link a(p.loop, p.logger, p.fds[0], p.options(2, 3), ha);
  Link b(p.loop, p.logger, p.fds[1], p.options(3, 0), hb);
  EXPECT_EQ(a.send(300, "queued before up"), Link::SendResult::kOk);
  ASSERT_TRUE(p.run_until([&] { return a.up() && b.up(); }));
  EXPECT_EQ(b_saw_peer, 2);
  EXPECT_EQ(b.send(300, "to a"), Link::SendResult::kOk);
  ASSERT_TRUE(p.run_until([&] { return got_a.size() == 1 && got_b.size() == 1; }));
  EXPECT_EQ(got_b[0], "queued before up");
  EXPECT_EQ(got_a[0], "to a");
}

TEST(Link, BatchedSendsLeaveTogetherBeforeTheLoopSleeps) {
  Pair p;
  std::vector<std::string> got_a;
  LinkHandlers ha, hb;
  ha.on_message = [&](const Frame& f) { got_a.push_back(f.payload); };
  LinkOptions ob = p.options(3, 0);
  ob.batch_sends = true;
  Link a(p.loop, p.logger, p.fds[0], p.options(2, 3), ha);
  Link b(p.loop, p.logger, p.fds[1], ob, hb);
  ASSERT_TRUE(p.run_until([&] { return a.up() && b.up(); }));
  // Sent from inside a callback, the frames wait in the queue until the
  // loop is about to sleep, then arrive in order.
  size_t queued_after_sends = 0, a_queued_after_send = 0;
  event::Timer burst(p.loop, [&] {
    for (const char* m : {"one", "two", "three"}) EXPECT_EQ(b.send(300, m), Link::SendResult::kOk);
    queued_after_sends = b.queued();
    EXPECT_EQ(a.send(300, "unbatched"), Link::SendResult::kOk);
    a_queued_after_send = a.queued();
  });
  burst.start(0);
  ASSERT_TRUE(p.run_until([&] { return got_a.size() == 3; }));
  EXPECT_GT(queued_after_sends, 0u);
  EXPECT_EQ(a_queued_after_send, 0u);  // flushed by send() itself
  EXPECT_EQ(got_a, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(b.queued(), 0u);
}

TEST(Link, ChecksummedLinkDeliversToo) {
  Pair p;
  std::string got;
  LinkHandlers ha, hb;
  hb.on_message = [&](const Frame& f) { got = f.payload; };
  auto oa = p.options(2, 3), ob = p.options(3, 2);
  oa.checksum = ob.checksum = true;
  Link a(p.loop, p.logger, p.fds[0], oa, ha);
  Link b(p.loop, p.logger, p.fds[1], ob, hb);
  a.send(300, "summed");
  ASSERT_TRUE(p.run_until([&] { return got == "summed"; }));
}

TEST(Link, AcceptingSideTakesChecksumFromThePeersSettingsBeforeItsHello) {
  Pair p;
  std::string got_a, got_b;
  LinkHandlers ha, hb;
  ha.on_message = [&](const Frame& f) { got_a = f.payload; };
  hb.on_message = [&](const Frame& f) { got_b = f.payload; };
  hb.peer_options = [&](uint16_t peer) {
    auto o = p.options(3, peer);
    o.checksum = true;
    return std::optional<LinkOptions>(o);
  };
  auto oa = p.options(2, 3);
  oa.checksum = true;  // the dialer refuses any frame without a checksum, HELLO included
  Link a(p.loop, p.logger, p.fds[0], oa, ha);
  Link b(p.loop, p.logger, p.fds[1], p.options(3, 0), hb);
  EXPECT_EQ(b.send(300, "queued on the accepting side"), Link::SendResult::kOk);
  a.send(300, "summed");
  ASSERT_TRUE(p.run_until([&] { return got_a.size() && got_b.size(); }));
  EXPECT_EQ(got_a, "queued on the accepting side");
  EXPECT_EQ(got_b, "summed");
}

TEST(Link, AcceptingSideRefusesAnUnsummedHelloWhenThePairWantsChecksums) {
  Pair p;
  std::string why;
  LinkHandlers ha, hb;
  hb.peer_options = [&](uint16_t peer) {
    auto o = p.options(3, peer);
    o.checksum = true;
    return std::optional<LinkOptions>(o);
  };
  hb.on_closed = [&](const std::string& w) { why = w; };
  Link a(p.loop, p.logger, p.fds[0], p.options(2, 3), ha);
  Link b(p.loop, p.logger, p.fds[1], p.options(3, 0), hb);
  ASSERT_TRUE(p.run_until([&] { return !why.empty(); }));
  EXPECT_EQ(why, "malformed frame: frame without checksum on a checksummed link");
  EXPECT_FALSE(b.up());
}

TEST(Link, RefusedPeerCloses) {
  Pair p;
  std::string why;
  LinkHandlers ha, hb;
  hb.accept_peer = [](uint16_t) { return false; };
  hb.on_closed = [&](const std::string& w) { why = w; };
  Link a(p.loop, p.logger, p.fds[0], p.options(7, 3), ha);
  Link b(p.loop, p.logger, p.fds[1], p.options(3, 0), hb);
  ASSERT_TRUE(p.run_until([&] { return !why.empty(); }));
  EXPECT_EQ(why, "node 7 is not accepted on this link");
}

TEST(Link, GarbageFromThePeerClosesTheLinkWithoutCrashing) {
  Pair p;
  std::string why;
  LinkHandlers hb;
  hb.on_closed = [&](const std::string& w) { why = w; };
  Link b(p.loop, p.logger, p.fds[1], p.options(3, 0), hb);
  std::string junk = "GET / HTTP/1.0\r\n\r\nthis is not a frame at all......";
  ASSERT_EQ(write(p.fds[0], junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
  ASSERT_TRUE(p.run_until([&] { return !why.empty(); }));
  EXPECT_EQ(why, "malformed frame: bad frame magic");
  EXPECT_FALSE(b.open());
  close(p.fds[0]);
}

TEST(Link, FrameBeforeHelloOrUnknownTypeCloses) {
  Pair p;
  std::string why;
  LinkHandlers hb;
  hb.on_closed = [&](const std::string& w) { why = w; };
  Link b(p.loop, p.logger, p.fds[1], p.options(3, 0), hb);
  std::string f = encode_frame(300, 1, 2, 3, "early", false);
  ASSERT_EQ(write(p.fds[0], f.data(), f.size()), static_cast<ssize_t>(f.size()));
  ASSERT_TRUE(p.run_until([&] { return !why.empty(); }));
  EXPECT_EQ(why, "malformed frame: expected HELLO first");
  close(p.fds[0]);
}

TEST(Link, SendBufferMemoryRefusesThenSignalsWritable) {
  Pair p;
  bool writable = false;
  size_t received = 0;
  LinkHandlers ha, hb;
  ha.on_writable = [&] { writable = true; };
  hb.on_message = [&](const Frame& f) { received += f.payload.size(); };
  auto oa = p.options(2, 3);
  oa.send_buffer_memory = 64 * 1024;
  Link a(p.loop, p.logger, p.fds[0], oa, ha);
  Link b(p.loop, p.logger, p.fds[1], p.options(3, 2), hb);
  ASSERT_TRUE(p.run_until([&] { return a.up() && b.up(); }));
  std::string chunk(16 * 1024, 'z');
  size_t sent = 0;
  Link::SendResult r = Link::SendResult::kOk;
  // Fill faster than the peer reads (the loop is not running meanwhile).
  for (int i = 0; i < 10000 && r == Link::SendResult::kOk; ++i) {
    r = a.send(300, chunk);
    if (r == Link::SendResult::kOk) sent += chunk.size();
  }
  EXPECT_EQ(r, Link::SendResult::kFull);
  EXPECT_LE(a.queued(), 64u * 1024 + kHeaderSize + chunk.size());
  ASSERT_TRUE(p.run_until([&] { return writable && received == sent; }));
}

TEST(Link, PeerThatFallsSilentIsDeclaredDeadAfterFourIntervals) {
  Pair p;
  bool dead = false;
  std::vector<int> missed;
  std::string why;
  LinkHandlers ha;
  ha.on_missed = [&](int n) { missed.push_back(n); };
  ha.on_dead = [&] { dead = true; };
  ha.on_closed = [&](const std::string& w) { why = w; };
  // The peer end never speaks: no HELLO, no heartbeats.
  Link a(p.loop, p.logger, p.fds[0], p.options(2, 3), ha);
  ASSERT_TRUE(p.run_until([&] { return dead; }));
  EXPECT_EQ(missed, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(why, "missed 4 heartbeats");
  close(p.fds[1]);
}

TEST(Link, HeartbeatsKeepAnIdleLinkAlive) {
  Pair p;
  bool closed = false;
  LinkHandlers ha, hb;
  ha.on_closed = hb.on_closed = [&](const std::string&) { closed = true; };
  // A roomier interval than the other tests: a loaded build machine must
  // not stall the loop for 4 of them.
  auto oa = p.options(2, 3), ob = p.options(3, 2);
  oa.heartbeat_interval_s = ob.heartbeat_interval_s = 0.1;
  Link a(p.loop, p.logger, p.fds[0], oa, ha);
  Link b(p.loop, p.logger, p.fds[1], ob, hb);
  // 8 intervals of silence from the application.
  p.run_until([] { return false; }, 0.8);
  EXPECT_FALSE(closed);
  EXPECT_TRUE(a.up() && b.up());
}

TEST(Link, AcceptingSideBeatsAtThePairsIntervalOnceItKnowsThePeer) {
  // A data node accepts before it knows whether a data node (DbDb) or an
  // API node (DbApi) is calling, so it watches at the longer interval; once
  // HELLO names the peer it must also beat at the pair's shorter one, or
  // the dialer, expecting beats every 0.1 s, declares it dead.
  Pair p;
  bool closed = false;
  LinkHandlers ha, hb;
  ha.on_closed = hb.on_closed = [&](const std::string&) { closed = true; };
  hb.peer_options = [&](uint16_t peer) {
    auto o = p.options(3, peer);
    o.heartbeat_interval_s = 0.1;
    return std::optional<LinkOptions>(o);
  };
  auto oa = p.options(2, 3), ob = p.options(3, 0);
  oa.heartbeat_interval_s = 0.1;
  ob.heartbeat_interval_s = 0.5;
  Link a(p.loop, p.logger, p.fds[0], oa, ha);
  Link b(p.loop, p.logger, p.fds[1], ob, hb);
  // Eight of the dialer's intervals with no application traffic.
  p.run_until([] { return false; }, 0.8);
  EXPECT_FALSE(closed);
  EXPECT_TRUE(a.up() && b.up());
}

#include "cluster/config/config_ini.h"
#include "cluster/transport/link_config.h"
#include "cluster/transport/listener.h"

TEST(LinkConfig, IntervalsChecksumAndBuffersFromConfigIni) {
  auto cfg = halb::cluster::parse_config_ini(
                 "[NDBD DEFAULT]\nNoOfReplicas=2\nHeartbeatIntervalDbDb=500\nHeartbeatIntervalDbApi=2000\n"
                 "[NDB_MGMD]\n[NDBD]\n[NDBD]\n[MYSQLD]\n[MYSQLD]\n"
                 "[TCP]\nNodeId1=3\nNodeId2=2\nChecksum=Y\nSendBufferMemory=2M\n",
                 "config.ini")
                 .config;
  std::string err;
  auto dd = link_options_for(cfg, 2, 3, err);
  ASSERT_TRUE(dd) << err;
  EXPECT_DOUBLE_EQ(dd->heartbeat_interval_s, 0.5);
  EXPECT_TRUE(dd->checksum);
  EXPECT_EQ(dd->send_buffer_memory, 2u * 1024 * 1024);
  auto api = link_options_for(cfg, 4, 2, err);
  ASSERT_TRUE(api) << err;
  EXPECT_DOUBLE_EQ(api->heartbeat_interval_s, 2.0);
  EXPECT_FALSE(api->checksum);
  EXPECT_EQ(api->send_buffer_memory, 256u * 1024);
  EXPECT_FALSE(link_options_for(cfg, 4, 5, err));
  EXPECT_EQ(err, "no link between nodes 4 and 5: one end must be a data node");
  EXPECT_FALSE(link_options_for(cfg, 2, 40, err));
  EXPECT_EQ(err, "node 40 is not in the configuration");
}

TEST(LinkConfig, TcpDefaultAppliesToPairsWithoutTheirOwnSection) {
  // NDB adds the implicit links after reading the file: [TCP DEFAULT] reaches
  // them even though a DEFAULT section otherwise only shapes later sections.
  auto cfg = halb::cluster::parse_config_ini(
                 "[TCP DEFAULT]\nChecksum=1\nSendBufferMemory=1M\n[NDBD DEFAULT]\nNoOfReplicas=2\n"
                 "[NDB_MGMD]\n[NDBD]\n[NDBD]\n[MYSQLD]\n[TCP]\nNodeId1=2\nNodeId2=3\nChecksum=0\n",
                 "config.ini")
                 .config;
  std::string err;
  auto api = link_options_for(cfg, 4, 2, err);
  ASSERT_TRUE(api) << err;
  EXPECT_TRUE(api->checksum);
  EXPECT_EQ(api->send_buffer_memory, 1024u * 1024);
  auto dd = link_options_for(cfg, 2, 3, err);
  ASSERT_TRUE(dd) << err;
  EXPECT_FALSE(dd->checksum);
}

namespace {

// A link dialled with connect_nonblocking() to a Listener on 127.0.0.1
// carries a message; says which socket family the dialler got and what
// peer address the listener reported.
struct Dialled {
  std::string got;
  bool up = false;
  int family = -1;
  std::string peer;
};
Dialled dial_listener(bool local) {
  Dialled out;
  event::Loop loop(false);
  log::Logger logger;
  MessageRegistry registry;
  registry.add({300, 1, 1, "TEST", 1024});
  std::unique_ptr<Link> server_side;
  LinkOptions so;
  so.own_id = 2;
  so.registry = &registry;
  LinkHandlers sh;
  sh.accept_peer = [](uint16_t id) { return id == 3; };
  sh.on_message = [&](const Frame& f) { out.got = f.payload; };
  Listener l(loop, logger, [&](int fd, const std::string& peer) {
    out.peer = peer;
    server_side = std::make_unique<Link>(loop, logger, fd, so, sh);
  });
  std::string err;
  EXPECT_TRUE(l.listen("127.0.0.1", 0, err, local)) << err;
  EXPECT_EQ(l.local(), local);
  int fd = connect_nonblocking("127.0.0.1", l.port(), err);
  EXPECT_GE(fd, 0) << err;
  if (fd < 0) return out;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  out.family = ss.ss_family;
  LinkOptions co;
  co.own_id = 3;
  co.peer_id = 2;
  co.registry = &registry;
  Link client(loop, logger, fd, co, {});
  client.send(300, "hello");
  event::Timer stop(loop, [&] { loop.stop(); });
  event::Timer poll(loop, [&] {
    if (out.got == "hello") loop.stop();
  });
  stop.start(5);
  poll.start(0.002, 0.002);
  loop.run();
  out.up = client.up();
  return out;
}

}  // namespace

TEST(Listener, AcceptedSocketBecomesALinkOverTcp) {
  Dialled d = dial_listener(false);
  EXPECT_EQ(d.got, "hello");
  EXPECT_TRUE(d.up);
  EXPECT_EQ(d.family, AF_INET);
  EXPECT_EQ(d.peer, "127.0.0.1");
}

TEST(Listener, SameHostNodesLinkOverTheLocalSocket) {
  Dialled d = dial_listener(true);
  EXPECT_EQ(d.got, "hello");
  EXPECT_TRUE(d.up);
  EXPECT_EQ(d.family, AF_UNIX);
  EXPECT_EQ(d.peer, kLocalPeer);
}

TEST(LocalSocket, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.5"}) EXPECT_TRUE(is_loopback_address(a)) << a;
  for (const char* a : {"10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "localhost", ""})
    EXPECT_FALSE(is_loopback_address(a)) << a;
  // Nothing listens for this port: the caller falls back to TCP.
  EXPECT_EQ(connect_local("127.0.0.1", 1), -1);
}

TEST(Dial, ANameThatDoesNotResolveNeitherBlocksNorConnects) {
  // The name service may answer at once (NXDOMAIN) or not for seconds (no
  // DNS server reachable): either way the dialler's loop gets control back
  // within the resolver's first wait, with the host named in the error.
  std::string err;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(connect_nonblocking("no-such-data-node.invalid", 2202, err), -1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_NE(err.find("no-such-data-node.invalid"), std::string::npos) << err;
}
