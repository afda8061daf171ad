// cluster/ndbd/wire/engine_codec.cc: binary layouts of the engine messages
// (see engine_codec.h).
#include "cluster/ndbd/wire/engine_codec.h"

#include <type_traits>

#include "cluster/ndbd/wire/buffer.h"
#include "cluster/ndbd/wire/value_codec.h"
#include "cluster/transport/frame.h"

namespace halb::cluster::wire {

using namespace engine;

namespace {

const char* const kNames[] = {"API_EXECUTE_REQ", "API_EXECUTE_CONF", "API_SCAN_REQ", "API_SCAN_NEXT_REQ",
                              "API_SCAN_BATCH", "LQHKEYREQ", "LQHKEYCONF", "LQHKEYREF", "COMMITREQ",
                              "COMMITCONF", "COMPLETEREQ", "ABORTREQ", "ABORTCONF", "SCAN_FRAGREQ",
                              "SCAN_FRAGCONF", "TAKE_OVERREQ", "TAKE_OVERCONF", "COPY_FRAGREQ",
                              "COPY_FRAGCONF", "COMMIT_FRAGREQ", "COMMIT_FRAGCONF",
                              "WAIT_GRAPH_REP"};
constexpr size_t kTypes = std::variant_size_v<Message>;
static_assert(sizeof(kNames) / sizeof(kNames[0]) == kTypes, "a name for every engine message");

// ---- values, rows and the shared structs ------------------------------------

// The overloads the structs below are written with; the bytes are value_codec's.
void put(Writer& w, const Value& v) { put_value(w, v); }
void put(Writer& w, const std::vector<Value>& vs) { put_values(w, vs); }

void put(Writer& w, const std::vector<Row>& rows) {
  w.u32(static_cast<uint32_t>(rows.size()));
  for (auto& row : rows) put(w, row);
}
std::vector<Row> get_rows(Reader& r) {
  std::vector<Row> out;
  uint32_t n = r.count(4);
  out.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) out.push_back(get_values(r));
  return out;
}

void put(Writer& w, const ColumnValues& cv) {
  w.u32(static_cast<uint32_t>(cv.size()));
  for (auto& [col, v] : cv) {
    w.u32(col);
    put(w, v);
  }
}
ColumnValues get_column_values(Reader& r) {
  ColumnValues out;
  uint32_t n = r.count(5);
  out.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    uint32_t col = r.u32();
    out.emplace_back(col, get_value(r));
  }
  return out;
}

void put(Writer& w, const std::vector<uint32_t>& ids) {
  w.u32(static_cast<uint32_t>(ids.size()));
  for (uint32_t id : ids) w.u32(id);
}
std::vector<uint32_t> get_ids(Reader& r) {
  std::vector<uint32_t> out;
  uint32_t n = r.count(4);
  out.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) out.push_back(r.u32());
  return out;
}

template <typename E>
E get_enum(Reader& r, uint8_t lo, uint8_t hi, const char* what) {
  uint8_t v = r.u8();
  if (v < lo || v > hi) r.fail(std::string("an unknown ") + what);
  return static_cast<E>(r.ok() ? v : lo);
}

void put(Writer& w, const KeyOp& op) {
  w.u64(op.trans);
  w.u32(op.op_id);
  w.u8(static_cast<uint8_t>(op.type));
  w.u8(static_cast<uint8_t>(op.lock));
  put(w, op.key);
  put(w, op.set);
}
KeyOp get_key_op(Reader& r) {
  KeyOp op;
  op.trans = r.u64();
  op.op_id = r.u32();
  op.type = get_enum<OpType>(r, 1, 5, "operation type");
  op.lock = get_enum<LockMode>(r, 0, 2, "lock mode");
  op.key = get_values(r);
  op.set = get_column_values(r);
  return op;
}

void put(Writer& w, const OpResult& res) {
  w.u64(res.trans);
  w.u32(res.op_id);
  w.u32(res.error);
  w.boolean(res.row.has_value());
  if (res.row) put(w, *res.row);
  w.boolean(res.deleted);
}
OpResult get_result(Reader& r) {
  OpResult res;
  res.trans = r.u64();
  res.op_id = r.u32();
  res.error = r.u32();
  if (r.boolean()) res.row = get_values(r);
  res.deleted = r.boolean();
  return res;
}

