// lib/net/address.h: the vocabulary of lib/net: IP addresses (v4 and v6),
// prefixes as operators write them ("192.168.131.105/24"), MAC addresses,
// and the small Result type every lib/net call returns.
//
// Everything here is pure (no sockets, no kernel), so the parsers that read
// haresources arguments and the frame builders can be tested without root.
// Parsers return std::nullopt on bad text rather than throwing: callers sit
// on the daemon loop and turn a bad value into an agent error, not a crash.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace halb::net {

// ---- Result ------------------------------------------------------------

// Why a call failed, in words fit for an operator's log line.
struct Error {
  std::string message;
};

// A value or an Error. Small on purpose: lib/net never throws across the
// daemon loop, and callers only need "did it work, and if not, why".
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // Only valid when ok().
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // Only valid when !ok().
  const std::string& error() const { return std::get<1>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

// A call that only succeeds or fails.
struct Ok {};
using Status = Result<Ok>;

// ---- addresses ---------------------------------------------------------

enum class Family { v4, v6 };

// One IPv4 or IPv6 address. Bytes are in network order; an IPv4 address
// uses the first four.
struct Address {
  Family family = Family::v4;
  std::array<uint8_t, 16> bytes{};

  // "10.0.0.1" or "2001:db8::1" (inet_pton's forms); nullopt otherwise.
  static std::optional<Address> parse(std::string_view text);
  static Address v4(uint32_t host_order);
  bool is_v4() const { return family == Family::v4; }
  // 4 or 16.
  size_t size() const { return is_v4() ? 4 : 16; }
  // 32 or 128.
  int bits() const { return is_v4() ? 32 : 128; }
  // The IPv4 address in host order (0 for IPv6).
  uint32_t v4_host_order() const;
  // inet_ntop's form.
  std::string str() const;

  auto operator<=>(const Address&) const = default;
};

// An address with a prefix length, as on an interface: the host bits are
// kept (192.168.131.105/24 stays .105).
struct Prefix {
  Address addr;
  int len = 0;

  // "192.168.131.105/24", "2001:db8::1/64"; a bare address gets the full
  // length (/32, /128). nullopt on a bad address or a length out of range.
  static std::optional<Prefix> parse(std::string_view text);
  std::string str() const;
  // The address with the host bits cleared.
  Address network() const;
  // Whether `a` lies inside this prefix (same family, same network bits).
  bool contains(const Address& a) const;

  auto operator<=>(const Prefix&) const = default;
};

// A prefix length from a decimal ("24") or, for IPv4, a dotted netmask
// ("255.255.255.0", as the old IPaddr took); nullopt when out of range for
// the family or when the mask is not contiguous.
std::optional<int> parse_prefix_len(std::string_view text, Family family);

// The directed broadcast of an IPv4 prefix (host bits all ones), as
// `ip addr add ... brd +` computes it. nullopt for IPv6 and for /31 and /32,
// where there is no broadcast address (RFC 3021).
std::optional<Address> broadcast(const Prefix& p);

// Whether text has the shape of a dotted IPv4 address: four groups of 1 to
// 3 digits separated by dots. Says nothing about range; Address::parse
// decides validity. Used where the classic syntax guesses what a field is.
bool looks_like_ipv4(std::string_view text);

// ---- MAC addresses -----------------------------------------------------

using Mac = std::array<uint8_t, 6>;

inline constexpr Mac kBroadcastMac{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr Mac kZeroMac{};

// "52:54:00:12:34:56", lower case.
std::string format_mac(const Mac& mac);
// Colon-separated hex pairs; nullopt otherwise.
std::optional<Mac> parse_mac(std::string_view text);

}  // namespace halb::net
