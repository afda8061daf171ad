// tests/tools/halb-ipvs-probe.cc: drives KernelIpvsBackend from a script, so
// the VM suite can set the kernel's table through halb and compare with
// what Debian's ipvsadm reads (and the other way round).
//
//   halb-ipvs-probe < script
//
// One command per line ('#' starts a comment):
//   available | info | list | stats | timeouts | daemons | conns | flush
//   add-service SVC [sched=S] [flags=N] [persistent=T] [netmask=M] [pe=NAME]
//   edit-service SVC [same options]
//   del-service SVC
//   zero [SVC]
//   add-dest SVC ADDR:PORT [fwd=route|masq|tunnel|local] [weight=N] [u=N] [l=N]
//   edit-dest SVC ADDR:PORT [same options]
//   del-dest SVC ADDR:PORT
//   set-timeouts TCP TCPFIN UDP
//   start-daemon master|backup IFN [syncid=N] [maxlen=N] [group=A] [port=N] [ttl=N]
//   stop-daemon master|backup
// where SVC is tcp:ADDR:PORT, udp:ADDR:PORT (IPv6 as [ADDR]:PORT), fwm:N or
// fwm6:N. Each command's output is printed in a fixed text form; a refused
// command prints "error ERRNO-NAME: text" and the script goes on. Exit
// status: 0 when every command succeeded, 1 when the backend refused one,
// 2 on a script syntax error (the script stops there).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <string>
#include <vector>

#include "director/backend/kernel_ipvs.h"

using namespace halb::director;
using namespace halb::director::backend;

namespace {

struct SyntaxError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* errno_name(int e) {
  switch (e) {
    case EEXIST: return "EEXIST";
    case ESRCH: return "ESRCH";
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case ERANGE: return "ERANGE";
    case EBUSY: return "EBUSY";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENODEV: return "ENODEV";
    case ENOMEM: return "ENOMEM";
    default: return nullptr;
  }
}

uint32_t number(const std::string& s, uint32_t max = 0xffffffffu) {
  try {
    size_t used = 0;
    unsigned long v = std::stoul(s, &used, 0);
    if (used != s.size() || v > max) throw SyntaxError("number out of range: " + s);
    return static_cast<uint32_t>(v);
  } catch (const std::logic_error&) {
    throw SyntaxError("not a number: " + s);
  }
}

IpAddress address(const std::string& s) {
  auto a = IpAddress::parse(s);
  if (!a) throw SyntaxError("bad address: " + s);
  return *a;
}

// "ADDR:PORT" or "[ADDR6]:PORT".
std::pair<IpAddress, uint16_t> endpoint(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) throw SyntaxError("expected ADDR:PORT: " + s);
  std::string host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return {address(host), static_cast<uint16_t>(number(s.substr(colon + 1), 65535))};
}

ServiceKey service_key(const std::string& s) {
  ServiceKey k;
  if (s.rfind("fwm:", 0) == 0 || s.rfind("fwm6:", 0) == 0) {
    k.protocol = Protocol::fwmark;
    k.family = s[3] == '6' ? Family::v6 : Family::v4;
    k.addr.family = k.family;
    k.fwmark = number(s.substr(s.find(':') + 1));
    return k;
  }
  if (s.rfind("tcp:", 0) == 0) {
    k.protocol = Protocol::tcp;
  } else if (s.rfind("udp:", 0) == 0) {
    k.protocol = Protocol::udp;
  } else {
    throw SyntaxError("expected tcp:, udp:, fwm: or fwm6: service: " + s);
  }
  auto [a, p] = endpoint(s.substr(4));
  k.addr = a;
  k.family = a.family;
  k.port = p;
  return k;
}

std::map<std::string, std::string> options(const std::vector<std::string>& words, size_t from) {
  std::map<std::string, std::string> out;
  for (size_t i = from; i < words.size(); ++i) {
    size_t eq = words[i].find('=');
    if (eq == std::string::npos) throw SyntaxError("expected key=value: " + words[i]);
    out[words[i].substr(0, eq)] = words[i].substr(eq + 1);
  }
  return out;
}

Service service(const std::vector<std::string>& w) {
  if (w.size() < 2) throw SyntaxError(w[0] + " needs a service");
  Service s;
  s.key = service_key(w[1]);
  s.netmask = s.key.family == Family::v6 ? 128 : 0xffffffff;
  for (auto& [k, v] : options(w, 2)) {
    if (k == "sched") {
      s.scheduler = v;
    } else if (k == "flags") {
      s.flags = number(v);
    } else if (k == "persistent") {
      s.flags |= kSvcPersistent;
      s.timeout = number(v);
    } else if (k == "netmask") {
      s.netmask = s.key.family == Family::v6 ? number(v, 128) : address(v).v4_host_order();
    } else if (k == "pe") {
      s.pe_name = v;
    } else {
      throw SyntaxError("unknown service option " + k);
    }
  }
  return s;
}

