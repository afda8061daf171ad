// director/lvsd/sync/message.h: IPVS connection-sync datagrams, version 1.
//
// The layout the kernel's ip_vs_sync.c sends and receives on 224.0.0.81:8848,
// so halb-lvsd and a kernel IPVS director can be each other's master or
// backup. A datagram is an 8-byte header
//     u8 reserved (0) | u8 syncid | be16 size | u8 nr_conns | s8 version (1) | u16 spare (0)
// followed by nr_conns entries, each starting on a 4-byte boundary:
//     u8 type (bit 0: IPv6) | u8 protocol | be16 version(4 bits, 0) << 12 | size(12 bits)
//     be32 flags | be16 state | be16 cport | be16 vport | be16 dport
//     be32 fwmark | be32 timeout (s) | caddr | vaddr | daddr (4 or 16 bytes each)
// then optional parameters {u8 type, u8 len, data}: 1 sequence data (two
// 12-byte ip_vs_seq), 2 persistence-engine data, 3 persistence-engine name.
// An IPv4 entry is 36 bytes, an IPv6 one 72.
//
// Everything here is pure: encode() packs entries into datagrams no longer
// than maxlen, decode() checks a datagram the way ip_vs_process_message
// does and says why it refused one, so a hostile or broken sender can only
// get its packet counted and dropped.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "director/address.h"

namespace halb::director::lvsd::sync {

// IP_VS_CONN_F_* bits carried in an entry (uapi ip_vs.h).
inline constexpr uint32_t kConnFwdMask = 0x0007;
inline constexpr uint32_t kConnSync = 0x0020;
inline constexpr uint32_t kConnHashed = 0x0040;
inline constexpr uint32_t kConnNoOutput = 0x0080;
inline constexpr uint32_t kConnInactive = 0x0100;
inline constexpr uint32_t kConnSeqMask = 0x0600;
inline constexpr uint32_t kConnNoCport = 0x0800;
inline constexpr uint32_t kConnTemplate = 0x1000;
inline constexpr uint32_t kConnOnePacket = 0x2000;
// What a backup keeps of the flags it receives (IP_VS_CONN_F_BACKUP_MASK).
inline constexpr uint32_t kConnBackupMask =
    kConnFwdMask | kConnNoOutput | kConnInactive | kConnSeqMask | kConnNoCport | kConnTemplate;

// IP protocol numbers as the entry's protocol byte carries them; a fwmark
// service's template uses IPPROTO_IP (0).
inline constexpr uint8_t kProtoIp = 0, kProtoTcp = 6, kProtoUdp = 17, kProtoSctp = 132;

// The kernel's TCP connection states (IP_VS_TCP_S_*), UDP's single state
// and the template states.
enum TcpState : uint16_t {
  kTcpNone = 0, kTcpEstablished, kTcpSynSent, kTcpSynRecv, kTcpFinWait, kTcpTimeWait,
  kTcpClose, kTcpCloseWait, kTcpLastAck, kTcpListen, kTcpSynAck, kTcpStates
};
inline constexpr uint16_t kUdpNormal = 0;
inline constexpr uint16_t kTplNone = 0, kTplAssured = 1;
// What `ipvsadm -L -c` prints for a state of `protocol` (templates: NONE/ASSURED).
std::string_view state_name(uint8_t protocol, uint16_t state, bool is_template);

inline constexpr uint8_t kSyncVersion = 1;
inline constexpr size_t kHeaderSize = 8;
inline constexpr size_t kEntrySizeV4 = 36;
inline constexpr size_t kEntrySizeV6 = 72;
inline constexpr uint8_t kOptSeqData = 1, kOptPeData = 2, kOptPeName = 3;
inline constexpr uint8_t kOptOptional = 0x40;  // IPVS_OPT_F_PARAM: unknown ones may be skipped
inline constexpr size_t kSeqDataSize = 24;     // two struct ip_vs_seq
inline constexpr size_t kPeDataMax = 255, kPeNameMax = 16;

// One connection or persistence template, in the kernel's terms. Ports,
// addresses and numbers are in host order here; encode/decode convert.
struct Entry {
  Family family = Family::v4;  // of all three addresses
  uint8_t protocol = kProtoTcp;
  uint32_t flags = 0;      // kConn* bits (the kernel sends bits 0..15)
  uint16_t state = 0;
  uint16_t cport = 0, vport = 0, dport = 0;
  uint32_t fwmark = 0;
  uint32_t timeout = 0;  // seconds
  IpAddress caddr, vaddr, daddr;
  // Optional parameters, kept as they came (a proxy has no sequence
  // deltas to apply, but a kernel master may send them).
  std::vector<uint8_t> seq_data;  // empty or kSeqDataSize bytes
  std::vector<uint8_t> pe_data;
  std::string pe_name;

  bool is_template() const { return flags & kConnTemplate; }
  bool operator==(const Entry&) const = default;
};

// Bytes an entry takes in a datagram, before padding to 4.
size_t entry_size(const Entry& e);

// Packs `entries` in order into datagrams of at most `maxlen` bytes (the
// header included), each with `syncid`. An entry that cannot fit even alone
// (maxlen below 8 + its size) is skipped and counted in *oversized.
std::vector<std::vector<uint8_t>> encode(const std::vector<Entry>& entries, uint8_t syncid, size_t maxlen,
                                         size_t* oversized = nullptr);

// Why a datagram, or an entry in it, was refused.
enum class Refusal {
  none,
  short_header,   // fewer than 8 bytes
  bad_size,       // the header's size differs from the datagram's length
  syncid,         // another sync id (and ours is not 0)
  version,        // not a version-1 datagram (version 0 is not accepted)
  truncated,      // an entry or parameter runs past the end
  bad_entry,      // unknown type, entry version, size too small, bad parameter
};
std::string_view refusal_name(Refusal r);

struct Decoded {
  uint8_t syncid = 0;
  std::vector<Entry> entries;  // the good ones, in order
  // The first refusal: for a datagram-level one `entries` is empty; for an
  // entry-level one, the entries before it were kept and the rest of the
  // datagram dropped (as ip_vs_process_message does).
  Refusal refusal = Refusal::none;
  size_t skipped = 0;  // entries skipped without refusing the datagram (unknown mandatory option)
};

// Checks and unpacks one datagram for a backup with `our_syncid` (0: any).
Decoded decode(const uint8_t* data, size_t len, uint8_t our_syncid);

}  // namespace halb::director::lvsd::sync
