// director/adm/grammar.cc: see grammar.h. The tables are ipvsadm 1.31's,
// entry for entry, so that its messages come out for the same mistakes.
#include "director/adm/grammar.h"

namespace halb::director::adm {

namespace {

using A = ArgKind;
constexpr OptionSpec kOptions[] = {
    {"add-service", 'A', A::none, 'A'},       {"edit-service", 'E', A::none, 'E'},
    {"delete-service", 'D', A::none, 'D'},    {"clear", 'C', A::none, 'C'},
    {"list", 'L', A::none, 'L'},              {nullptr, 'l', A::none, 'l'},
    {"zero", 'Z', A::none, 'Z'},              {"add-server", 'a', A::none, 'a'},
    {"edit-server", 'e', A::none, 'e'},       {"delete-server", 'd', A::none, 'd'},
    {"set", 0, A::none, kTagSet},             {"help", 'h', A::none, 'h'},
    {"version", 'v', A::none, 'v'},           {nullptr, 'V', A::none, 'v'},
    {"restore", 'R', A::none, 'R'},           {"save", 'S', A::none, 'S'},
    {"start-daemon", 0, A::required, kTagStartDaemon},
    {"stop-daemon", 0, A::required, kTagStopDaemon},
    {"tcp-service", 't', A::required, 't'},   {"udp-service", 'u', A::required, 'u'},
    {"sctp-service", 0, A::required, kTagSctp},
    {"fwmark-service", 'f', A::required, 'f'},
    {"scheduler", 's', A::required, 's'},     {"persistent", 'p', A::optional, 'p'},
    {"netmask", 'M', A::required, 'M'},       {"real-server", 'r', A::required, 'r'},
    {"masquerading", 'm', A::none, 'm'},      {"ipip", 'i', A::none, 'i'},
    {"gatewaying", 'g', A::none, 'g'},        {"weight", 'w', A::required, 'w'},
    {"u-threshold", 'x', A::required, 'x'},   {"l-threshold", 'y', A::required, 'y'},
    {"numeric", 'n', A::none, 'n'},           {"connection", 'c', A::none, 'c'},
    {"mcast-interface", 0, A::required, kTagMcastInterface},
    {"syncid", 0, A::required, kTagSyncId},   {"timeout", 0, A::none, kTagTimeout},
    {"daemon", 0, A::none, kTagDaemon},       {"stats", 0, A::none, kTagStats},
    {"rate", 0, A::none, kTagRate},           {"thresholds", 0, A::none, kTagThresholds},
    {"persistent-conn", 0, A::none, kTagPersistentConn},
    {"nosort", 0, A::none, kTagNoSort},       {"sort", 0, A::none, kTagSort},
    {"exact", 'X', A::none, 'X'},             {"ipv6", '6', A::none, '6'},
    {"ops", 'o', A::none, 'o'},               {"pe", 0, A::required, kTagPe},
    {"sched-flags", 'b', A::required, 'b'},   {"mcast-group", 0, A::required, kTagMcastGroup},
    {"mcast-port", 0, A::required, kTagMcastPort},
    {"mcast-ttl", 0, A::required, kTagMcastTtl},
    {"sync-maxlen", 0, A::required, kTagSyncMaxlen},
    {"tun-info", 0, A::none, kTagTunInfo},    {"tun-type", 0, A::required, kTagTunType},
    {"tun-port", 0, A::required, kTagTunPort},
    {"tun-nocsum", 0, A::none, kTagTunNoCsum},
    {"tun-csum", 0, A::none, kTagTunCsum},    {"tun-remcsum", 0, A::none, kTagTunRemCsum},
};

// ipvsadm's names for the options and commands in its messages.
constexpr const char* kOptNames[kOptCount] = {
    "numeric", "connection", "service-address", "scheduler", "persistent", "netmask", "real-server",
    "forwarding-method", "weight", "u-threshold", "l-threshold", "mcast-interface", "timeout", "daemon",
    "stats", "rate", "thresholds", "persistent-conn", "nosort", "syncid", "exact", "ops", "pe",
    "sched-flags", "mcast-group", "mcast-port", "mcast-ttl", "sync-maxlen", "tun-info", "tun-type",
    "tun-port", "tun-nocsum", "tun-csum", "tun-remcsum",
};

struct CommandRule {
  Cmd cmd;
  const char* name;
  // One character per Opt: '+' required, 'x' forbidden, '1' at most one
  // of the '1's, ' ' allowed.
  const char* options;
};

// ipvsadm's commands_v_options table, column for column.
//                                  0         1         2         3
//                                  0123456789012345678901234567890123
constexpr CommandRule kRules[] = {
    {Cmd::add_service, "add-service", "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx"},
    {Cmd::edit_service, "edit-service", "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx"},
    {Cmd::del_service, "delete-service", "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    {Cmd::flush, "flush", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    {Cmd::list, "list", " 11xxxxxxxxx11       xxxxxxx xxxxx"},
    {Cmd::add_dest, "add-server", "xx+xxx+    xxxxxxxxxxxxxxxxxx     "},
    {Cmd::del_dest, "delete-server", "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    {Cmd::edit_dest, "edit-server", "xx+xxx+    xxxxxxxxxxxxxxxxxx     "},
    {Cmd::set_timeouts, "set", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    {Cmd::start_daemon, "start-daemon", "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx"},
    {Cmd::stop_daemon, "stop-daemon", "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx"},
    {Cmd::restore, "restore", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    {Cmd::save, "save", " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
    {Cmd::zero, "zero", "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
};

// Tunnel types against --tun-port, --tun-nocsum, --tun-csum, --tun-remcsum.
struct TunnelRule {
  const char* name;
  const char* options;
};
constexpr TunnelRule kTunnelRules[] = {{"ipip", "xxxx"}, {"gue", "+111"}, {"gre", "x111"}};
constexpr Opt kTunnelOpts[] = {kOptTunPort, kOptTunNoCsum, kOptTunCsum, kOptTunRemCsum};

}  // namespace

std::span<const OptionSpec> option_table() { return kOptions; }

const char* option_name(Opt o) { return kOptNames[o]; }

const char* tunnel_type_name(int type) { return kTunnelRules[type].name; }

void fail(const std::string& msg, int status) { throw ArgError{status, msg + "\n"}; }

void check_combination(Cmd cmd, uint64_t options) {
  for (const auto& rule : kRules) {
    if (rule.cmd != cmd) continue;
    int last = 0, count = 0;
    for (int j = 0; j < kOptCount; j++) {
      char want = rule.options[j];
      if (!(options & (uint64_t{1} << j))) {
        if (want == '+')
          fail(std::string("You need to supply the '") + kOptNames[j] + "' option for the '" + rule.name +
               "' command");
        continue;
      }
      if (want == 'x')
        fail(std::string("Illegal '") + kOptNames[j] + "' option with the '" + rule.name + "' command");
      if (want == '1') {
        if (++count == 1) {
          last = j;
          continue;
        }
        fail(std::string("The option '") + kOptNames[j] + "' conflicts with the '" + kOptNames[last] +
             "' option in the '" + rule.name + "' command");
      }
    }
  }
}

void check_tunnel(int tun_type, uint64_t options) {
  const TunnelRule& rule = kTunnelRules[tun_type];
  int last = 0, count = 0;
  for (int j = 0; j < 4; j++) {
    Opt k = kTunnelOpts[j];
    char want = rule.options[j];
    if (!(options & (uint64_t{1} << k))) {
      if (want == '+')
        fail(std::string("You need to supply the '") + kOptNames[k] + "' option for the '" + rule.name +
             "' tunnel type");
      continue;
    }
    if (want == 'x')
      fail(std::string("Illegal '") + kOptNames[k] + "' option with the '" + rule.name + "' tunnel type");
    if (want == '1') {
      if (++count == 1) {
        last = k;
        continue;
      }
      fail(std::string("The option '") + kOptNames[k] + "' conflicts with the '" + kOptNames[last] +
           "' option in the '" + rule.name + "' tunnel type");
    }
  }
}

}  // namespace halb::director::adm
