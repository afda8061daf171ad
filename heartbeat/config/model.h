// heartbeat/config/model.h: the parsed heartbeat configuration, as plain
// structs. No parser, socket or libev includes here: the runtime, the tests
// and halb-hbctl all read these.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace halb::heartbeat {

// ---- ha.cf -------------------------------------------------------------

enum class MediumKind { bcast, mcast, ucast, serial };

struct Medium {
  MediumKind kind = MediumKind::bcast;
  std::string device;       // eth1; for serial the tty path
  std::string address;      // mcast group or ucast peer; empty for bcast
  uint16_t port = 694;      // udpport (bcast/ucast) or the mcast line's own port
  int ttl = 1;              // mcast
  bool loop = false;        // mcast
  int baud = 19200;         // serial
  int line = 0;             // ha.cf line, for messages
};

enum class AutoFailback { legacy, on, off };

struct PingGroup {
  std::string name;                     // the pseudo-node's name (the IP for a plain `ping`)
  std::vector<std::string> addresses;   // up while any of these answers
};

struct Respawn {
  std::string user;
  std::string program;  // the command line as written
  int line = 0;
};

struct ApiAuth {
  std::string client;
  std::string uid;  // comma list as written
  std::string gid;
};

// A directive heartbeat acts on that halb reads and checks but does not act
// on (watchdog, stonith, rtprio, ...), kept so the daemon can say so.
struct InertDirective {
  std::string name;
  std::string value;  // the arguments as written
  int line = 0;
};

struct HaCf {
  std::string path;

  long long keepalive_ms = 1000;
  long long deadtime_ms = 30000;
  long long warntime_ms = 0;   // resolved: deadtime/2 when unset
  long long initdead_ms = 0;   // resolved per heartbeat's rule when unset
  long long deadping_ms = 0;   // resolved: deadtime when unset
  bool warntime_set = false;
  bool initdead_set = false;
  bool deadping_set = false;

  uint16_t udpport = 694;
  int baud = 19200;
  std::vector<Medium> media;
  std::vector<std::string> nodes;      // lowercased, in file order
  AutoFailback auto_failback = AutoFailback::legacy;
  bool auto_failback_set = false;
  std::vector<PingGroup> ping_groups;  // `ping` lines give one group per address
  std::vector<Respawn> respawns;
  std::vector<ApiAuth> apiauths;

  std::optional<std::string> logfacility;  // "none" means explicitly none
  std::string logfile;
  std::string debugfile;
  bool use_logd = false;
  int debug = 0;

  int hopfudge = 1;
  bool realtime = true;
  std::string msgfmt = "classic";  // classic | netstring
  std::string hbgenmethod = "file";
  std::string uuidfrom = "file";
  std::string compression = "zlib";
  int compression_threshold_kb = 2;
  bool traditional_compression = false;
  long long max_rexmit_delay_ms = 250;
  std::string crm = "off";
  std::string autojoin = "none";
  std::string cluster = "linux-ha";
  bool coredumps = true;
  std::vector<InertDirective> inert;  // accepted, validated, not acted on

  // halb extensions (documented in ha.cf(5)).
  std::string bind_address;   // bind ucast/bcast sockets to this local address (loopback labs)
  long long agent_timeout_ms = 60000;  // a resource agent call is killed after this

  // Warnings found while parsing (not errors): "file:line: text".
  std::vector<std::string> warnings;
};

// ---- authkeys ----------------------------------------------------------

enum class AuthMethod { crc, md5, sha1, sha256 };

struct AuthKey {
  AuthMethod method = AuthMethod::crc;
  std::string secret;  // empty for crc
};

struct AuthKeys {
  std::string path;
  int active = 0;                   // `auth N`: index used to sign outgoing messages
  std::map<int, AuthKey> keys;      // every listed index is accepted on input
};

// ---- haresources -------------------------------------------------------

struct ResourceSpec {
  std::string agent;              // as written: IPAddr2, ldirectord, IPaddr (bare IP)
  std::vector<std::string> args;  // the ::-separated arguments
  std::string text;               // as written in the file ("ldirectord::ldirectord.cf")
};

struct ResourceGroup {
  std::string node;                     // preferred node, lowercased
  std::vector<ResourceSpec> resources;  // start left to right, stop right to left
  int line = 0;
  // The group's key: the text of its first resource (heartbeat's ip-request key).
  const std::string& key() const { return resources.front().text; }
};

struct HaResources {
  std::string path;
  std::vector<ResourceGroup> groups;
};

}  // namespace halb::heartbeat
