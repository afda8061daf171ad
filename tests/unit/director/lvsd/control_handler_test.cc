// tests/unit/director/lvsd/control_handler_test.cc: the control protocol:
// JSON in, table calls, JSON out with IPVS's errno; bad input never throws.
#include "director/lvsd/control_handler.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "director/lvsd/protocol.h"

namespace halb::director::lvsd {
namespace {

using Json = nlohmann::json;

struct ControlHandlerTest : ::testing::Test {
  SharedTable shared;
  int changed = 0;
  ControlHandler h{shared, [] { return 1000.0; }, [this] { ++changed; }};
  Json svc = {{"protocol", "tcp"}, {"addr", "10.0.0.1"}, {"port", 80}};
};

TEST_F(ControlHandlerTest, AddListDeleteAndNotifyWorkersOnlyForServiceSetChanges) {
  Json add = {{"cmd", "add-service"}, {"service", svc}};
  add["service"]["scheduler"] = "wrr";
  EXPECT_EQ(h.handle(add)["ok"], true);
  EXPECT_EQ(changed, 1);
  Json d = {{"addr", "10.0.0.2"}, {"port", 8080}, {"weight", 3}, {"forward", "route"}, {"u_threshold", 10}};
  EXPECT_EQ(h.handle({{"cmd", "add-dest"}, {"service", svc}, {"dest", d}})["ok"], true);
  EXPECT_EQ(changed, 1);
  Json list = h.handle({{"cmd", "get-services"}});
  ASSERT_EQ(list["services"].size(), 1u);
  auto st = protocol::status_from_json(list["services"][0]);
  EXPECT_EQ(st.service.scheduler, "wrr");
  ASSERT_EQ(st.dests.size(), 1u);
  EXPECT_EQ(st.dests[0].dest.weight, 3);
  EXPECT_EQ(st.dests[0].dest.forward, backend::Forward::route);
  EXPECT_EQ(st.dests[0].dest.u_threshold, 10u);
  Json again = h.handle(add);
  EXPECT_EQ(again["ok"], false);
  EXPECT_EQ(again["errno"], EEXIST);
  EXPECT_EQ(again["error"], "Service already exists");
  EXPECT_EQ(h.handle({{"cmd", "del-service"}, {"service", svc}})["ok"], true);
  EXPECT_EQ(changed, 2);
  EXPECT_EQ(h.handle({{"cmd", "del-service"}, {"service", svc}})["errno"], ESRCH);
}

TEST_F(ControlHandlerTest, BadRequestsAreEinvalReplies) {
  for (Json bad : {Json::array(), Json{{"cmd", 5}}, Json{{"nocmd", 1}}, Json{{"cmd", "frobnicate"}},
                   Json{{"cmd", "add-service"}},
                   Json{{"cmd", "add-service"}, {"service", {{"protocol", "sctp"}, {"addr", "1.1.1.1"}, {"port", 1}}}},
                   Json{{"cmd", "add-service"}, {"service", {{"addr", "not an ip"}, {"port", 1}}}},
                   Json{{"cmd", "add-service"}, {"service", {{"addr", "1.1.1.1"}, {"port", 70000}}}},
                   Json{{"cmd", "add-service"}, {"service", {{"addr", "1.1.1.1"}, {"port", "80"}}}},
                   Json{{"cmd", "add-dest"}, {"service", svc}},
                   Json{{"cmd", "set-timeouts"}, {"timeouts", {{"tcp", -1}}}},
                   Json{{"cmd", "stop-daemon"}, {"role", "primary"}}}) {
    Json r = h.handle(bad);
    EXPECT_EQ(r["ok"], false) << bad;
    EXPECT_EQ(r["errno"], EINVAL) << bad;
  }
}

TEST_F(ControlHandlerTest, InfoTimeoutsDaemonsAndConnections) {
  EXPECT_EQ(h.handle({{"cmd", "get-info"}})["info"]["version"], 0x010201);
  EXPECT_EQ(h.handle({{"cmd", "set-timeouts"}, {"timeouts", {{"udp", 30}}}})["ok"], true);
  EXPECT_EQ(h.handle({{"cmd", "get-timeouts"}})["timeouts"], (Json{{"tcp", 900}, {"tcp_fin", 120}, {"udp", 30}}));
  EXPECT_EQ(h.handle({{"cmd", "start-daemon"}, {"daemon", {{"role", "master"}, {"mcast_ifn", "eth0"}}}})["ok"], true);
  auto ds = h.handle({{"cmd", "get-daemons"}})["daemons"];
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0]["group"], "224.0.0.81");
  EXPECT_EQ(h.handle({{"cmd", "stop-daemon"}, {"role", "master"}})["ok"], true);
  EXPECT_EQ(h.handle({{"cmd", "get-connections"}})["connections"], Json::array());
}

TEST(Protocol, ServiceRoundTripsThroughJson) {
  backend::Service s;
  s.key = {backend::Protocol::udp, Family::v6, 0, *IpAddress::parse("2001:db8::1"), 53};
  s.scheduler = "sh";
  s.flags = backend::kSvcPersistent | backend::kSvcSched1;
  s.timeout = 360;
  s.netmask = 64;
  s.dests = {backend::Dest{*IpAddress::parse("2001:db8::2"), 5353, backend::Forward::tunnel, 7, 9, 3}};
  auto back = protocol::service_from_json(protocol::to_json(s));
  EXPECT_TRUE(backend::same_attributes(back, s));
  EXPECT_EQ(back.dests, s.dests);
  backend::Service mark;
  // An IPv6 fwmark key carries an IPv6 zero address, as reconcile::service_key
  // and the kernel backend build it, so keys from every source compare equal.
  IpAddress zero6;
  zero6.family = Family::v6;
  mark.key = {backend::Protocol::fwmark, Family::v6, 9, zero6, 0};
  auto mb = protocol::service_from_json(protocol::to_json(mark));
  EXPECT_EQ(mb.key, mark.key);
}

}  // namespace
}  // namespace halb::director::lvsd