Dest dest(const std::vector<std::string>& w, bool full) {
  if (w.size() < 3) throw SyntaxError(w[0] + " needs a service and ADDR:PORT");
  Dest d;
  std::tie(d.addr, d.port) = endpoint(w[2]);
  if (!full) return d;
  for (auto& [k, v] : options(w, 3)) {
    if (k == "fwd") {
      if (v == "route" || v == "gate") {
        d.forward = Forward::route;
      } else if (v == "masq") {
        d.forward = Forward::masq;
      } else if (v == "tunnel" || v == "ipip") {
        d.forward = Forward::tunnel;
      } else if (v == "local") {
        d.forward = Forward::local;
      } else {
        throw SyntaxError("unknown forwarding method " + v);
      }
    } else if (k == "weight") {
      d.weight = static_cast<int>(number(v, 0x7fffffff));
    } else if (k == "u") {
      d.u_threshold = number(v);
    } else if (k == "l") {
      d.l_threshold = number(v);
    } else {
      throw SyntaxError("unknown dest option " + k);
    }
  }
  return d;
}

SyncRole role(const std::vector<std::string>& w) {
  if (w.size() < 2) throw SyntaxError(w[0] + " needs master or backup");
  if (w[1] == "master") return SyncRole::master;
  if (w[1] == "backup") return SyncRole::backup;
  throw SyntaxError("expected master or backup: " + w[1]);
}

std::string netmask_text(const Service& s) {
  if (s.key.family == Family::v6) return std::to_string(s.netmask);
  return IpAddress::v4(s.netmask).str();
}

std::string hex(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof buf, "0x%x", v);
  return buf;
}

std::string stats_text(const Stats& s) {
  std::ostringstream o;
  o << "conns=" << s.conns << " inpkts=" << s.inpkts << " outpkts=" << s.outpkts << " inbytes=" << s.inbytes
    << " outbytes=" << s.outbytes;
  return o.str();
}

std::vector<ServiceStatus> sorted_services(Backend& b) {
  auto all = b.services();
  std::sort(all.begin(), all.end(),
            [](const ServiceStatus& a, const ServiceStatus& c) { return a.service.key < c.service.key; });
  for (auto& s : all)
    std::sort(s.dests.begin(), s.dests.end(), [](const DestStatus& a, const DestStatus& c) {
      return a.dest.addr != c.dest.addr ? a.dest.addr < c.dest.addr : a.dest.port < c.dest.port;
    });
  return all;
}

