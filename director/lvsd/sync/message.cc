// director/lvsd/sync/message.cc: see message.h. Checks follow
// ip_vs_process_message and ip_vs_proc_sync_conn in the kernel's
// net/netfilter/ipvs/ip_vs_sync.c.
#include "director/lvsd/sync/message.h"

#include <algorithm>

namespace halb::director::lvsd::sync {

namespace {

constexpr uint8_t kTypeInet6 = 0x01;
constexpr size_t kMaxConnsPerDatagram = 255;  // nr_conns is one byte

void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void put_addr(std::vector<uint8_t>& b, const IpAddress& a, Family f) {
  // An address of the other family than the entry's is sent as zeros
  // rather than spilling into the next field.
  size_t n = f == Family::v4 ? 4 : 16;
  for (size_t i = 0; i < n; ++i) b.push_back(a.family == f ? a.bytes[i] : 0);
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return uint32_t{get16(p)} << 16 | get16(p + 2); }
IpAddress get_addr(const uint8_t* p, Family f) {
  IpAddress a;
  a.family = f;
  std::copy(p, p + (f == Family::v4 ? 4 : 16), a.bytes.begin());
  return a;
}

void append_entry(std::vector<uint8_t>& b, const Entry& e) {
  const size_t size = entry_size(e);
  b.push_back(e.family == Family::v6 ? kTypeInet6 : 0);
  b.push_back(e.protocol);
  put16(b, static_cast<uint16_t>(size & 0x0fff));  // entry version 0 in the top 4 bits
  put32(b, e.flags & 0xffff & ~kConnHashed);        // bits from 16 up are never sent
  put16(b, e.state);
  put16(b, e.cport);
  put16(b, e.vport);
  put16(b, e.dport);
  put32(b, e.fwmark);
  put32(b, e.timeout);
  put_addr(b, e.caddr, e.family);
  put_addr(b, e.vaddr, e.family);
  put_addr(b, e.daddr, e.family);
  if (e.seq_data.size() == kSeqDataSize) {
    b.push_back(kOptSeqData);
    b.push_back(kSeqDataSize);
    b.insert(b.end(), e.seq_data.begin(), e.seq_data.end());
  }
  if (!e.pe_data.empty()) {
    b.push_back(kOptPeData);
    b.push_back(static_cast<uint8_t>(e.pe_data.size()));
    b.insert(b.end(), e.pe_data.begin(), e.pe_data.end());
    if (!e.pe_name.empty()) {
      b.push_back(kOptPeName);
      b.push_back(static_cast<uint8_t>(e.pe_name.size()));
      b.insert(b.end(), e.pe_name.begin(), e.pe_name.end());
    }
  }
}

std::vector<uint8_t> new_datagram(uint8_t syncid) {
  return {0, syncid, 0, kHeaderSize, 0, kSyncVersion, 0, 0};
}

void close_datagram(std::vector<uint8_t>& b, size_t nr) {
  b[2] = static_cast<uint8_t>(b.size() >> 8);
  b[3] = static_cast<uint8_t>(b.size());
  b[4] = static_cast<uint8_t>(nr);
}

// One entry at `p` (its declared size already checked against the
// datagram). Returns refusal::none and fills `out`, or a refusal; sets
// `skip` for an entry the kernel would drop alone and carry on after.
Refusal decode_entry(const uint8_t* p, const uint8_t* end, Entry& out, bool& skip) {
  skip = false;
  const uint8_t type = p[0];
  if (type & kTypeInet6) out.family = Family::v6;
  else if (type == 0) out.family = Family::v4;
  else return Refusal::bad_entry;
  const size_t fixed = out.family == Family::v4 ? kEntrySizeV4 : kEntrySizeV6;
  if (p + fixed > end) return Refusal::bad_entry;
  out.protocol = p[1];
  out.flags = get32(p + 4);
  out.state = get16(p + 8);
  out.cport = get16(p + 10);
  out.vport = get16(p + 12);
  out.dport = get16(p + 14);
  out.fwmark = get32(p + 16);
  out.timeout = get32(p + 20);
  const size_t alen = out.family == Family::v4 ? 4 : 16;
  out.caddr = get_addr(p + 24, out.family);
  out.vaddr = get_addr(p + 24 + alen, out.family);
  out.daddr = get_addr(p + 24 + 2 * alen, out.family);
  bool have_seq = false, have_data = false, have_name = false;
  for (const uint8_t* q = p + fixed; q < end;) {
    if (q + 2 > end) return Refusal::truncated;
    const uint8_t ptype = q[0], plen = q[1];
    q += 2;
    if (plen == 0 || q + plen > end) return Refusal::truncated;
    switch (ptype & ~kOptOptional) {
      case kOptSeqData:
        if (plen != kSeqDataSize || have_seq) return Refusal::bad_entry;
        have_seq = true;
        out.seq_data.assign(q, q + plen);
        break;
      case kOptPeData:
        if (have_data) return Refusal::bad_entry;  // plen <= 255 always holds
        have_data = true;
        out.pe_data.assign(q, q + plen);
        break;
      case kOptPeName:
        if (plen > kPeNameMax || have_name) return Refusal::bad_entry;
        have_name = true;
        out.pe_name.assign(reinterpret_cast<const char*>(q), plen);
        break;
      default:
        if (!(ptype & kOptOptional)) skip = true;  // an unknown mandatory parameter
    }
    q += plen;
  }
  if (!out.is_template()) {
    const uint16_t states = out.protocol == kProtoTcp ? kTcpStates : out.protocol == kProtoUdp ? 1 : 0;
    if (out.state >= states) skip = true;  // unknown protocol, or a state it does not have
  }
  // Persistence-engine data without the engine's name is refused by the
  // kernel; a named engine halb-lvsd does not have (sip) cannot be honoured.
  if (!out.pe_data.empty()) skip = true;
  // A name without data names nothing: the kernel reads the name only with
  // data (ip_vs_conn_fill_param_sync) and encode() writes it only with data,
  // so keeping it would give an entry that does not survive a re-send.
  if (out.pe_data.empty()) out.pe_name.clear();
  out.flags = (out.flags & kConnBackupMask) | kConnSync;
  return Refusal::none;
}

}  // namespace

std::string_view state_name(uint8_t protocol, uint16_t state, bool is_template) {
  if (is_template) return state == kTplAssured ? "ASSURED" : "NONE";
  if (protocol == kProtoUdp) return "UDP";
  static constexpr std::string_view kTcp[] = {"NONE",      "ESTABLISHED", "SYN_SENT", "SYN_RECV",
                                              "FIN_WAIT",  "TIME_WAIT",   "CLOSE",    "CLOSE_WAIT",
                                              "LAST_ACK",  "LISTEN",      "SYNACK"};
  if (protocol == kProtoTcp && state < kTcpStates) return kTcp[state];
  return "ERR!";
}

size_t entry_size(const Entry& e) {
  size_t n = e.family == Family::v4 ? kEntrySizeV4 : kEntrySizeV6;
  if (e.seq_data.size() == kSeqDataSize) n += 2 + kSeqDataSize;
  if (!e.pe_data.empty()) {
    n += 2 + std::min(e.pe_data.size(), kPeDataMax);
    if (!e.pe_name.empty()) n += 2 + std::min(e.pe_name.size(), kPeNameMax);
  }
  return n;
}

std::vector<std::vector<uint8_t>> encode(const std::vector<Entry>& entries, uint8_t syncid, size_t maxlen,
                                         size_t* oversized) {
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint8_t> cur;
  size_t nr = 0;
  if (oversized) *oversized = 0;
  auto flush = [&] {
    if (nr) {
      close_datagram(cur, nr);
      out.push_back(std::move(cur));
    }
    cur.clear();
    nr = 0;
  };
  for (Entry e : entries) {
    if (e.pe_data.size() > kPeDataMax) e.pe_data.resize(kPeDataMax);
    if (e.pe_name.size() > kPeNameMax) e.pe_name.resize(kPeNameMax);
    if (!e.seq_data.empty() && e.seq_data.size() != kSeqDataSize) e.seq_data.clear();
    const size_t len = entry_size(e);
    if (kHeaderSize + len > maxlen) {
      if (oversized) ++*oversized;
      continue;
    }
    size_t pad = nr ? (4 - cur.size() % 4) % 4 : 0;
    if (nr && (cur.size() + pad + len > maxlen || nr == kMaxConnsPerDatagram)) {
      flush();
      pad = 0;
    }
    if (!nr) cur = new_datagram(syncid);
    cur.insert(cur.end(), pad, 0);
    append_entry(cur, e);
    ++nr;
  }
  flush();
  return out;
}

std::string_view refusal_name(Refusal r) {
  switch (r) {
    case Refusal::none: return "ok";
    case Refusal::short_header: return "shorter than the sync header";
    case Refusal::bad_size: return "size field differs from the datagram length";
    case Refusal::syncid: return "another syncid";
    case Refusal::version: return "not a version 1 sync message";
    case Refusal::truncated: return "truncated entry";
    case Refusal::bad_entry: return "malformed entry";
  }
  return "?";
}

Decoded decode(const uint8_t* data, size_t len, uint8_t our_syncid) {
  Decoded d;
  if (len < kHeaderSize) {
    d.refusal = Refusal::short_header;
    return d;
  }
  if (get16(data + 2) != len) {
    d.refusal = Refusal::bad_size;
    return d;
  }
  d.syncid = data[1];
  if (our_syncid != 0 && d.syncid != our_syncid) {
    d.refusal = Refusal::syncid;
    return d;
  }
  if (data[0] != 0 || data[5] != kSyncVersion || data[6] != 0 || data[7] != 0) {
    d.refusal = Refusal::version;
    return d;
  }
  const uint8_t* end = data + len;
  const uint8_t* next = data + kHeaderSize;
  const size_t nr = data[4];
  for (size_t i = 0; i < nr; ++i) {
    // Sizes compared as lengths: a pointer past the end of the datagram
    // (p + size with a hostile size) is undefined even unread.
    const uint8_t* p = next;
    const size_t left = static_cast<size_t>(end - p);
    if (left < kEntrySizeV4) {
      d.refusal = Refusal::truncated;
      return d;
    }
    const uint16_t ver_size = get16(p + 2);
    const size_t size = ver_size & 0x0fff;
    if (size > left) {
      d.refusal = Refusal::truncated;
      return d;
    }
    if (ver_size >> 12) {
      d.refusal = Refusal::bad_entry;
      return d;
    }
    Entry e;
    bool skip = false;
    Refusal r = decode_entry(p, p + size, e, skip);
    if (r != Refusal::none) {
      d.refusal = r;
      return d;
    }
    if (skip) ++d.skipped;
    else d.entries.push_back(std::move(e));
    next = p + std::min(left, (size + 3) & ~size_t{3});  // the last entry's padding may be missing
  }
  return d;
}

}  // namespace halb::director::lvsd::sync
