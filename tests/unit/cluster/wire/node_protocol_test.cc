// halb-ndbd's own messages: round trip, registration, malformed payloads.
#include <gtest/gtest.h>

#include <random>

#include "cluster/ndbd/wire/engine_codec.h"
#include "cluster/ndbd/wire/node_protocol.h"

using namespace halb::cluster;
using namespace halb::cluster::wire;

TEST(NodeProtocol, RoundTrip) {
  ControlMsg m{7, 721, "t1", std::string("\0bytes", 6)};
  std::string error;
  auto back = decode_control(encode_control(m), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->request, 7u);
  EXPECT_EQ(back->error, 721u);
  EXPECT_EQ(back->text, "t1");
  EXPECT_EQ(back->data, m.data);
}

TEST(NodeProtocol, RegistersBesideTheEngineMessages) {
  transport::MessageRegistry reg;
  register_engine_messages(reg);
  register_node_protocol(reg);
  for (uint16_t t : {kNodeHello, kDictInstall, kRestartDone, kApiCreateTable, kApiNodeState}) {
    EXPECT_TRUE(is_node_protocol_type(t));
    EXPECT_FALSE(is_engine_message_type(t));
    ASSERT_NE(reg.find(t), nullptr);
  }
  EXPECT_FALSE(is_node_protocol_type(256));
}

TEST(NodeProtocol, TruncatedForgedAndTrailingAreRefused) {
  std::string bytes = encode_control(ControlMsg{1, 2, "name", "data"});
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::string error;
    EXPECT_FALSE(decode_control(std::string_view(bytes).substr(0, n), error)) << n;
    EXPECT_FALSE(error.empty());
  }
  std::string error;
  EXPECT_FALSE(decode_control(bytes + "!", error));
  std::string forged = bytes;
  forged[8] = '\xff';  // text length far past the end
  EXPECT_FALSE(decode_control(forged, error));
  std::mt19937 rng(3);
  for (int i = 0; i < 5000; ++i) {
    std::string b = bytes;
    b[rng() % b.size()] ^= static_cast<char>(1 << (rng() % 8));
    decode_control(b, error);
  }
}