void put(Writer& w, const Filter& f) {
  w.u8(static_cast<uint8_t>(f.op));
  w.u32(f.column);
  put(w, f.value);
  w.u32(static_cast<uint32_t>(f.children.size()));
  for (auto& c : f.children) put(w, c);
}
Filter get_filter(Reader& r, uint32_t depth) {
  Filter f;
  if (depth > kMaxFilterDepth) {
    r.fail("the scan filter is nested deeper than " + std::to_string(kMaxFilterDepth));
    return f;
  }
  f.op = get_enum<Filter::Op>(r, 0, static_cast<uint8_t>(Filter::Op::kNot), "filter operator");
  f.column = r.u32();
  f.value = get_value(r);
  uint32_t n = r.count(10);
  for (uint32_t i = 0; i < n && r.ok(); ++i) f.children.push_back(get_filter(r, depth + 1));
  return f;
}

void put(Writer& w, const ScanSpec& s) {
  w.boolean(s.index_id.has_value());
  if (s.index_id) w.u32(*s.index_id);
  put(w, s.low);
  put(w, s.high);
  w.boolean(s.low_inclusive);
  w.boolean(s.high_inclusive);
  w.boolean(s.descending);
  put(w, s.filter);
  w.u32(s.batch_rows);
  w.u32(static_cast<uint32_t>(s.columns.size()));
  for (uint32_t c : s.columns) w.u32(c);
}
ScanSpec get_spec(Reader& r) {
  ScanSpec s;
  if (r.boolean()) s.index_id = r.u32();
  s.low = get_values(r);
  s.high = get_values(r);
  s.low_inclusive = r.boolean();
  s.high_inclusive = r.boolean();
  s.descending = r.boolean();
  s.filter = get_filter(r, 0);
  s.batch_rows = r.u32();
  uint32_t n = r.count(4);
  s.columns.reserve(n);
  for (uint32_t i = 0; i < n && r.ok(); ++i) s.columns.push_back(r.u32());
  return s;
}

// ---- one layout per message -------------------------------------------------

void put(Writer& w, const ApiExecuteReq& m) {
  w.u32(m.api_node);
  w.u32(m.request);
  w.u64(m.trans);
  w.u32(static_cast<uint32_t>(m.ops.size()));
  for (auto& op : m.ops) {
    w.u32(op.table_id);
    w.u8(static_cast<uint8_t>(op.type));
    w.u8(static_cast<uint8_t>(op.lock));
    put(w, op.key);
    put(w, op.set);
    w.boolean(op.unique_index.has_value());
    if (op.unique_index) w.u32(*op.unique_index);
  }
  w.u8(static_cast<uint8_t>(m.exec));
}
void get(Reader& r, ApiExecuteReq& m) {
  m.api_node = r.u32();
  m.request = r.u32();
  m.trans = r.u64();
  uint32_t n = r.count(15);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    ApiOp op;
    op.table_id = r.u32();
    op.type = get_enum<OpType>(r, 1, 5, "operation type");
    op.lock = get_enum<LockMode>(r, 0, 2, "lock mode");
    op.key = get_values(r);
    op.set = get_column_values(r);
    if (r.boolean()) op.unique_index = r.u32();
    m.ops.push_back(std::move(op));
  }
  m.exec = get_enum<ExecType>(r, 0, 2, "execution type");
}

void put(Writer& w, const ApiExecuteConf& m) {
  w.u32(m.request);
  w.u64(m.trans);
  w.u8(static_cast<uint8_t>(m.state));
  w.u32(m.error);
  w.u32(static_cast<uint32_t>(m.results.size()));
  for (auto& res : m.results) put(w, res);
}
void get(Reader& r, ApiExecuteConf& m) {
  m.request = r.u32();
  m.trans = r.u64();
  m.state = get_enum<TransState>(r, 0, 2, "transaction state");
  m.error = r.u32();
  uint32_t n = r.count(18);
  for (uint32_t i = 0; i < n && r.ok(); ++i) m.results.push_back(get_result(r));
}

void put(Writer& w, const ApiScanReq& m) {
  w.u32(m.api_node);
  w.u32(m.scan);
  w.u32(m.table_id);
  put(w, m.spec);
}
void get(Reader& r, ApiScanReq& m) {
  m.api_node = r.u32();
  m.scan = r.u32();
  m.table_id = r.u32();
  m.spec = get_spec(r);
}

void put(Writer& w, const ApiScanNextReq& m) {
  w.u32(m.api_node);
  w.u32(m.scan);
  w.boolean(m.close);
}
void get(Reader& r, ApiScanNextReq& m) {
  m.api_node = r.u32();
  m.scan = r.u32();
  m.close = r.boolean();
}

