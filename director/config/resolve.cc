// director/config/resolve.cc: see resolve.h.
#include "director/config/resolve.h"

#include <netdb.h>
#include <netinet/in.h>

#include <fstream>
#include <sstream>

#include "lib/config/reader.h"

namespace halb::director::config {

std::optional<IpAddress> Resolver::host(std::string_view name, Family family) const {
  if (auto a = IpAddress::parse(name)) {
    if (a->family == family) return a;
    return std::nullopt;
  }
  std::ifstream in(hosts_path);
  std::string line;
  while (std::getline(in, line)) {
    if (auto c = line.find('#'); c != std::string::npos) line.erase(c);
    auto words = halb::config::split_words(line);
    if (words.size() < 2) continue;
    auto addr = IpAddress::parse(words[0]);
    if (!addr || addr->family != family) continue;
    for (size_t i = 1; i < words.size(); ++i)
      if (halb::config::iequals(words[i], name)) return addr;
  }
  return std::nullopt;
}

std::optional<uint16_t> Resolver::port(std::string_view text, std::string_view proto) const {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    if (text.size() > 5) return std::nullopt;
    long v = std::stol(std::string(text));
    if (v > 65535) return std::nullopt;
    return static_cast<uint16_t>(v);
  }
  // getservbyname_r keeps this reentrant; it reads the services database only.
  std::string name(text), p(proto);
  servent entry{};
  servent* result = nullptr;
  char buf[4096];
  if (getservbyname_r(name.c_str(), p.c_str(), &entry, buf, sizeof buf, &result) != 0 || !result)
    return std::nullopt;
  return static_cast<uint16_t>(ntohs(static_cast<uint16_t>(result->s_port)));
}

}  // namespace halb::director::config
