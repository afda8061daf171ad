// Engine messages on the wire: every type round-trips, and truncated,
// flipped or forged payloads are refused without crashing.
#include <gtest/gtest.h>

#include <random>

#include "cluster/ndbd/wire/buffer.h"
#include "cluster/ndbd/wire/engine_codec.h"

using namespace halb::cluster;
using namespace halb::cluster::engine;
using halb::cluster::wire::decode_engine_message;
using halb::cluster::wire::encode_engine_message;
using halb::cluster::wire::engine_message_type;

namespace {

Row sample_row() { return Row{int64_t{-7}, uint64_t{1} << 63, 2.5, std::string("bytes\0x", 7), std::monostate{}}; }

ScanSpec sample_spec() {
  ScanSpec s;
  s.index_id = 3;
  s.low = {int64_t{10}};
  s.high = {int64_t{20}, std::string("z")};
  s.low_inclusive = false;
  s.descending = true;
  s.filter = Filter::all_of({Filter::compare(Filter::Op::kGe, 1, int64_t{5}),
                             Filter::negate(Filter::compare(Filter::Op::kLikePrefix, 2, std::string("ab"))),
                             Filter::any_of({Filter{Filter::Op::kIsNull, 4, {}, {}}})});
  s.batch_rows = 17;
  s.columns = {0, 2};
  return s;
}

OpResult sample_result() {
  OpResult r;
  r.trans = make_trans_id(2, 99);
  r.op_id = 4;
  r.error = 0;
  r.row = sample_row();
  r.deleted = true;
  return r;
}

// One filled-in instance of every message type.
std::vector<Message> every_message() {
  std::vector<Message> out;
  ApiExecuteReq exec;
  exec.api_node = 50;
  exec.request = 7;
  exec.trans = make_trans_id(1, 3);
  ApiOp op;
  op.table_id = 2;
  op.type = OpType::kWrite;
  op.lock = LockMode::kExclusive;
  op.key = {int64_t{1}, std::string("k")};
  op.set = {{2, 1.25}, {3, std::monostate{}}};
  exec.ops.push_back(op);
  op.type = OpType::kRead;
  op.unique_index = 5;
  exec.ops.push_back(op);
  exec.exec = ExecType::kCommit;
  out.push_back(exec);
  out.push_back(ApiExecuteConf{7, make_trans_id(1, 3), TransState::kAborted, 630, {sample_result(), OpResult{}}});
  out.push_back(ApiScanReq{50, 9, 2, sample_spec()});
  out.push_back(ApiScanNextReq{50, 9, true});
  out.push_back(ApiScanBatch{9, {sample_row(), sample_row()}, true, 0});
  LqhKeyReq lqh;
  lqh.op = KeyOp{make_trans_id(1, 3), 1, OpType::kUpdate, LockMode::kExclusive, {uint64_t{4}}, {{1, int64_t{2}}}};
  lqh.table_id = 2;
  lqh.fragment = 1;
  lqh.chain = {2, 3};
  lqh.chain_pos = 1;
  out.push_back(lqh);
  out.push_back(LqhKeyConf{sample_result()});
  OpResult bad;
  bad.error = 626;
  out.push_back(LqhKeyRef{bad});
  out.push_back(CommitReq{make_trans_id(3, 1), 77});
  out.push_back(CommitConf{5});
  out.push_back(CompleteReq{6});
  out.push_back(AbortReq{7});
  out.push_back(AbortConf{8});
  out.push_back(ScanFragReq{0x1234567890ull, 2, 1, sample_spec(), "cursor"});
  ScanFragConf sfc;
  sfc.scan_ref = 42;
  sfc.fragment = 1;
  sfc.batch.rows = {sample_row()};
  sfc.batch.cursor = std::string("c\0d", 3);
  sfc.batch.done = false;
  sfc.error = 0;
  out.push_back(sfc);
  out.push_back(TakeoverReq{3});
  out.push_back(TakeoverConf{3, {{make_trans_id(3, 1), true}, {make_trans_id(3, 2), false}}});
  out.push_back(CopyFragReq{2, 0, "from", 64});
  CopyFragConf cfc;
  cfc.table_id = 2;
  cfc.fragment = 0;
  cfc.batch.rows = {CopiedRow{sample_row(), 12}};
  cfc.batch.cursor = "to";
  cfc.batch.done = true;
  out.push_back(cfc);
  out.push_back(CommitFragReq{make_trans_id(1, 9), 13, 1, 2, 1, {3, 2}, 0});
  out.push_back(CommitFragConf{make_trans_id(1, 9), 2, 1});
  out.push_back(WaitGraphReport{{{make_trans_id(2, 5), make_trans_id(3, 8)}, {make_trans_id(3, 8), make_trans_id(2, 5)}}});
  return out;
}

}  // namespace