void put(Writer& w, const ApiScanBatch& m) {
  w.u32(m.scan);
  put(w, m.rows);
  w.boolean(m.done);
  w.u32(m.error);
}
void get(Reader& r, ApiScanBatch& m) {
  m.scan = r.u32();
  m.rows = get_rows(r);
  m.done = r.boolean();
  m.error = r.u32();
}

void put(Writer& w, const LqhKeyReq& m) {
  put(w, m.op);
  w.u32(m.table_id);
  w.u32(m.fragment);
  put(w, m.chain);
  w.u32(m.chain_pos);
}
void get(Reader& r, LqhKeyReq& m) {
  m.op = get_key_op(r);
  m.table_id = r.u32();
  m.fragment = r.u32();
  m.chain = get_ids(r);
  m.chain_pos = r.u32();
}

void put(Writer& w, const LqhKeyConf& m) { put(w, m.result); }
void get(Reader& r, LqhKeyConf& m) { m.result = get_result(r); }
void put(Writer& w, const LqhKeyRef& m) { put(w, m.result); }
void get(Reader& r, LqhKeyRef& m) { m.result = get_result(r); }

void put(Writer& w, const CommitReq& m) {
  w.u64(m.trans);
  w.u64(m.gci);
}
void get(Reader& r, CommitReq& m) {
  m.trans = r.u64();
  m.gci = r.u64();
}
void put(Writer& w, const CommitConf& m) { w.u64(m.trans); }
void get(Reader& r, CommitConf& m) { m.trans = r.u64(); }
void put(Writer& w, const CompleteReq& m) { w.u64(m.trans); }
void get(Reader& r, CompleteReq& m) { m.trans = r.u64(); }
void put(Writer& w, const AbortReq& m) { w.u64(m.trans); }
void get(Reader& r, AbortReq& m) { m.trans = r.u64(); }
void put(Writer& w, const AbortConf& m) { w.u64(m.trans); }
void get(Reader& r, AbortConf& m) { m.trans = r.u64(); }

void put(Writer& w, const ScanFragReq& m) {
  w.u64(m.scan_ref);
  w.u32(m.table_id);
  w.u32(m.fragment);
  put(w, m.spec);
  w.str(m.cursor);
}
void get(Reader& r, ScanFragReq& m) {
  m.scan_ref = r.u64();
  m.table_id = r.u32();
  m.fragment = r.u32();
  m.spec = get_spec(r);
  m.cursor = r.str();
}

void put(Writer& w, const ScanFragConf& m) {
  w.u64(m.scan_ref);
  w.u32(m.fragment);
  put(w, m.batch.rows);
  w.str(m.batch.cursor);
  w.boolean(m.batch.done);
  w.u32(m.batch.error);
  w.u32(m.error);
}
void get(Reader& r, ScanFragConf& m) {
  m.scan_ref = r.u64();
  m.fragment = r.u32();
  m.batch.rows = get_rows(r);
  m.batch.cursor = r.str();
  m.batch.done = r.boolean();
  m.batch.error = r.u32();
  m.error = r.u32();
}

void put(Writer& w, const TakeoverReq& m) { w.u32(m.failed_tc); }
void get(Reader& r, TakeoverReq& m) { m.failed_tc = r.u32(); }

void put(Writer& w, const TakeoverConf& m) {
  w.u32(m.failed_tc);
  w.u32(static_cast<uint32_t>(m.transactions.size()));
  for (auto& t : m.transactions) {
    w.u64(t.trans);
    w.boolean(t.committed);
    w.u64(t.gci);
  }
}
void get(Reader& r, TakeoverConf& m) {
  m.failed_tc = r.u32();
  uint32_t n = r.count(17);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    TakeoverConf::Trans t;
    t.trans = r.u64();
    t.committed = r.boolean();
    t.gci = r.u64();
    m.transactions.push_back(t);
  }
}

void put(Writer& w, const CopyFragReq& m) {
  w.u32(m.table_id);
  w.u32(m.fragment);
  w.str(m.cursor);
  w.u32(m.max_rows);
  w.u64(m.since_gci);
}
void get(Reader& r, CopyFragReq& m) {
  m.table_id = r.u32();
  m.fragment = r.u32();
  m.cursor = r.str();
  m.max_rows = r.u32();
  m.since_gci = r.u64();
}

