// The text protocol: framing, garbage, base64, status and config payloads.
#include <gtest/gtest.h>

#include <random>

#include "cluster/mgmapi/config_codec.h"
#include "cluster/mgmapi/node_status.h"
#include "cluster/mgmapi/protocol.h"

using namespace halb::cluster;
using namespace halb::cluster::mgmapi;

TEST(Protocol, ParsesRequestsAcrossArbitraryChunks) {
  std::string wire = "get nodeid\r\nnodetype: 0\nnodeid: 3\nuser: mysqld\n\n\nget status\n\n";
  MessageReader r;
  std::vector<Message> got;
  for (char c : wire) {
    r.feed(std::string_view(&c, 1));
    Message m;
    while (r.next(m)) got.push_back(m);
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].head, "get nodeid");
  EXPECT_EQ(got[0].get_int("nodeid"), 3);
  EXPECT_EQ(got[0].get_or("USER", ""), "mysqld");
  EXPECT_EQ(got[1].head, "get status");
  EXPECT_FALSE(r.failed());
}

TEST(Protocol, FormatRoundTripsWithABody) {
  Message m("get config reply");
  m.add("result", "Ok").add("Content-Length", 5);
  m.body = "abcde";
  MessageReader r;
  r.feed(format(m) + "\nnext\n\n");
  Message out;
  ASSERT_TRUE(r.next(out));
  EXPECT_EQ(out.body, "abcde");
  ASSERT_TRUE(r.next(out));
  EXPECT_EQ(out.head, "next");
}

TEST(Protocol, GarbageIsAnErrorWithAReason) {
  struct Case {
    std::string input, error;
  } cases[] = {
      {std::string("get status\n\x01\x02\n\n", 16), "control character in a protocol line"},
      {"get status\nno colon here\n\n", "expected 'name: value', got 'no colon here'"},
      {std::string(2000, 'A'), "line longer than 1024 bytes"},
      {"x\nContent-Length: -4\n\n", "bad Content-Length '-4'"},
      {"x\nContent-Length: 999999999999\n\n", "bad Content-Length '999999999999'"},
  };
  for (auto& c : cases) {
    MessageReader r;
    r.feed(c.input);
    Message m;
    EXPECT_FALSE(r.next(m));
    EXPECT_TRUE(r.failed());
    EXPECT_EQ(r.error(), c.error);
  }
}

// Found by tests/fuzz/fuzz_inputs: a name of blanks was kept as an empty
// field name, which format() writes as ": x", a line the reader refuses.
TEST(Protocol, AFieldNameOfBlanksIsNoName) {
  for (std::string line : {" :dneso2", "\t : x"}) {
    MessageReader r;
    r.feed("node status\n" + line + "\n\n");
    Message m;
    EXPECT_FALSE(r.next(m));
    EXPECT_EQ(r.error(), "expected 'name: value', got '" + line + "'");
  }
}

TEST(Protocol, FuzzedInputNeverCrashes) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string junk(rng() % 300, '\0');
    for (auto& c : junk) c = static_cast<char>(rng() % 4 == 0 ? '\n' : rng() % 3 == 0 ? ':' : rng());
    MessageReader r;
    r.feed(junk);
    Message m;
    int n = 0;
    while (r.next(m) && n < 100) ++n;
  }
  SUCCEED();
}

TEST(Base64, RoundTripsAndRejectsBadText) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "[NDBD]\nNoOfReplicas=2\n"})
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  EXPECT_EQ(base64_encode("Man"), "TWFu");
  EXPECT_EQ(base64_encode("Ma"), "TWE=");
  EXPECT_FALSE(base64_decode("TW=u"));
  EXPECT_FALSE(base64_decode("TWF"));
  EXPECT_FALSE(base64_decode("TW!u"));
}

TEST(Version, PackedAsNdbDoes) {
  EXPECT_EQ(kProtocolVersion, 327747u);
  EXPECT_EQ(version_string(kProtocolVersion), "5.0.67");
}

TEST(StatusBlock, EncodesAndDecodes) {
  std::vector<NodeState> in(2);
  in[0].node_id = 3;
  in[0].type = NodeType::kData;
  in[0].status = NodeStatus::kStarting;
  in[0].start_phase = 4;
  in[0].version = kProtocolVersion;
  in[0].node_group = 0;
  in[0].address = "127.0.0.1";
  in[1].node_id = 1;
  in[1].type = NodeType::kMgm;
  in[1].status = NodeStatus::kStarted;
  in[1].config_host = "10.0.0.9";
  Message m = encode_status(in);
  EXPECT_EQ(m.get_or("node.3.status", ""), "STARTING");
  EXPECT_EQ(m.get_or("node.1.type", ""), "MGM");
  std::string err;
  auto out = decode_status(m, err);
  ASSERT_TRUE(out) << err;
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].node_id, 1u);
  EXPECT_EQ((*out)[0].config_host, "10.0.0.9");
  EXPECT_EQ((*out)[1].start_phase, 4u);
  EXPECT_EQ((*out)[1].address, "127.0.0.1");
  Message bad("node status");
  bad.add("node.3.status", "DANCING");
  EXPECT_FALSE(decode_status(bad, err));
  EXPECT_EQ(err, "bad node status 'DANCING'");
}

TEST(ConfigPayload, CarriesConfigIniText) {
  std::string ini = "[NDBD DEFAULT]\nNoOfReplicas=1\n[NDB_MGMD]\n[NDBD]\n[MYSQLD]\n";
  Message m = encode_config(ini);
  MessageReader r;
  r.feed(format(m));
  Message got;
  ASSERT_TRUE(r.next(got));
  std::string err;
  auto cfg = decode_config(got, err);
  ASSERT_TRUE(cfg) << err;
  EXPECT_EQ(cfg->data_nodes.size(), 1u);
  EXPECT_EQ(cfg->mgm_nodes[0].node_id, 1u);
  got.body = "%%%";
  EXPECT_FALSE(decode_config(got, err));
  EXPECT_EQ(err, "configuration payload is not valid base64");
}
