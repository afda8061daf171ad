// tests/unit/director/reconcile/diff_test.cc: ops for each kind of change,
// their order, and none for equal tables.
#include "director/reconcile/diff.h"

#include <gtest/gtest.h>

namespace halb::director::reconcile {
namespace {

using backend::Dest;
using backend::Service;
using backend::Table;

Dest dest(const char* addr, int weight, backend::Forward f = backend::Forward::route) {
  Dest d;
  d.addr = *IpAddress::parse(addr);
  d.port = 3306;
  d.forward = f;
  d.weight = weight;
  return d;
}

Service service(const char* addr, std::vector<Dest> dests, const char* sched = "wrr") {
  Service s;
  s.key.addr = *IpAddress::parse(addr);
  s.key.port = 3306;
  s.scheduler = sched;
  s.dests = std::move(dests);
  return s;
}

std::vector<std::string> described(const std::vector<Op>& ops) {
  std::vector<std::string> out;
  for (const auto& op : ops) out.push_back(describe(op));
  return out;
}

using Lines = std::vector<std::string>;

const Table kSeedUp{{service("192.168.131.105", {dest("192.168.131.77", 1), dest("192.168.131.101", 1)})}};

TEST(Diff, EqualTablesGiveNoOps) {
  EXPECT_TRUE(diff(kSeedUp, kSeedUp).empty());
  EXPECT_TRUE(diff({}, {}).empty());
  // Order does not matter, nor the kernel's internal HASHED flag.
  Table shuffled{{service("192.168.131.105", {dest("192.168.131.101", 1), dest("192.168.131.77", 1)})}};
  shuffled.services[0].flags = backend::kSvcHashed;
  EXPECT_TRUE(diff(shuffled, kSeedUp).empty());
}

TEST(Diff, EmptyToSeed) {
  EXPECT_EQ(described(diff({}, kSeedUp)),
            (Lines{"add service TCP 192.168.131.105:3306 wrr",
                   "add dest 192.168.131.77:3306 to TCP 192.168.131.105:3306 (Route, weight 1)",
                   "add dest 192.168.131.101:3306 to TCP 192.168.131.105:3306 (Route, weight 1)"}));
}

TEST(Diff, SeedToEmptyDeletesTheServiceOnly) {
  EXPECT_EQ(described(diff(kSeedUp, {})), (Lines{"delete service TCP 192.168.131.105:3306"}));
}

TEST(Diff, QuiesceAndRestore) {
  Table q{{service("192.168.131.105", {dest("192.168.131.77", 0), dest("192.168.131.101", 1)})}};
  EXPECT_EQ(described(diff(kSeedUp, q)),
            (Lines{"edit dest 192.168.131.77:3306 in TCP 192.168.131.105:3306 (Route, weight 0)"}));
  EXPECT_EQ(described(diff(q, kSeedUp)),
            (Lines{"edit dest 192.168.131.77:3306 in TCP 192.168.131.105:3306 (Route, weight 1)"}));
}

TEST(Diff, ForwardAndThresholdChangesAreEdits) {
  Table t = kSeedUp;
  t.services[0].dests[0].forward = backend::Forward::masq;
  t.services[0].dests[1].u_threshold = 100;
  auto ops = diff(kSeedUp, t);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].kind, OpKind::edit_dest);
  EXPECT_EQ(ops[1].kind, OpKind::edit_dest);
}

TEST(Diff, FallbackAddedBeforeRealsGoAndDeletedAfterTheyReturn) {
  Table none_up{{service("192.168.131.105", {dest("127.0.0.1", 1)})}};
  EXPECT_EQ(described(diff(kSeedUp, none_up)),
            (Lines{"add dest 127.0.0.1:3306 to TCP 192.168.131.105:3306 (Route, weight 1)",
                   "delete dest 192.168.131.77:3306 from TCP 192.168.131.105:3306",
                   "delete dest 192.168.131.101:3306 from TCP 192.168.131.105:3306"}));
  Table one_up{{service("192.168.131.105", {dest("192.168.131.77", 1)})}};
  EXPECT_EQ(described(diff(none_up, one_up)),
            (Lines{"add dest 192.168.131.77:3306 to TCP 192.168.131.105:3306 (Route, weight 1)",
                   "delete dest 127.0.0.1:3306 from TCP 192.168.131.105:3306"}));
}

TEST(Diff, ServiceAttributeChangeIsAnEdit) {
  Table t = kSeedUp;
  t.services[0].scheduler = "wlc";
  EXPECT_EQ(described(diff(kSeedUp, t)), (Lines{"edit service TCP 192.168.131.105:3306 wlc"}));
  t = kSeedUp;
  t.services[0].flags = backend::kSvcPersistent;
  t.services[0].timeout = 300;
  auto ops = diff(kSeedUp, t);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, OpKind::edit_service);
  EXPECT_EQ(ops[0].service.timeout, 300u);
  EXPECT_TRUE(ops[0].service.dests.empty());
}

TEST(Diff, DeterministicOrderAcrossServices) {
  Table cur{{service("10.0.0.3", {dest("10.0.1.1", 1)}), service("10.0.0.1", {dest("10.0.1.1", 1)})}};
  Table want{{service("10.0.0.2", {dest("10.0.1.2", 1)}), service("10.0.0.1", {dest("10.0.1.2", 2)})}};
  EXPECT_EQ(described(diff(cur, want)),
            (Lines{"add dest 10.0.1.2:3306 to TCP 10.0.0.1:3306 (Route, weight 2)",
                   "delete dest 10.0.1.1:3306 from TCP 10.0.0.1:3306",
                   "add service TCP 10.0.0.2:3306 wrr",
                   "add dest 10.0.1.2:3306 to TCP 10.0.0.2:3306 (Route, weight 1)",
                   "delete service TCP 10.0.0.3:3306"}));
}

}  // namespace
}  // namespace halb::director::reconcile