void put(Writer& w, const CopyFragConf& m) {
  w.u32(m.table_id);
  w.u32(m.fragment);
  w.u32(static_cast<uint32_t>(m.batch.rows.size()));
  for (auto& row : m.batch.rows) {
    put(w, row.row);
    w.u64(row.gci);
    w.boolean(row.unchanged);
    w.u64(row.digest);
  }
  w.str(m.batch.cursor);
  w.boolean(m.batch.done);
  w.u32(m.error);
}
void get(Reader& r, CopyFragConf& m) {
  m.table_id = r.u32();
  m.fragment = r.u32();
  uint32_t n = r.count(21);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    CopiedRow row;
    row.row = get_values(r);
    row.gci = r.u64();
    row.unchanged = r.boolean();
    row.digest = r.u64();
    m.batch.rows.push_back(std::move(row));
  }
  m.batch.cursor = r.str();
  m.batch.done = r.boolean();
  m.error = r.u32();
}

void put(Writer& w, const CommitFragReq& m) {
  w.u64(m.trans);
  w.u64(m.gci);
  w.u32(m.tc);
  w.u32(m.table_id);
  w.u32(m.fragment);
  put(w, m.chain);
  w.u32(m.chain_pos);
}
void get(Reader& r, CommitFragReq& m) {
  m.trans = r.u64();
  m.gci = r.u64();
  m.tc = r.u32();
  m.table_id = r.u32();
  m.fragment = r.u32();
  m.chain = get_ids(r);
  m.chain_pos = r.u32();
}

void put(Writer& w, const CommitFragConf& m) {
  w.u64(m.trans);
  w.u32(m.table_id);
  w.u32(m.fragment);
}
void get(Reader& r, CommitFragConf& m) {
  m.trans = r.u64();
  m.table_id = r.u32();
  m.fragment = r.u32();
}

void put(Writer& w, const WaitGraphReport& m) {
  w.u32(static_cast<uint32_t>(m.edges.size()));
  for (auto& e : m.edges) {
    w.u64(e.waiter);
    w.u64(e.holder);
  }
}
void get(Reader& r, WaitGraphReport& m) {
  uint32_t n = r.count(16);
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    WaitEdge e;
    e.waiter = r.u64();
    e.holder = r.u64();
    m.edges.push_back(e);
  }
}

template <size_t I>
std::optional<Message> decode_as(size_t index, Reader& r) {
  if constexpr (I < kTypes) {
    if (index == I) {
      std::variant_alternative_t<I, Message> m;
      get(r, m);
      return Message(std::move(m));
    }
    return decode_as<I + 1>(index, r);
  } else {
    return std::nullopt;
  }
}

}  // namespace

uint16_t engine_message_type(const Message& m) { return static_cast<uint16_t>(kFirstEngineMessage + m.index()); }

bool is_engine_message_type(uint16_t type) { return type >= kFirstEngineMessage && type < kFirstEngineMessage + kTypes; }

std::string engine_message_name(uint16_t type) {
  return is_engine_message_type(type) ? kNames[type - kFirstEngineMessage] : "";
}

// The position of message T among engine::Message's alternatives.
template <typename T, size_t I = 0>
constexpr size_t variant_index() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Message>, T>) return I;
  else return variant_index<T, I + 1>();
}

uint16_t engine_message_version(uint16_t type) {
  const size_t i = type - kFirstEngineMessage;
  const bool scan_spec = i == variant_index<ApiScanReq>() || i == variant_index<ScanFragReq>();
  return scan_spec ? kScanSpecMessageVersion : kEngineMessageVersion;
}

void register_engine_messages(transport::MessageRegistry& registry) {
  for (size_t i = 0; i < kTypes; ++i) {
    const auto type = static_cast<uint16_t>(kFirstEngineMessage + i);
    const uint16_t version = engine_message_version(type);
    registry.add({type, version, version, kNames[i], transport::kMaxPayload});
  }
}

std::string encode_engine_message(const Message& m) {
  Writer w;
  std::visit([&](const auto& body) { put(w, body); }, m);
  return w.take();
}

std::optional<Message> decode_engine_message(uint16_t type, std::string_view payload, std::string& error) {
  if (!is_engine_message_type(type)) {
    error = "message type " + std::to_string(type) + " is not an engine message";
    return std::nullopt;
  }
  Reader r(payload);
  auto m = decode_as<0>(type - kFirstEngineMessage, r);
  if (r.ok() && !r.at_end()) r.fail(std::to_string(r.left()) + " bytes follow the message");
  if (!r.ok()) {
    error = engine_message_name(type) + ": " + r.error();
    return std::nullopt;
  }
  return m;
}

}  // namespace halb::cluster::wire
