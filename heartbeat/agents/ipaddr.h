// heartbeat/agents/ipaddr.h: the built-in IPaddr2 (and IPaddr) resource
// agent: puts a virtual IP on an interface, announces it with gratuitous
// ARP, and takes it off again, as heartbeat's resource.d/IPaddr2 wrapper
// around the OCF agent did, but in-process over netlink.
//
// Argument (haresources `IPaddr2::ARG`): ip[/cidr[/nic[:label][/broadcast]]]
//   - cidr: a prefix length, or a dotted netmask as the old IPaddr took;
//   - a third field starting with a digit is the broadcast, and the nic is
//     found from the routes (heartbeat's findif);
//   - no nic: findif picks it; no cidr: the covering route's prefix length;
//   - no broadcast: the prefix's directed broadcast (IPv4 up to /30).
// Operations and their output, which ResourceManager reads:
//   start   already there: success at once. Else (lvs_support) move a copy
//           of the VIP off `lo`, add the address, set the link up, and
//           (unless on lo, IPv4 only) start send_arp-style gratuitous ARP in
//           the background; answers "INFO:  Success", exit 0, at once.
//   stop    cancel the ARPs, delete the address, put the lo copy back.
//   status  "INFO:  Running OK" exit 0 when IP/prefix is on the nic, else
//           "INFO:  Resource is stopped" exit 7.
// Failures answer "ERROR: ..." with exit 1 (generic) or 2 (bad argument).
// Log lines keep the shell agent's wording ("IPaddr2: INFO: ip -f inet addr
// add ...", "send_arp -i 200 -r 5 ...") so operators' greps still match.
//
// One instance serves every resource of its kind (the registry keeps one
// per name), so per-VIP state (ARP runs, lo copies) is keyed by address.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "heartbeat/agents/agent.h"
#include "lib/event/loop.h"
#include "lib/log/log.h"
#include "lib/net/address.h"
#include "lib/net/garp.h"
#include "lib/net/link.h"

namespace halb::heartbeat {

struct IpAddrOptions {
  int arp_interval_ms = 200;  // send_arp -i
  int arp_count = 5;          // send_arp -r
  // heartbeat's resource.d wrapper sets lvs_support=1: a director that is
  // also a real server keeps the VIP on lo while standby.
  bool lvs_support = true;
  // Where a lo copy removed by start is remembered so a later stop (maybe
  // by another process) can restore it. Empty: remembered in memory only.
  std::string state_dir;
};

// The argument as written, before anything is looked up.
struct IpAddrSpec {
  net::Address ip;
  std::optional<int> prefix_len;          // cidr field
  std::string nic;                        // empty: findif
  std::string label;                      // full IPv4 label ("eth0:1"), empty for none
  std::optional<net::Address> broadcast;  // IPv4 only
};

// Parse `ip[/cidr[/nic[:label][/broadcast]]]`; the Error says what is wrong
// (the agent answers it with exit 2).
net::Result<IpAddrSpec> parse_ipaddr_arg(std::string_view arg);

// What start adds and stop deletes, with nothing left to look up.
struct IpAddrTarget {
  net::Prefix prefix;  // the VIP and its prefix length
  std::string nic;
  std::string label;
  std::optional<net::Address> broadcast;
};

// Whether the spec needs findif (no nic or no cidr).
bool needs_route(const IpAddrSpec& spec);
// Fill in what the spec left out from the covering route (findif's answer;
// required when needs_route) and the default broadcast.
net::Result<IpAddrTarget> complete_target(const IpAddrSpec& spec, const std::optional<net::ConnectedRoute>& route);

// The shell agent's commands, for the log lines.
std::string ip_add_command(const IpAddrTarget& t);   // ip -f inet addr add IP/NM brd BC dev NIC [label L]
std::string ip_del_command(const IpAddrTarget& t);   // ip -f inet addr delete IP/NM dev NIC
std::string send_arp_command(const IpAddrTarget& t, const IpAddrOptions& o);

class IpAddrAgent : public Agent {
 public:
  // name: "IPaddr2" or "IPaddr", used in log lines.
  IpAddrAgent(event::Loop& loop, log::Logger& logger, std::string name = "IPaddr2", IpAddrOptions options = {});
  ~IpAddrAgent() override;
  void run(AgentOp op, const std::vector<std::string>& args, AgentDone done) override;
  // Stop every gratuitous ARP run in progress.
  void cancel() override;
  // Whether any gratuitous ARP run is still going.
  bool announcing() const;

 private:
  struct Failure {
    int code;
    std::string message;
  };
  AgentResult start(const IpAddrTarget& t);
  AgentResult stop(const IpAddrTarget& t);
  AgentResult status(const IpAddrTarget& t);
  AgentResult fail(int code, const std::string& message);
  // Parse and resolve the argument, or the failure to answer with.
  std::optional<Failure> resolve(const std::vector<std::string>& args, IpAddrTarget& out);
  net::Result<net::Netlink*> netlink();
  // Whether t.prefix is on t.nic; nullopt with `error` set when the kernel
  // could not say.
  std::optional<bool> present(const IpAddrTarget& t, std::string& error);
  void announce(const IpAddrTarget& t);
  void remove_lo_copy(const IpAddrTarget& t);
  void restore_lo_copy(const IpAddrTarget& t);
  std::string state_path(const net::Address& ip) const;
  void log(log::Level level, const std::string& msg);

  event::Loop& loop_;
  log::Logger& logger_;
  std::string name_;
  IpAddrOptions options_;
  std::unique_ptr<net::Netlink> nl_;
  // One sender per VIP, kept after its run ends: a sender's done callback
  // runs from its own timer, so it is never destroyed there.
  std::map<net::Address, std::unique_ptr<net::GarpSender>> garps_;
  // lo copies removed at start, to restore at stop.
  std::map<net::Address, net::InterfaceAddress> lo_saved_;
};

}  // namespace halb::heartbeat
