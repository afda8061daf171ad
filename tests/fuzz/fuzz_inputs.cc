// tests/fuzz/fuzz_inputs.cc: one libFuzzer target for every decoder that
// takes bytes from the network or text from an operator's file, outside
// halb-sqld (fuzz_packet.cc, fuzz_tokenizer.cc). The first input byte picks
// the surface (byte % kSurfaces.size()), the rest goes to its decoder:
//
//   frame        cluster transport frames as a link receives them, each
//                frame checked against the registry and its payload decoded
//   engine       one engine message or node-protocol payload (ndbd wire)
//   mgm          management protocol messages, `get config` and `node
//                status` replies, event categories and severities
//   hb-classic   a heartbeat datagram; the rest of the input becomes the
//                name=value lines of a classic datagram signed with a
//                listed key, so runs get past the digest
//   hb-datagram  a heartbeat datagram exactly as received (either format)
//   lvsd-control halb-lvsd control request lines, through the real handler
//   lvsd-sync    an IPVS connection-sync datagram
//   ldirectord.cf, config.ini, my.cnf, ha.cf, haresources, authkeys
//   probe-replies  what a real server answers halb-director's health checks:
//                the rest of the input after a flags byte goes to every
//                reply parser (director/checks/replies.h, mysql_wire.h) --
//                as a stream of MySQL packets, a DNS answer to its own id, a
//                RADIUS answer (signed with the secret when flag bit 0 is
//                set, so runs get past the authenticator), a SIP answer,
//                PostgreSQL messages, smtp/pop/imap/nntp reply lines and an
//                HTTP head
//   mgmd         halb-mgmd's server itself (cluster/mgmd) on loopback: what
//                up to four connections -- management clients, event
//                listeners, nodes with their sessions -- send it, in turns
//
// No input may crash, leak, hang or throw out of a decoder or the server
// (config readers throw only config::ConfigError, as the daemons' mains
// expect). Where a codec has an encoder, what it decoded must encode to
// bytes that decode to the same thing again; what halb-mgmd answers must be
// messages a client can read.
//
// `fuzz_inputs --seeds=DIR [--samples=ETC]` writes a seed corpus (a few
// encoded frames, messages, datagrams and conversations with halb-mgmd, and
// the sample configs under ETC) into DIR and exits; libFuzzer ignores flags
// starting with `--`.
//
//   clang++ -std=c++20 -fsanitize=fuzzer,address ... (tests/fuzz/build-fuzz-inputs)
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/config/config_ini.h"
#include "cluster/config/my_cnf.h"
#include "cluster/mgmapi/config_codec.h"
#include "cluster/mgmapi/events.h"
#include "cluster/mgmapi/node_status.h"
#include "cluster/mgmapi/protocol.h"
#include "cluster/mgmd/server.h"
#include "cluster/ndbd/wire/engine_codec.h"
#include "cluster/ndbd/wire/node_protocol.h"
#include "cluster/transport/frame.h"
#include "cluster/transport/messages.h"
#include "director/checks/mysql_wire.h"
#include "director/checks/replies.h"
#include "director/config/ldirectord_cf.h"
#include "director/lvsd/control_handler.h"
#include "director/lvsd/sync/message.h"
#include "heartbeat/config/authkeys.h"
#include "heartbeat/config/ha_cf.h"
#include "heartbeat/config/haresources.h"
#include "heartbeat/wire/auth.h"
#include "heartbeat/wire/codec.h"
#include "lib/config/reader.h"

using namespace halb;
namespace transport = halb::cluster::transport;

namespace {

// Fails the run (libFuzzer reports the input) when an invariant breaks.
void check(bool ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "invariant broken: %s\n", what);
  abort();
}

// A config reader may refuse text only with ConfigError (file:line: why).
template <typename F>
void config_text(F parse) {
  try {
    parse();
  } catch (const config::ConfigError&) {
  }
}

// ---- cluster transport and the data node's payloads ---------------------

const transport::MessageRegistry& registry() {
  static const transport::MessageRegistry r = [] {
    transport::MessageRegistry reg;
    cluster::wire::register_engine_messages(reg);
    cluster::wire::register_node_protocol(reg);
    return reg;
  }();
  return r;
}

// What a data node does with a payload of `type`: decode it, and a decoded
// message must survive encode -> decode unchanged.
void payload(uint16_t type, std::string_view bytes) {
  std::string error;
  if (cluster::wire::is_engine_message_type(type)) {
    auto m = cluster::wire::decode_engine_message(type, bytes, error);
    if (!m) return;
    check(cluster::wire::engine_message_type(*m) == type, "engine message decodes to its own type");
    std::string once = cluster::wire::encode_engine_message(*m);
    auto again = cluster::wire::decode_engine_message(type, once, error);
    check(again.has_value(), "a re-encoded engine message decodes");
    check(cluster::wire::encode_engine_message(*again) == once, "engine message round trip");
  } else if (cluster::wire::is_node_protocol_type(type)) {
    auto m = cluster::wire::decode_control(bytes, error);
    if (!m) return;
    check(cluster::wire::encode_control(*m) == bytes, "control message round trip");
  }
}

bool same_frame(const transport::Frame& a, const transport::Frame& b) {
  return a.header.flags == b.header.flags && a.header.type == b.header.type &&
         a.header.type_version == b.header.type_version && a.header.sender == b.header.sender &&
         a.header.receiver == b.header.receiver && a.header.length == b.header.length && a.payload == b.payload;
}

