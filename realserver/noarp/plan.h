// realserver/noarp/plan.h: what halb-noarp puts in place on a real server,
// as data, and the rules and files it turns into (pure, unit-tested).
//
// A real server behind a direct-routing director holds the VIP on lo so
// it accepts the forwarded packets, and must never answer ARP for it or
// announce it, or clients would bypass the director. Three methods:
//   nft        our own `table arp halb_noarp`: drop ARP for a VIP coming in,
//              rewrite a VIP sender address going out to the interface's
//              own address (what the seed's arptables-noarp-addr did);
//   arptables  the same two rules through arptables, so `arptables -L -v -n`
//              shows what the seed shows;
//   sysctl     arp_ignore=1, arp_announce=2 (the kernel's own way).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lib/net/address.h"

namespace halb::realserver {

enum class Method { nft, arptables, sysctl };

std::string method_name(Method m);
std::optional<Method> parse_method(const std::string& s);

// An interface that may send ARP, with the address announcements get.
struct Uplink {
  std::string ifname;
  net::Address addr;
};

struct Plan {
  Method method = Method::nft;
  std::vector<net::Address> vips;
  std::vector<Uplink> uplinks;
};

// "192.168.131.105,192.168.131.106" -> addresses; an error names the bad one.
net::Result<std::vector<net::Address>> parse_vip_list(const std::string& text);

inline constexpr const char* kNftTable = "halb_noarp";

// The whole `nft -f -` input: replaces our table in one transaction.
std::string nft_ruleset(const Plan& plan);
std::string nft_delete();

// arptables invocations (argv without the program name) that add, or with
// `del` remove, the rules.
std::vector<std::vector<std::string>> arptables_rules(const Plan& plan, bool del);

// The sysctl keys the sysctl method sets, with their values.
std::vector<std::pair<std::string, std::string>> sysctl_settings(const Plan& plan);

// The saved file (`save`) read at boot by `start` without VIPs:
//   method nft
//   vip 192.168.131.105
std::string format_saved(const Plan& plan);
// Throws halb::config::ConfigError with file:line on a bad line.
Plan parse_saved(const std::string& text, const std::string& path);

}  // namespace halb::realserver