void run(KernelIpvsBackend& b, const std::vector<std::string>& w) {
  const std::string& cmd = w[0];
  if (cmd == "available") {
    std::cout << "available " << (KernelIpvsBackend::available() ? "yes" : "no") << "\n";
  } else if (cmd == "info") {
    Info i = b.info();
    std::cout << "version " << (i.version >> 16) << "." << ((i.version >> 8) & 0xff) << "." << (i.version & 0xff)
              << " size " << i.conn_tab_size << "\n";
  } else if (cmd == "list") {
    for (const auto& st : sorted_services(b)) {
      const Service& s = st.service;
      std::cout << "service " << describe(s.key) << " sched=" << s.scheduler << " flags=" << hex(s.flags)
                << " timeout=" << s.timeout << " netmask=" << netmask_text(s)
                << " pe=" << (s.pe_name.empty() ? "-" : s.pe_name) << "\n";
      for (const auto& d : st.dests)
        std::cout << "  dest " << describe(d.dest) << " fwd=" << forward_word(d.dest.forward)
                  << " weight=" << d.dest.weight << " u=" << d.dest.u_threshold << " l=" << d.dest.l_threshold
                  << " active=" << d.active_conns << " inact=" << d.inact_conns << " persist=" << d.persist_conns
                  << "\n";
    }
  } else if (cmd == "stats") {
    for (const auto& st : sorted_services(b)) {
      std::cout << "service " << describe(st.service.key) << " " << stats_text(st.stats) << "\n";
      for (const auto& d : st.dests) std::cout << "  dest " << describe(d.dest) << " " << stats_text(d.stats) << "\n";
    }
  } else if (cmd == "timeouts") {
    Timeouts t = b.timeouts();
    std::cout << "timeouts " << t.tcp << " " << t.tcp_fin << " " << t.udp << "\n";
  } else if (cmd == "daemons") {
    for (const auto& d : b.daemons()) {
      std::cout << "daemon " << (d.role == SyncRole::master ? "master" : "backup") << " ifn=" << d.mcast_ifn
                << " syncid=" << d.syncid << " maxlen=" << d.maxlen
                << " group=" << (d.group ? d.group->str() : "-") << " port=" << d.port << " ttl=" << int(d.ttl)
                << "\n";
    }
  } else if (cmd == "conns") {
    for (const auto& c : b.connections()) {
      const char* pro = c.protocol == Protocol::tcp ? "TCP" : c.protocol == Protocol::udp ? "UDP" : "IP";
      std::cout << "conn " << pro << " " << endpoint_str(c.client_addr, c.client_port) << " "
                << endpoint_str(c.virtual_addr, c.virtual_port) << " " << endpoint_str(c.dest_addr, c.dest_port)
                << " " << c.state << (c.is_template ? " template" : "") << "\n";
    }
  } else if (cmd == "flush") {
    b.flush();
  } else if (cmd == "add-service") {
    b.add_service(service(w));
  } else if (cmd == "edit-service") {
    b.edit_service(service(w));
  } else if (cmd == "del-service") {
    if (w.size() != 2) throw SyntaxError("del-service SVC");
    b.del_service(service_key(w[1]));
  } else if (cmd == "zero") {
    b.zero(w.size() > 1 ? std::optional<ServiceKey>(service_key(w[1])) : std::nullopt);
  } else if (cmd == "add-dest") {
    b.add_dest(service_key(w.at(1)), dest(w, true));
  } else if (cmd == "edit-dest") {
    b.edit_dest(service_key(w.at(1)), dest(w, true));
  } else if (cmd == "del-dest") {
    b.del_dest(service_key(w.at(1)), dest(w, false));
  } else if (cmd == "set-timeouts") {
    if (w.size() != 4) throw SyntaxError("set-timeouts TCP TCPFIN UDP");
    b.set_timeouts(Timeouts{number(w[1]), number(w[2]), number(w[3])});
  } else if (cmd == "start-daemon") {
    SyncDaemon d;
    d.role = role(w);
    if (w.size() < 3) throw SyntaxError("start-daemon ROLE IFN [options]");
    d.mcast_ifn = w[2];
    for (auto& [k, v] : options(w, 3)) {
      if (k == "syncid") {
        d.syncid = number(v, 255);
      } else if (k == "maxlen") {
        d.maxlen = static_cast<uint16_t>(number(v, 65535));
      } else if (k == "group") {
        d.group = address(v);
      } else if (k == "port") {
        d.port = static_cast<uint16_t>(number(v, 65535));
      } else if (k == "ttl") {
        d.ttl = static_cast<uint8_t>(number(v, 255));
      } else {
        throw SyntaxError("unknown daemon option " + k);
      }
    }
    b.start_daemon(d);
  } else if (cmd == "stop-daemon") {
    b.stop_daemon(role(w));
  } else {
    throw SyntaxError("unknown command " + cmd);
  }
}

}  // namespace

int main(int argc, char**) {
  if (argc != 1) {
    fprintf(stderr, "usage: halb-ipvs-probe < script (see the source for the commands)\n");
    return 2;
  }
  std::optional<KernelIpvsBackend> backend;
  try {
    backend.emplace();
  } catch (const BackendError& e) {
    const char* n = errno_name(e.err());
    std::cout << "error " << (n ? n : std::to_string(e.err()).c_str()) << ": " << e.what() << std::endl;
    return 1;
  }
  int status = 0;
  std::string line;
  int lineno = 0;
  while (std::getline(std::cin, line)) {
    ++lineno;
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    if (words.empty()) continue;
    try {
      run(*backend, words);
    } catch (const BackendError& e) {
      const char* n = errno_name(e.err());
      std::cout << "error " << (n ? n : std::to_string(e.err()).c_str()) << ": " << e.what() << "\n";
      status = 1;
    } catch (const SyntaxError& e) {
      std::cout.flush();
      fprintf(stderr, "halb-ipvs-probe: line %d: %s\n", lineno, e.what());
      return 2;
    } catch (const std::out_of_range&) {
      fprintf(stderr, "halb-ipvs-probe: line %d: missing arguments\n", lineno);
      return 2;
    }
    std::cout.flush();
  }
  return status;
}