// First byte: bit 0 the link's Checksum setting, the rest the size of the
// reads the bytes arrive in.
void fuzz_frame(std::string_view in) {
  if (in.empty()) return;
  bool require_checksum = in[0] & 1;
  size_t chunk = 1 + (static_cast<uint8_t>(in[0]) >> 1);
  in.remove_prefix(1);
  transport::FrameDecoder decoder(require_checksum);
  transport::Frame f;
  for (size_t pos = 0; pos < in.size(); pos += chunk) {
    decoder.feed(in.substr(pos, chunk));
    transport::FrameDecoder::Status s;
    while ((s = decoder.next(f)) == transport::FrameDecoder::Status::kFrame) {
      check(f.payload.size() == f.header.length && f.header.length <= transport::kMaxPayload, "frame length");
      std::string wire = transport::encode_frame(f.header.type, f.header.type_version, f.header.sender,
                                                 f.header.receiver, f.payload, f.header.flags & transport::kFlagChecksum);
      transport::FrameDecoder again(require_checksum);
      again.feed(wire);
      transport::Frame g;
      check(again.next(g) == transport::FrameDecoder::Status::kFrame && same_frame(f, g) && again.buffered() == 0,
            "frame round trip");
      if (!registry().check(f.header.type, f.header.type_version, f.header.length)) payload(f.header.type, f.payload);
    }
    if (s == transport::FrameDecoder::Status::kError) {
      check(!decoder.error().empty(), "a frame error says why");
      return;
    }
  }
}

// First byte: which engine message or node-protocol type.
void fuzz_engine(std::string_view in) {
  if (in.empty()) return;
  uint8_t b = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  constexpr size_t kEngineTypes = std::variant_size_v<cluster::engine::Message>;
  uint16_t type = b & 0x80 ? static_cast<uint16_t>(cluster::wire::kNodeHello)
                           : static_cast<uint16_t>(cluster::wire::kFirstEngineMessage + b % kEngineTypes);
  payload(type, in);
}

// ---- management protocol -------------------------------------------------

bool same_message(const cluster::mgmapi::Message& a, const cluster::mgmapi::Message& b) {
  return a.head == b.head && a.fields == b.fields && a.body == b.body;
}

void mgm_message(const cluster::mgmapi::Message& m) {
  using namespace cluster::mgmapi;
  MessageReader reader;
  reader.feed(format(m));
  Message again;
  check(reader.next(again) && same_message(m, again) && reader.buffered() == 0, "mgm message round trip");
  std::string error;
  decode_config(m, error);
  if (auto nodes = decode_status(m, error)) {
    master_node(*nodes);
    std::string once = format(encode_status(*nodes));
    auto back = decode_status(encode_status(*nodes), error);
    check(back && format(encode_status(*back)) == once, "node status round trip");
  }
  parse_category(m.get_or("category", ""));
  parse_severity(m.get_or("severity", ""));
  m.get_int("nodeid");
  base64_decode(m.body);
}

// First byte: the size of the reads; the rest what a peer sends.
void fuzz_mgm(std::string_view in) {
  if (in.empty()) return;
  size_t chunk = 1 + static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  cluster::mgmapi::MessageReader reader;
  cluster::mgmapi::Message m;
  for (size_t pos = 0; pos < in.size() && !reader.failed(); pos += chunk) {
    reader.feed(in.substr(pos, chunk));
    while (reader.next(m)) mgm_message(m);
  }
  if (reader.failed()) check(!reader.error().empty(), "an mgm error says why");
}

// ---- halb-mgmd -------------------------------------------------------------

// The cluster each run's management server serves: itself (1), two data
// nodes in one node group (2, 3) and two API slots (4, 5, the second from
// any host), every HostName loopback so a fuzzed peer may take any id.
const char kMgmdConfig[] =
    "[NDBD DEFAULT]\nNoOfReplicas=2\n"
    "[NDB_MGMD]\nId=1\nHostName=127.0.0.1\n"
    "[NDBD]\nId=2\nHostName=127.0.0.1\n[NDBD]\nId=3\nHostName=127.0.0.1\n"
    "[MYSQLD]\nId=4\nHostName=127.0.0.1\n[API]\nId=5\n";

const cluster::ClusterConfig& mgmd_config() {
  static const cluster::ClusterConfig c = cluster::parse_config_ini(kMgmdConfig, "config.ini").config;
  return c;
}

// The cluster log is a real rotating file (small, so rotation happens too)
// in a directory of this process, removed when it exits normally.
const std::string& mgmd_log_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/fuzz-mgmd-XXXXXX";
    check(mkdtemp(tmpl) != nullptr, "a directory for the cluster log");
    return std::string(tmpl);
  }();
  static const int cleanup = atexit([] { std::filesystem::remove_all(mgmd_log_dir()); });
  (void)cleanup;
  return dir;
}

// One connection to the server under test: a management client, or a node
// once it sent `get nodeid` and `node session`.
struct MgmdPeer {
  int fd = -1;
  std::string out;  // not yet accepted by the socket
  cluster::mgmapi::MessageReader replies;
  bool listener = false;  // asked for `listen event`: gets event lines, not messages

  // Closes with a reset (SO_LINGER 0), as a peer whose host vanished: no
  // TIME_WAIT is left behind, so a long run never runs out of ports.
  void drop() {
    if (fd < 0) return;
    linger hard{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd);
    *this = MgmdPeer();
  }
  // Sends what the socket takes and reads every reply; true if bytes moved.
  bool exchange() {
    if (fd < 0) return false;
    bool moved = false;
    while (!out.empty()) {
      ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (n <= 0) {
        out.clear();  // the server closed: the rest is lost, as for a real client
        break;
      }
      out.erase(0, static_cast<size_t>(n));
      moved = true;
    }
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
      moved = true;
      if (listener) continue;
      replies.feed(std::string_view(buf, static_cast<size_t>(n)));
      cluster::mgmapi::Message m;
      while (replies.next(m)) {
      }
      if (replies.failed()) fprintf(stderr, "unreadable reply: %s\n", replies.error().c_str());
      check(!replies.failed(), "halb-mgmd's replies are messages a client can read");
    }
    return moved;
  }
};