TEST(EngineCodec, EveryMessageTypeIsCovered) {
  auto all = every_message();
  ASSERT_EQ(all.size(), std::variant_size_v<Message>);
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].index(), i);
}

TEST(EngineCodec, EveryMessageRoundTrips) {
  for (auto& m : every_message()) {
    std::string bytes = encode_engine_message(m);
    std::string error;
    auto back = decode_engine_message(engine_message_type(m), bytes, error);
    ASSERT_TRUE(back) << wire::engine_message_name(engine_message_type(m)) << ": " << error;
    EXPECT_EQ(back->index(), m.index());
    EXPECT_EQ(encode_engine_message(*back), bytes) << wire::engine_message_name(engine_message_type(m));
  }
}

TEST(EngineCodec, FieldsSurviveTheTrip) {
  auto all = every_message();
  std::string error;
  auto back = decode_engine_message(256, encode_engine_message(all[0]), error);
  ASSERT_TRUE(back);
  auto& req = std::get<ApiExecuteReq>(*back);
  EXPECT_EQ(req.api_node, 50u);
  ASSERT_EQ(req.ops.size(), 2u);
  EXPECT_EQ(std::get<std::string>(req.ops[0].key[1]), "k");
  EXPECT_EQ(std::get<double>(req.ops[0].set[0].second), 1.25);
  EXPECT_TRUE(is_null(req.ops[0].set[1].second));
  EXPECT_EQ(req.ops[1].unique_index, 5u);
  EXPECT_EQ(req.exec, ExecType::kCommit);

  back = decode_engine_message(engine_message_type(all[2]), encode_engine_message(all[2]), error);
  ASSERT_TRUE(back);
  auto& spec = std::get<ApiScanReq>(*back).spec;
  EXPECT_EQ(spec.index_id, 3u);
  EXPECT_FALSE(spec.low_inclusive);
  EXPECT_TRUE(spec.descending);
  ASSERT_EQ(spec.filter.children.size(), 3u);
  EXPECT_EQ(spec.filter.children[1].op, Filter::Op::kNot);
  EXPECT_EQ(std::get<std::string>(spec.filter.children[1].children[0].value), "ab");
  EXPECT_EQ(spec.columns, (std::vector<uint32_t>{0, 2}));

  back = decode_engine_message(engine_message_type(all[4]), encode_engine_message(all[4]), error);
  ASSERT_TRUE(back);
  auto& row = std::get<ApiScanBatch>(*back).rows[0];
  EXPECT_EQ(std::get<int64_t>(row[0]), -7);
  EXPECT_EQ(std::get<uint64_t>(row[1]), uint64_t{1} << 63);
  EXPECT_EQ(std::get<std::string>(row[3]), std::string("bytes\0x", 7));
}

