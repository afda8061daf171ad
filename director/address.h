// director/address.h: the IP address vocabulary of the director room.
//
// ldirectord.cf, the virtual server table and the schedulers all speak of
// IPv4 and IPv6 addresses; this one small value type serves all three so
// that a real's address flows from the parsed config to an IPVS dest
// without conversions. Pure: parsing is inet_pton, printing inet_ntop.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace halb::director {

enum class Family : uint8_t { v4, v6 };

struct IpAddress {
  Family family = Family::v4;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first four

  // inet_pton's forms ("10.0.0.1", "2001:db8::1"); nullopt otherwise.
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(uint32_t host_order);
  bool is_v4() const { return family == Family::v4; }
  // The IPv4 address in host order (0 for IPv6).
  uint32_t v4_host_order() const;
  // inet_ntop's form.
  std::string str() const;

  auto operator<=>(const IpAddress&) const = default;
};

// "addr:port" as ipvsadm and ldirectord print it; IPv6 as "[addr]:port".
std::string endpoint_str(const IpAddress& addr, uint16_t port);

}  // namespace halb::director