// A fresh server per input (node ids, command sequence numbers and log
// filters start over, so a crash reproduces from its input alone).
class MgmdRun {
 public:
  MgmdRun(bool arbitrator, bool arbitration_delay) {
    cluster::mgmd::ServerSettings s;
    s.config = mgmd_config();
    s.config_text = kMgmdConfig;
    s.own_id = 1;
    s.bind_host = "127.0.0.1";
    s.port = 0;
    s.hosts = {{"127.0.0.1", {"127.0.0.1"}}};
    s.arbitration_rank = arbitrator ? 1 : 0;
    s.arbitration_delay_ms = arbitration_delay ? 1 : 0;
    s.command_timeout_s = 0.002;  // a run's wait (5 ms) outlasts it
    server_ = std::make_unique<cluster::mgmd::Server>(loop_, logger_, cluster_log_, s);
    server_->on_stop_requested = [this] { stop_requested_ = true; };
    std::string error;
    if (!server_->listen(error)) fprintf(stderr, "halb-mgmd cannot listen: %s\n", error.c_str());
    check(server_->port() != 0, "halb-mgmd listens on loopback");
  }
  ~MgmdRun() {
    for (auto& p : peers_) p.drop();
  }
  // The daemon stops its loop once a client asked it to stop.
  bool stop_requested() const { return stop_requested_; }

  void send(size_t peer, std::string_view bytes) {
    MgmdPeer& p = peers_[peer];
    if (p.fd < 0) connect(p);
    p.out.append(bytes);
    if (bytes.find("listen event") != std::string_view::npos) p.listener = true;
    pump();
  }
  void drop(size_t peer) {
    peers_[peer].drop();
    pump();
  }
  void drop_all() {
    for (auto& p : peers_) p.drop();
    pump();
  }
  // Lets time pass for the server's timers.
  void wait(double seconds) {
    event::Timer t(loop_, [this] { loop_.stop(); });
    t.start(seconds);
    loop_.run();
    pump();
  }