TEST(EngineCodec, RegistryAcceptsEveryTypeOnce) {
  transport::MessageRegistry reg;
  wire::register_engine_messages(reg);
  for (auto& m : every_message()) {
    auto type = engine_message_type(m);
    ASSERT_NE(reg.find(type), nullptr);
    // One layout per type: 2 where a ScanSpec travels (it names columns), else 1.
    const bool scan_spec = std::holds_alternative<ApiScanReq>(m) || std::holds_alternative<ScanFragReq>(m);
    const uint16_t spoken = scan_spec ? 2 : 1;
    EXPECT_EQ(wire::engine_message_version(type), spoken);
    EXPECT_FALSE(reg.check(type, spoken, 1000).has_value());
    EXPECT_TRUE(reg.check(type, spoken + 1, 1000).has_value());  // a layout this build does not speak
    EXPECT_TRUE(reg.check(type, spoken - 1, 1000).has_value());
  }
  EXPECT_THROW(wire::register_engine_messages(reg), std::invalid_argument);
}

TEST(EngineCodec, EveryTruncationIsRefused) {
  for (auto& m : every_message()) {
    std::string bytes = encode_engine_message(m);
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::string error;
      EXPECT_FALSE(decode_engine_message(engine_message_type(m), std::string_view(bytes).substr(0, n), error))
          << wire::engine_message_name(engine_message_type(m)) << " cut to " << n;
      EXPECT_FALSE(error.empty());
    }
  }
}

TEST(EngineCodec, TrailingBytesAndUnknownTypesAreRefused) {
  std::string error;
  EXPECT_FALSE(decode_engine_message(264, encode_engine_message(CommitReq{1, 2}) + "x", error));
  EXPECT_NE(error.find("follow"), std::string::npos) << error;
  EXPECT_FALSE(decode_engine_message(255, "", error));
  EXPECT_FALSE(decode_engine_message(256 + std::variant_size_v<Message>, "", error));
}

TEST(EngineCodec, ForgedCountsAndTagsAreRefused) {
  std::string error;
  wire::Writer w;  // ApiScanBatch claiming 4 billion rows in a 13-byte payload
  w.u32(1);
  w.u32(0xffffffff);
  w.u8(1);
  w.u32(0);
  EXPECT_FALSE(decode_engine_message(260, w.bytes(), error));
  EXPECT_NE(error.find("count"), std::string::npos) << error;

  wire::Writer v;  // LqhKeyConf whose row holds a value of tag 9
  v.u64(1);
  v.u32(1);
  v.u32(0);
  v.u8(1);
  v.u32(1);
  v.u8(9);
  v.u8(0);
  EXPECT_FALSE(decode_engine_message(262, v.bytes(), error));
  EXPECT_NE(error.find("tag"), std::string::npos) << error;
}

TEST(EngineCodec, DeeplyNestedFilterIsRefused) {
  Filter f = Filter::compare(Filter::Op::kEq, 0, int64_t{1});
  for (int i = 0; i < 1000; ++i) f = Filter::negate(std::move(f));
  ApiScanReq req{1, 1, 1, ScanSpec{}};
  req.spec.filter = std::move(f);
  std::string error;
  EXPECT_FALSE(decode_engine_message(258, encode_engine_message(req), error));
  EXPECT_NE(error.find("nested"), std::string::npos) << error;
}

TEST(EngineCodec, RandomFlipsNeverCrash) {
  std::mt19937 rng(20261123);
  auto all = every_message();
  int decoded = 0;
  for (int round = 0; round < 20000; ++round) {
    auto& m = all[rng() % all.size()];
    std::string bytes = encode_engine_message(m);
    int flips = 1 + rng() % 4;
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] ^= static_cast<char>(1u << (rng() % 8));
    uint16_t type = engine_message_type(m);
    if (rng() % 8 == 0) type = static_cast<uint16_t>(256 + rng() % std::variant_size_v<Message>);
    std::string error;
    if (decode_engine_message(type, bytes, error)) ++decoded;
    else EXPECT_FALSE(error.empty());
  }
  SUCCEED() << decoded << " flipped payloads still decoded";
}

TEST(EngineCodec, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? rng() : rng() % 3);
    std::string error;
    decode_engine_message(static_cast<uint16_t>(256 + rng() % std::variant_size_v<Message>), bytes, error);
  }
}
