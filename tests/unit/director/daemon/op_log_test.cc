// tests/unit/director/daemon/op_log_test.cc: ldirectord's words per op.
#include "director/daemon/op_log.h"

#include <gtest/gtest.h>

#include "director/config/ldirectord_cf.h"
#include "director/reconcile/desired.h"

namespace halb::director::daemon {
namespace {

config::Config parse(const std::string& text) {
  config::ReadOptions o;
  o.hostname = "ndb1";
  o.resolver.hosts_path = "/dev/null";
  return config::parse_ldirectord_cf(text, "test.cf", o);
}

reconcile::Op op(reconcile::OpKind kind, const config::Config& c, const std::string& addr, uint16_t port, int w) {
  reconcile::Op o{kind, {}, {}};
  o.service.key = reconcile::service_key(c.virtuals[0]);
  o.dest.addr = *IpAddress::parse(addr);
  o.dest.port = port;
  o.dest.weight = w;
  return o;
}

TEST(OpLog, LdirectordWords) {
  auto c = parse(
      "virtual=192.168.131.105:3306\n"
      "\treal=192.168.131.77:3307 gate 3\n"
      "\treal=192.168.131.101 masq 2\n"
      "\tfallback=127.0.0.1:3306\n");
  using K = reconcile::OpKind;
  EXPECT_EQ(op_log_line(op(K::add_service, c, "0.0.0.0", 0, 0), c, Phase::start),
            "Added virtual server: 192.168.131.105:3306");
  EXPECT_EQ(op_log_line(op(K::edit_service, c, "0.0.0.0", 0, 0), c, Phase::start),
            "Changed virtual server: 192.168.131.105:3306");
  EXPECT_EQ(op_log_line(op(K::del_service, c, "0.0.0.0", 0, 0), c, Phase::stop),
            "Purged virtual server (stop): 192.168.131.105:3306");
  EXPECT_EQ(op_log_line(op(K::add_dest, c, "192.168.131.101", 3306, 2), c, Phase::running),
            "Added real server: 192.168.131.101:3306 (192.168.131.105:3306) (Weight set to 2)");
  EXPECT_EQ(op_log_line(op(K::edit_dest, c, "192.168.131.101", 3306, 2), c, Phase::running),
            "Restored real server: 192.168.131.101:3306 (192.168.131.105:3306) (Weight set to 2)");
  // gate forced 3307 to the virtual's port: ldirectord says "mapped from".
  EXPECT_EQ(op_log_line(op(K::edit_dest, c, "192.168.131.77", 3306, 0), c, Phase::running),
            "Quiescent real server: 192.168.131.77:3306 mapped from 192.168.131.77:3307 (192.168.131.105:3306) "
            "(Weight set to 0)");
  EXPECT_EQ(op_log_line(op(K::del_dest, c, "192.168.131.101", 3306, 2), c, Phase::running),
            "Deleted real server: 192.168.131.101:3306 (192.168.131.105:3306)");
  EXPECT_EQ(op_log_line(op(K::del_dest, c, "192.168.131.101", 3306, 2), c, Phase::stop),
            "Purged real server (stop): 192.168.131.101:3306 (192.168.131.105:3306)");
  EXPECT_EQ(op_log_line(op(K::add_dest, c, "127.0.0.1", 3306, 1), c, Phase::running),
            "Added fallback server: 127.0.0.1:3306 (192.168.131.105:3306) (Weight set to 1)");
  EXPECT_EQ(op_log_line(op(K::del_dest, c, "127.0.0.1", 3306, 1), c, Phase::running),
            "Deleted fallback server: 127.0.0.1:3306 (192.168.131.105:3306)");
}

TEST(OpLog, FwmarkVirtualIsNamedByItsMark) {
  auto c = parse("virtual=7\n\treal=10.0.0.2 gate\n");
  reconcile::Op o{reconcile::OpKind::add_service, {}, {}};
  o.service.key = reconcile::service_key(c.virtuals[0]);
  EXPECT_EQ(op_log_line(o, c, Phase::start), "Added virtual server: 7");
}

}  // namespace
}  // namespace halb::director::daemon