 private:
  void connect(MgmdPeer& p) {
    p.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(server_->port());
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // On loopback the kernel completes the handshake before accept(); the
    // wait only covers libFuzzer's signals interrupting it.
    int rc = ::connect(p.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    if (rc != 0 && (errno == EINPROGRESS || errno == EINTR)) {
      pollfd pf{p.fd, POLLOUT, 0};
      while ((rc = poll(&pf, 1, 1000)) < 0 && errno == EINTR) {
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      errno = rc == 0 ? ETIMEDOUT : err;
      rc = rc > 0 && err == 0 ? 0 : -1;
    }
    if (rc != 0) fprintf(stderr, "cannot connect to halb-mgmd: %s\n", strerror(errno));
    check(rc == 0, "connect to halb-mgmd");
  }
  // Turns the loop until neither side has anything left to say. Loopback
  // delivers within send(), so a few quiet rounds mean the server has read
  // everything; the bound keeps a chatty server from hanging the run.
  void pump() {
    for (int quiet = 0, round = 0; quiet < 4 && round < 2000; ++round) {
      bool moved = false;
      for (auto& p : peers_) moved |= p.exchange();
      ev_run(loop_.raw(), EVRUN_NOWAIT);
      quiet = moved ? 0 : quiet + 1;
    }
  }

  event::Loop loop_{false};
  log::Logger logger_;  // no sinks: quiet
  cluster::mgmd::ClusterLog cluster_log_{{{cluster::mgmd::LogDestination::Kind::kFile, 0, "cluster.log", 4096, 3}},
                                         mgmd_log_dir()};
  std::unique_ptr<cluster::mgmd::Server> server_;
  std::array<MgmdPeer, 4> peers_;
  bool stop_requested_ = false;
};

// First byte: bit 0 makes the server no arbitrator (ArbitrationRank 0), bit
// 1 delays its arbitration answers. The rest is what up to four connections
// send, in segments: the input's start goes to connection 0, and each
// \x01 starts a segment whose first byte says bits 0-1 which connection
// (opened on first use), bit 2 that it is reset after its bytes (a node or
// client that vanishes), bit 3 that 5 ms pass after it, so command timeouts
// and delayed answers fire. Once the input ends every connection goes away.
void fuzz_mgmd(std::string_view in) {
  if (in.empty()) return;
  MgmdRun run(!(in[0] & 1), in[0] & 2);
  in.remove_prefix(1);
  uint8_t how = 0;
  for (;;) {
    size_t end = in.find('\x01');
    run.send(how & 3, in.substr(0, end));
    if (how & 4) run.drop(how & 3);
    if (how & 8) run.wait(0.005);
    if (run.stop_requested()) return;  // as the daemon, which leaves its loop
    if (end == std::string_view::npos || end + 1 >= in.size()) break;
    how = static_cast<uint8_t>(in[end + 1]);
    in.remove_prefix(end + 2);
  }
  run.drop_all();
}

// ---- heartbeat -----------------------------------------------------------

const heartbeat::AuthKeys& hb_keys() {
  static const heartbeat::AuthKeys k = [] {
    heartbeat::AuthKeys keys;
    keys.active = 1;
    keys.keys[1] = {heartbeat::AuthMethod::crc, ""};
    keys.keys[2] = {heartbeat::AuthMethod::sha1, "514a49f83820e34c877ff48770e48ea7"};
    keys.keys[3] = {heartbeat::AuthMethod::md5, "514a49f83820e34c877ff48770e48ea7"};
    return keys;
  }();
  return k;
}

void hb_datagram(std::string_view d) {
  using namespace heartbeat::wire;
  DecodeResult r = decode(d, hb_keys());
  if (!r.message) {
    check(!r.error.empty(), "a refused datagram says why");
    return;
  }
  for (Format f : {Format::classic, Format::netstring}) {
    DecodeResult again = decode(encode(*r.message, f, hb_keys()), hb_keys());
    check(again.message.has_value(), "a re-encoded heartbeat message decodes");
    const auto& a = r.message->fields();
    const auto& b = again.message->fields();
    check(a.size() == b.size(), "heartbeat round trip keeps every field");
    for (size_t i = 0; i < a.size(); ++i)
      check(a[i].name == b[i].name && a[i].value == b[i].value && a[i].type == b[i].type,
            "heartbeat round trip keeps each field");
  }
}

// The input as the lines of a classic datagram, signed with the crc key.
void fuzz_hb_classic(std::string_view in) {
  std::string text(in);
  if (!text.empty() && text.back() != '\n') text += '\n';
  hb_datagram(">>>\n" + text + "auth=" + heartbeat::wire::sign(hb_keys(), text) + "\n<<<\n");
}

void fuzz_hb_datagram(std::string_view in) { hb_datagram(in); }

// ---- halb-lvsd -----------------------------------------------------------

// One request per line into a fresh table, as the control socket serves
// them; handle() promises nothing escapes it.
void fuzz_lvsd_control(std::string_view in) {
  director::lvsd::SharedTable shared;
  director::lvsd::ControlHandler handler(shared, [] { return 1000.0; }, [] {});
  size_t pos = 0;
  while (pos < in.size()) {
    size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos) nl = in.size();
    auto req = nlohmann::json::parse(in.substr(pos, nl - pos), nullptr, false);
    pos = nl + 1;
    if (req.is_discarded() || !req.is_object()) continue;
    nlohmann::json reply;
    try {
      reply = handler.handle(req);
    } catch (const std::exception& e) {
      fprintf(stderr, "ControlHandler::handle threw: %s\n", e.what());
      abort();
    }
    check(reply.is_object() && reply.contains("ok"), "a control reply says ok");
    reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

// First byte: bits 0-1 our sync id; bit 2 set: the header's size field is
// made the datagram's length, so mutations that add or drop bytes get past it.
void fuzz_lvsd_sync(std::string_view in) {
  using namespace director::lvsd::sync;
  if (in.empty()) return;
  uint8_t syncid = static_cast<uint8_t>(in[0]) & 3;
  bool fix_size = in[0] & 4;
  std::string datagram(in.substr(1));
  if (fix_size && datagram.size() >= kHeaderSize && datagram.size() <= 0xffff) {
    datagram[2] = static_cast<char>(datagram.size() >> 8);
    datagram[3] = static_cast<char>(datagram.size() & 0xff);
  }
  Decoded d = decode(reinterpret_cast<const uint8_t*>(datagram.data()), datagram.size(), syncid);
  if (d.entries.empty()) return;
  size_t oversized = 0;
  auto datagrams = encode(d.entries, d.syncid, 65535, &oversized);
  check(oversized == 0, "a decoded entry fits a datagram");
  std::vector<Entry> back;
  for (auto& g : datagrams) {
    Decoded again = decode(g.data(), g.size(), d.syncid);
    check(again.refusal == Refusal::none, "a re-encoded sync datagram is accepted");
    back.insert(back.end(), again.entries.begin(), again.entries.end());
  }
  check(back == d.entries, "sync entries round trip");
}

// ---- halb-director's health checks -------------------------------------------

namespace checks = halb::director::checks;

constexpr char kRadiusSecret[] = "s3cret";
const std::string kRadiusAuthenticator(16, '\x5a');

// What a check's reason quotes of an answer: bounded, no control bytes.
void reason_text(const std::string& s, size_t max) {
  check(s.size() <= max, "a reason quotes a bounded part of the answer");
  for (char c : s) check(c >= 32 && c < 127, "a reason quotes printable bytes");
}

// Every MySQL payload as the check may meet it: greeting, ERR,
// AuthSwitchRequest, a result set's length-encoded integers.
void mysql_payload(std::string_view payload) {
  namespace mysql = checks::mysql;
  std::string error;
  if (auto g = mysql::parse_greeting(payload, error)) {
    check(g->scramble.size() <= 20, "a greeting's scramble has at most 20 bytes");
    mysql::native_token("pw", g->scramble);
    mysql::handshake_response(g->capabilities, "monitor", mysql::native_token("pw", g->scramble), "db");
  } else {
    check(!error.empty(), "a refused greeting says why");
  }
  reason_text(mysql::error_text(payload), 256);
  std::string plugin;
  if (auto sw = mysql::parse_auth_switch(payload, plugin)) check(sw->scramble.size() <= 20, "auth switch scramble");
  for (size_t at = 0, before = 0; mysql::lenenc(payload, at); before = at)
    check(at > before && at <= payload.size(), "lenenc moves forward inside the payload");
}

void fuzz_probe_replies(std::string_view in) {
  if (in.empty()) return;
  bool sign_radius = in[0] & 1;
  const std::string bytes(in.substr(1));

  // mysql: packets off the stream, then the whole input as one payload.
  std::string stream = bytes;
  bool too_big = false;
  while (auto p = checks::mysql::take_packet(stream, too_big)) mysql_payload(p->payload);
  mysql_payload(bytes);

  // dns, answering its own id.
  uint16_t id = 0;
  if (bytes.size() >= 2) id = static_cast<uint16_t>(static_cast<uint8_t>(bytes[0]) << 8 | static_cast<uint8_t>(bytes[1]));
  checks::DnsAnswer dns = checks::parse_dns_answer(bytes, id);
  for (const std::string& v : dns.values) check(!v.empty(), "a DNS answer value is not empty");
  check(dns.ours || (dns.values.empty() && !dns.malformed), "only our answer has values");

  // radius
  std::string datagram = bytes;
  bool signed_ = false;
  if (sign_radius && datagram.size() >= 20) {
    size_t len = static_cast<uint8_t>(datagram[2]) << 8 | static_cast<uint8_t>(datagram[3]);
    signed_ = len >= 20 && len <= datagram.size();
    if (signed_)
      datagram.replace(4, 16, checks::md5(datagram.substr(0, 4) + kRadiusAuthenticator + datagram.substr(20, len - 20) +
                                          kRadiusSecret));
  }
  uint8_t radius_id = datagram.size() >= 2 ? static_cast<uint8_t>(datagram[1]) : 0;
  auto radius = checks::parse_radius_answer(datagram, radius_id, kRadiusAuthenticator, kRadiusSecret);
  if (signed_) check(radius.kind == checks::RadiusAnswer::signed_, "an answer signed with the secret is accepted");

  // sip, over TCP (more may come) and UDP (the datagram is all).
  checks::sip_first_line(bytes, false);
  if (auto line = checks::sip_first_line(bytes, true)) reason_text(checks::printable(*line), 120);

  // pgsql
  stream = bytes;
  bool malformed = false;
  while (auto m = checks::take_pg_message(stream, malformed)) {
    check(m->body.size() < (1u << 20), "a pgsql message is bounded");
    if (m->type == 'E') reason_text(checks::pg_error_message(m->body), 200);
    if (m->type == 'R' && m->body.size() >= 4) checks::get32be(m->body, 0);
  }

  // smtp, pop, imap, nntp: each line through every judge, as a dialog would.
  std::vector<checks::Judge> judges = {checks::smtp_reply('2'), checks::line_starts("+OK"),
                                       checks::line_starts("* OK"), checks::imap_tagged("a1"),
                                       checks::line_starts("2")};
  stream = bytes;
  while (auto line = checks::take_line(stream)) {
    check(line->find('\n') == std::string::npos, "a line holds no newline");
    for (auto& judge : judges) judge(*line);
    reason_text(checks::printable(*line), 120);
  }

  // http
  if (auto end = checks::http_head_end(bytes)) {
    check(end->first + end->second <= bytes.size(), "the head ends inside the reply");
    if (auto head = checks::parse_http_head(std::string_view(bytes).substr(0, end->first))) {
      check(head->status >= 0 && head->status <= 999, "an HTTP status has three digits");
      check(head->content_length >= -1, "Content-Length is unknown or not negative");
    }
  }
  checks::parse_http_head(bytes);
}

// ---- config files --------------------------------------------------------

void fuzz_ldirectord_cf(std::string_view in) {
  director::config::ReadOptions options;
  options.hostname = "director1";
  config_text([&] { director::config::parse_ldirectord_cf(in, "ldirectord.cf", options); });
}

void fuzz_config_ini(std::string_view in) {
  config_text([&] { cluster::parse_config_ini(in, "config.ini"); });
}

void fuzz_my_cnf(std::string_view in) {
  config_text([&] {
    cluster::MyCnf cnf = cluster::parse_my_cnf(in, "my.cnf");
    for (auto p : {cluster::ClusterProgram::kNdbd, cluster::ClusterProgram::kNdbMgm, cluster::ClusterProgram::kNdbMgmd,
                   cluster::ClusterProgram::kNdbRestore, cluster::ClusterProgram::kMysqld})
      config_text([&] { cluster::cluster_options(cnf, p); });
  });
}

void fuzz_ha_cf(std::string_view in) {
  config_text([&] { heartbeat::parse_ha_cf_text(in, "ha.cf", "ndb1"); });
}

void fuzz_haresources(std::string_view in) {
  config_text([&] { heartbeat::parse_haresources_text(in, "haresources", {"ndb1", "ndb2"}); });
}

void fuzz_authkeys(std::string_view in) {
  config_text([&] {
    heartbeat::AuthKeys keys = heartbeat::parse_authkeys_text(in, "authkeys");
    // What the daemon then does with them: sign and check its own message.
    std::string why;
    check(heartbeat::wire::verify(keys, heartbeat::wire::sign(keys, "t=status\n"), "t=status\n", why),
          "a node accepts what it signed");
  });
}

// ---- the table of surfaces -------------------------------------------------

struct Surface {
  const char* name;
  void (*fuzz)(std::string_view);
  const char* sample;  // a sample config under etc/ for the seed corpus, or ""
};

const Surface kSurfaces[] = {
    {"frame", fuzz_frame, ""},
    {"engine", fuzz_engine, ""},
    {"mgm", fuzz_mgm, ""},
    {"hb-classic", fuzz_hb_classic, ""},
    {"hb-datagram", fuzz_hb_datagram, ""},
    {"lvsd-control", fuzz_lvsd_control, ""},
    {"lvsd-sync", fuzz_lvsd_sync, ""},
    {"ldirectord.cf", fuzz_ldirectord_cf, "ha.d/ldirectord.cf"},
    {"config.ini", fuzz_config_ini, "mysql-cluster/config.ini"},
    {"my.cnf", fuzz_my_cnf, "mysql-cluster/my.cnf"},
    {"ha.cf", fuzz_ha_cf, "ha.d/ha.cf"},
    {"haresources", fuzz_haresources, "ha.d/haresources"},
    {"authkeys", fuzz_authkeys, "ha.d/authkeys"},
    {"mgmd", fuzz_mgmd, ""},
    {"probe-replies", fuzz_probe_replies, ""},
};
constexpr size_t kSurfaceCount = sizeof(kSurfaces) / sizeof(kSurfaces[0]);

size_t surface_index(std::string_view name) {
  for (size_t i = 0; i < kSurfaceCount; ++i)
    if (name == kSurfaces[i].name) return i;
  abort();
}

// ---- the seed corpus -------------------------------------------------------

using Seeds = std::vector<std::pair<std::string, std::string>>;  // surface name, bytes after the selector

void engine_seeds(Seeds& out) {
  using namespace cluster::engine;
  ApiExecuteReq exec;
  exec.api_node = 5;
  exec.request = 7;
  ApiOp op;
  op.table_id = 2;
  op.type = OpType::kUpdate;
  op.lock = LockMode::kExclusive;
  op.key = {Value(int64_t{-3}), Value(std::string("k"))};
  op.set = {{1, Value(2.5)}, {2, Value(uint64_t{9})}, {3, Value()}};
  op.unique_index = 1;
  exec.ops.push_back(op);
  exec.exec = ExecType::kCommit;
  ApiScanReq scan;
  scan.spec.index_id = 1;
  scan.spec.low = {Value(int64_t{1})};
  scan.spec.high = {Value(int64_t{100})};
  ApiScanBatch batch;
  batch.rows = {{Value(int64_t{1}), Value(std::string("a"))}};
  TakeoverConf tc;
  tc.transactions.push_back({42, true, 7});
  std::vector<Message> messages = {exec, scan, batch, tc};
  // One default message of every type.
  [&]<size_t... I>(std::index_sequence<I...>) {
    (messages.push_back(Message(std::in_place_index<I>)), ...);
  }(std::make_index_sequence<std::variant_size_v<Message>>());
  for (const Message& m : messages) {
    uint16_t type = cluster::wire::engine_message_type(m);
    std::string bytes = cluster::wire::encode_engine_message(m);
    out.emplace_back("engine", std::string(1, static_cast<char>(type - cluster::wire::kFirstEngineMessage)) + bytes);
    const uint16_t version = cluster::wire::engine_message_version(type);  // else the registry refuses it
    out.emplace_back("frame", std::string(1, '\x0f') + transport::encode_frame(type, version, 1, 2, bytes, false) +
                                  transport::encode_frame(transport::kMsgHeartbeat, 1, 1, 2, "", false));
  }
  cluster::wire::ControlMsg control{3, 0, "t1", "data"};
  out.emplace_back("engine", "\x80" + cluster::wire::encode_control(control));
  out.emplace_back("frame", "\x01" + transport::encode_frame(cluster::wire::kDictInstall, 1, 1, 2,
                                                             cluster::wire::encode_control(control), true));
}

void mgm_seeds(Seeds& out) {
  using namespace cluster::mgmapi;
  Message get("get nodeid");
  get.add("version", static_cast<long long>(kProtocolVersion)).add("nodetype", 0).add("nodeid", 2);
  get.add("user", "mysqld").add("password", "mysqld").add("public key", "a public key").add("endian", "little");
  NodeState data;
  data.node_id = 2;
  data.status = NodeStatus::kStarted;
  data.version = kProtocolVersion;
  data.node_group = 0;
  data.address = "10.0.0.2";
  data.transporter_port = 2202;
  NodeState api;
  api.node_id = 4;
  api.type = cluster::NodeType::kApi;
  Message event("event");
  event.add("category", "STARTUP").add("severity", "INFO").add("text", "Node 2: Started");
  std::string ini = "[ndbd default]\nNoOfReplicas=1\n[ndb_mgmd]\nHostName=127.0.0.1\n[ndbd]\nHostName=127.0.0.1\n"
                    "[mysqld]\n";
  out.emplace_back("mgm", "\xff" + format(get) + format(encode_status({data, api})) + format(event) +
                              format(encode_config(ini)));
}

// Conversations with halb-mgmd as its clients and nodes hold them; the
// command sequence numbers are the ones a fresh server hands out.
void mgmd_seeds(Seeds& out) {
  using cluster::mgmapi::Message;
  auto msg = [](const Message& m) { return cluster::mgmapi::format(m); };
  // Segment selector: connection, | 4 reset after, | 8 wait after.
  auto then = [](int how) { return std::string("\x01") + static_cast<char>(how); };
  auto node = [&](int id, const char* status) {
    Message get("get nodeid");
    get.add("version", static_cast<long long>(cluster::mgmapi::kProtocolVersion)).add("nodetype", 0).add("nodeid", id);
    get.add("user", "mysqld").add("password", "mysqld").add("public key", "a public key").add("endian", "little");
    Message state("report state");
    state.add("status", status).add("startphase", 0).add("dynamic_id", id - 1).add("node_group", 0);
    state.add("transporter_port", 40000 + id);
    return msg(get) + msg(Message("node session").add("nodeid", id)) + msg(state);
  };
  auto event = [&](const char* category, const std::string& text) {
    return msg(Message("report event").add("category", category).add("threshold", 7).add("severity", "INFO").add("text", text));
  };
  auto reply = [&](int seq, const char* result) {
    return msg(Message("node command reply").add("seq", seq).add("result", result));
  };
  // A management client's every request, without nodes.
  std::string client;
  for (const char* head : {"get version", "get status", "get config", "get config_v2", "get mgmd nodeid",
                           "check connection", "get info clusterlog", "purge stale sessions", "report memoryusage",
                           "start backup", "stop all", "restart all", "start all", "exit single user"})
    client += msg(Message(head));
  client += msg(Message("set loglevel").add("node", 1).add("category", "STARTUP").add("level", 15));
  client += msg(Message("set cluster loglevel").add("node", 2).add("category", "BACKUP").add("level", 3));
  client += msg(Message("set logfilter").add("level", "INFO").add("enable", 0));
  client += msg(Message("set logfilter").add("level", 0).add("enable", 1));
  client += msg(Message("enter single user").add("nodeId", 4));
  client += msg(Message("abort backup").add("id", 1));
  client += msg(Message("stop").add("node", "2 3").add("abort", 1));
  client += msg(Message("restart node v2").add("node", "2").add("initialstart", 1).add("nostart", 1));
  client += msg(Message("start").add("node", "3"));
  client += msg(Message("bye"));
  out.emplace_back("mgmd", std::string("\x00", 1) + client);
  // A data node's session; a client stops it (command 1), it says Ok and goes.
  out.emplace_back("mgmd", std::string("\x00", 1) + node(2, "STARTED") + event("STARTUP", "Start phase 3 completed") +
                               msg(Message("arbitrate").add("seq", 1).add("ticket", 7)) + msg(Message("get status")) +
                               then(1) + msg(Message("stop").add("node", 2)) + then(4) + reply(1, "Ok"));
  // Two started data nodes and a client: backup (1), memory report (2, 3),
  // restart (4), single user mode (5); node 3 vanishes mid-restart.
  out.emplace_back("mgmd", std::string("\x00", 1) + node(2, "STARTED") + then(1) + node(3, "STARTED") + then(2) +
                               msg(Message("start backup").add("completed", 2)) + then(0) +
                               msg(Message("node command reply").add("seq", 1).add("result", "Ok").add("id", 1)) +
                               event("BACKUP", "Backup 1 started from node 2") +
                               event("BACKUP", "Backup 1 started from node 2 completed") + then(2) +
                               msg(Message("report memoryusage")) + then(0) +
                               msg(Message("node command reply").add("seq", 2).add("result", "Ok").add("data_used", 5)
                                       .add("data_total", 100).add("index_used", 1).add("index_total", 10)) +
                               then(1) + reply(3, "no memory to report") + then(2) +
                               msg(Message("restart node").add("node", 3)) + then(5) + then(2) +
                               msg(Message("enter single user").add("nodeId", 5)) + then(0) + reply(5, "Ok"));
  // An event listener and a node whose events it hears; a stop nobody
  // answers times out.
  out.emplace_back("mgmd", std::string("\x02", 1) +
                               msg(Message("listen event").add("filter", "STARTUP=15 BACKUP=15 CONNECTION=8")
                                       .add("parsable", 1)) +
                               then(1) + node(3, "STARTING") + event("STARTUP", "Start phase 1 completed") +
                               msg(Message("arbitrate").add("seq", 1).add("ticket", 9)) + then(2) +
                               msg(Message("stop").add("node", 3)) + then(8) + then(1) +
                               event("BACKUP", "Backup 4 started from 3 has been aborted. Error: 1340"));
}

void hb_seeds(Seeds& out) {
  heartbeat::wire::Message m;
  for (auto [k, v] : {std::pair{"t", "status"}, {"st", "active"}, {"dt", "7d0"}, {"src", "ndb1"}, {"seq", "1f"},
                      {"hg", "7"}, {"ts", "6b03cfb2"}, {"ld", "0.00 0.01 0.05 1/99 1234"}, {"ttl", "3"}})
    m.add(k, v);
  m.add("data", std::string("\0\x01binary", 8), heartbeat::wire::FieldType::binary);
  std::string classic = heartbeat::wire::encode(m, heartbeat::wire::Format::classic, hb_keys());
  out.emplace_back("hb-datagram", classic);
  out.emplace_back("hb-datagram", heartbeat::wire::encode(m, heartbeat::wire::Format::netstring, hb_keys()));
  out.emplace_back("hb-classic", classic.substr(4, classic.find("auth=") - 4));
}

void lvsd_seeds(Seeds& out) {
  out.emplace_back(
      "lvsd-control",
      R"({"cmd":"add-service","service":{"protocol":"tcp","addr":"10.0.0.1","port":80,"scheduler":"wrr"}})"
      "\n"
      R"({"cmd":"add-dest","service":{"protocol":"tcp","addr":"10.0.0.1","port":80},)"
      R"("dest":{"addr":"10.0.0.2","port":8080,"weight":3,"forward":"route","u_threshold":10}})"
      "\n"
      R"({"cmd":"get-services"})"
      "\n"
      R"({"cmd":"add-service","service":{"protocol":"fwmark","fwmark":7,"family":"inet6","scheduler":"sh",)"
      R"("flags":1,"timeout":300,"netmask":64}})"
      "\n"
      R"({"cmd":"start-daemon","daemon":{"role":"master","mcast_ifn":"eth1","syncid":1}})"
      "\n"
      R"({"cmd":"get-connections"})"
      "\n"
      R"({"cmd":"stop-daemon","role":"master"})"
      "\n"
      R"({"cmd":"set-timeouts","timeouts":{"tcp":900,"tcp_fin":120,"udp":300}})"
      "\n"
      R"({"cmd":"del-service","service":{"protocol":"tcp","addr":"10.0.0.1","port":80}})"
      "\n");
  using namespace director::lvsd::sync;
  Entry v4;
  v4.caddr = *director::IpAddress::parse("192.0.2.9");
  v4.vaddr = *director::IpAddress::parse("10.0.0.1");
  v4.daddr = *director::IpAddress::parse("10.0.0.2");
  v4.cport = 40000;
  v4.vport = v4.dport = 80;
  v4.state = kTcpEstablished;
  v4.timeout = 900;
  Entry v6 = v4;
  v6.family = director::Family::v6;
  v6.caddr = *director::IpAddress::parse("2001:db8::9");
  v6.vaddr = *director::IpAddress::parse("2001:db8::1");
  v6.daddr = *director::IpAddress::parse("2001:db8::2");
  v6.flags = kConnTemplate;
  v6.seq_data.assign(kSeqDataSize, 1);
  v6.pe_name = "sip";
  v6.pe_data = {'c', 'i', 'd'};
  for (auto& g : encode({v4, v6}, 1, 1500)) {
    out.emplace_back("lvsd-sync", "\x01" + std::string(g.begin(), g.end()));
    out.emplace_back("lvsd-sync", "\x05" + std::string(g.begin(), g.end()));
  }
}

// What real servers answer the health checks; each seed's first byte is the
// probe-replies flags (1: sign it as a RADIUS answer).
void probe_seeds(Seeds& out) {
  using namespace std::string_literals;
  auto plain = [&](std::string bytes) { out.emplace_back("probe-replies", "\x00"s + bytes); };
  namespace mysql = checks::mysql;
  // MySQL 8.0 greeting (caching_sha2_password), as mysqld sends it.
  plain(mysql::frame(0, "\x0a" "8.0.36\0" "\x0b\x00\x00\x00" "abcdefgh" "\0" "\xff\xff" "\xff" "\x02\x00"
                        "\xff\xdf" "\x15"s + std::string(10, '\0') + "ijklmnopqrst\0" "caching_sha2_password\0"s));
  // AuthSwitch to native, OK, then a result set of one column and one row.
  const std::string eof = "\xfe\x00\x00\x02\x00"s;
  plain(mysql::frame(2, "\xfe" "mysql_native_password\0" "ABCDEFGHIJKLMNOPQRST\0"s) +
        mysql::frame(4, "\x00\x00\x00\x02\x00\x00\x00"s) + mysql::frame(1, "\x01"s) +
        mysql::frame(2, "\x03" "def" "\0\0\0" "\x01" "1" "\0" "\x0c\x3f\x00\x01\x00\x00\x00\x08\x81\x00\x00\x00\x00"s) +
        mysql::frame(3, eof) + mysql::frame(4, "\x01" "1"s) + mysql::frame(5, eof) +
        mysql::frame(6, "\xfc\x10\x27" "\xfd\x01\x02\x03" "\xfe\x01\x02\x03\x04\x05\x06\x07\x08" "\xfb"s));
  plain(mysql::frame(2, "\xff\x15\x04" "#28000" "Access denied for user 'monitor'@'10.0.0.1' (using password: YES)"s));
  // DNS: example.com A (the name compressed), a PTR, an AAAA.
  plain("\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" "\x07" "example" "\x03" "com" "\x00\x00\x01\x00\x01"
        "\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22"s);
  plain("\xbe\xef\x85\x80\x00\x01\x00\x01\x00\x00\x00\x00" "\x01" "2" "\x01" "0" "\x02" "10" "\x07" "in-addr"
        "\x04" "arpa" "\x00\x00\x0c\x00\x01" "\xc0\x0c\x00\x0c\x00\x01\x00\x00\x0e\x10\x00\x0a" "\x04" "real" "\x02"
        "lb" "\x00"s);
  plain("\x00\x07\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" "\x03" "www" "\x07" "example" "\x03" "com"
        "\x00\x00\x1c\x00\x01" "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x3c\x00\x10" "\x20\x01\x0d\xb8"s +
        std::string(11, '\0') + "\x01"s);
  plain("\x12\x34\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" "\x07" "missing" "\x00\x00\x01\x00\x01"s);
  // RADIUS Access-Reject with a Reply-Message, and an Access-Accept; signed.
  out.emplace_back("probe-replies", "\x01" "\x03\x2a\x00\x1e"s + std::string(16, '\0') + "\x12\x0a" "Rejected"s);
  out.emplace_back("probe-replies", "\x01" "\x02\x07\x00\x14"s + std::string(16, '\0'));
  plain("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-halb-5060\r\nTo: <sip:monitor>;tag=a1\r\n"
        "From: <sip:monitor>;tag=halb5060\r\nCall-ID: halb-director-5060\r\nCSeq: 1 OPTIONS\r\n"
        "Allow: INVITE, ACK, OPTIONS\r\nContent-Length: 0\r\n\r\n");
  plain("220 mail.example.com ESMTP Postfix\r\n250-mail.example.com\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
        "250 8BITMIME\r\n235 2.7.0 Authentication successful\r\n221 2.0.0 Bye\r\n");
  plain("+OK Dovecot ready.\r\n+OK\r\n-ERR [AUTH] Authentication failed.\r\n");
  plain("* OK [CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN] Dovecot ready.\r\n* CAPABILITY IMAP4rev1\r\n"
        "a1 OK Logged in\r\n");
  plain("200 news.example.com InterNetNews server ready\r\n381 PASS required\r\n281 Ok\r\n");
  // PostgreSQL: md5 request, AuthenticationOk, startup chatter, one row; an error.
  plain("R\x00\x00\x00\x0c\x00\x00\x00\x05\x01\x02\x03\x04" "R\x00\x00\x00\x08\x00\x00\x00\x00"
        "S\x00\x00\x00\x18" "server_version\0" "16.1\0" "K\x00\x00\x00\x0c\x00\x00\x04\xd2\x12\x34\x56\x78"
        "Z\x00\x00\x00\x05I" "T\x00\x00\x00\x21\x00\x01" "?column?\0"
        "\0\0\0\0\0\0\0\0\0\x17\x00\x04\xff\xff\xff\xff\x00\x00"
        "D\x00\x00\x00\x0b\x00\x01\x00\x00\x00\x01" "1" "C\x00\x00\x00\x0d" "SELECT 1\0" "Z\x00\x00\x00\x05I"s);
  plain("E\x00\x00\x00\x54" "SFATAL\0" "VFATAL\0" "C28P01\0" "Mpassword authentication failed for user \"x\"\0"
        "Rauth_failed\0" "\0"s);
  plain("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<p>alive</p>\n");
  plain("HTTP/1.0 301 Moved Permanently\nLocation: https://example.com/\nContent-Length: 0\n\n");
  plain("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nalive\r\n0\r\n\r\n");
}

// --seeds=DIR [--samples=ETC]
void write_seeds(const std::string& dir, const std::string& samples) {
  Seeds seeds;
  engine_seeds(seeds);
  mgm_seeds(seeds);
  hb_seeds(seeds);
  lvsd_seeds(seeds);
  mgmd_seeds(seeds);
  probe_seeds(seeds);
  for (const Surface& s : kSurfaces) {
    if (!*s.sample || samples.empty()) continue;
    std::ifstream in(samples + "/" + s.sample, std::ios::binary);
    if (!in) {
      fprintf(stderr, "cannot read %s/%s\n", samples.c_str(), s.sample);
      exit(1);
    }
    seeds.emplace_back(s.name, std::string(std::istreambuf_iterator<char>(in), {}));
  }
  int n = 0;
  for (auto& [surface, bytes] : seeds) {
    std::string path = dir + "/seed-" + std::to_string(n++) + "-" + surface;
    std::ofstream f(path, std::ios::binary);
    f << static_cast<char>(surface_index(surface)) << bytes;
    if (!f.flush()) {
      fprintf(stderr, "cannot write %s\n", path.c_str());
      exit(1);
    }
  }
  printf("%d seeds in %s\n", n, dir.c_str());
  exit(0);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  std::string seeds, samples;
  for (int i = 1; i < *argc; ++i) {
    std::string_view a = (*argv)[i];
    if (a.rfind("--seeds=", 0) == 0) seeds = a.substr(8);
    if (a.rfind("--samples=", 0) == 0) samples = a.substr(10);
  }
  if (!seeds.empty()) write_seeds(seeds, samples);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  kSurfaces[data[0] % kSurfaceCount].fuzz(rest);
  return 0;
}
