// tests/unit/director/adm/fake_names.h: a fixed name table for halb-adm's
// tests, the same names the build machine's /etc/hosts and /etc/services
// give for the addresses and ports the golden files use.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "director/adm/names.h"

namespace halb::director::adm::testing {

class FakeNames : public Names {
 public:
  std::map<std::string, std::string> hosts{{"127.0.0.1", "localhost"}, {"::1", "ip6-localhost"}};
  std::map<std::pair<int, int>, std::string> services{
      {{21, kProtoTcp}, "ftp"},     {{22, kProtoTcp}, "ssh"},       {{25, kProtoTcp}, "smtp"},
      {{53, kProtoTcp}, "domain"},  {{53, kProtoUdp}, "domain"},    {{80, kProtoTcp}, "http"},
      {{443, kProtoTcp}, "https"},  {{443, kProtoUdp}, "https"},    {{3306, kProtoTcp}, "mysql"},
      {{8080, kProtoTcp}, "http-alt"}, {{5353, kProtoUdp}, "mdns"},
  };

  std::optional<std::string> host_name(const IpAddress& addr) override {
    auto it = hosts.find(addr.str());
    if (it == hosts.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::string> service_name(uint16_t port, int proto) override {
    auto it = services.find({port, proto});
    if (it == services.end()) return std::nullopt;
    return it->second;
  }
  std::optional<IpAddress> host_address(const std::string& name) override {
    for (auto& [addr, host] : hosts) {
      auto a = IpAddress::parse(addr);
      if (host == name && a && a->is_v4()) return a;
    }
    return std::nullopt;
  }
  std::optional<uint16_t> service_port(const std::string& name, int proto) override {
    for (auto& [key, serv] : services)
      if (serv == name && key.second == proto) return static_cast<uint16_t>(key.first);
    if (name == "www" && proto == kProtoTcp) return 80;
    return std::nullopt;
  }
};

}  // namespace halb::director::adm::testing
