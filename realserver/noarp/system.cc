// realserver/noarp/system.cc: see system.h.
#include "realserver/noarp/system.h"

#include <fcntl.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace halb::realserver {

ToolResult run_tool(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return {127, strerror(errno)};
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]);
    close(in[1]);
    return {127, strerror(errno)};
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    execvp(args[0], args.data());
    dprintf(2, "cannot run %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    return {127, strerror(errno)};
  }
  // The rulesets are a few hundred bytes: far below a pipe's capacity.
  if (!input.empty() && write(in[1], input.data(), input.size()) < 0) {
  }
  close(in[1]);
  ToolResult r;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) r.output.append(buf, n);
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

namespace {

bool is_up_and_not_loopback(const std::string& ifname) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ifreq ifr{};
  strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  bool ok = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP) && !(ifr.ifr_flags & IFF_LOOPBACK);
  close(fd);
  return ok;
}

}  // namespace

net::Result<std::vector<Uplink>> find_uplinks(net::Netlink& nl, const std::vector<net::Address>& vips) {
  auto all = nl.all_addresses();
  if (!all) return net::Error{all.error()};
  std::vector<Uplink> out;
  for (const auto& a : *all) {
    if (!a.prefix.addr.is_v4()) continue;
    bool is_vip = false;
    for (const auto& v : vips) is_vip = is_vip || v == a.prefix.addr;
    if (is_vip) continue;
    auto name = nl.ifname(a.ifindex);
    if (!name || !is_up_and_not_loopback(*name)) continue;
    bool seen = false;
    for (const auto& u : out) seen = seen || u.ifname == *name;
    if (!seen) out.push_back(Uplink{*name, a.prefix.addr});
  }
  return out;
}

bool vip_on_lo(net::Netlink& nl, const net::Address& vip) {
  auto addrs = nl.addresses("lo");
  if (!addrs) return false;
  for (const auto& a : *addrs)
    if (a.prefix.addr == vip) return true;
  return false;
}

std::string read_sysctl(const std::string& key) {
  std::ifstream f("/proc/sys/" + key);
  std::string v;
  f >> v;
  return v;
}

bool write_sysctl(const std::string& key, const std::string& value, std::string& error) {
  std::ofstream f("/proc/sys/" + key);
  f << value << "\n";
  f.flush();
  if (!f) {
    error = "cannot write /proc/sys/" + key;
    return false;
  }
  return true;
}

}  // namespace halb::realserver
