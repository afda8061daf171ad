// bench/checks/httpd.cc: the real servers of the health-check benchmark.
//
//   halb-bench-httpd FIRST_ADDR COUNT PORT CONTROL_ADDR
//
// One thread, epoll, non-blocking sockets, listening on COUNT consecutive
// IPv4 addresses from FIRST_ADDR, all on PORT: a thousand real servers for
// the price of one process, so the checkers under test, not the servers,
// set the figures. Every request (headers up to the blank line) is answered
// "200 OK" with a two-byte body and the connection closed, and counted.
//
// A request to CONTROL_ADDR:PORT is not counted; it is answered with the
// counts so far, "requests=N servers=M" (M: listeners asked at least once),
// which is how the benchmark tells how many checks were actually done.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

constexpr char kReply[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

struct Conn {
  std::string head;
  bool control = false;
  int listener = -1;  // index into the per-server counts
};

int listen_on(uint32_t addr_host_order, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(addr_host_order);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 1024) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A thousand listeners plus the checkers' connections need more than the
// usual 1024 descriptors.
void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: halb-bench-httpd FIRST_ADDR COUNT PORT CONTROL_ADDR\n");
    return 2;
  }
  in_addr first{}, control{};
  long count = strtol(argv[2], nullptr, 10);
  long port = strtol(argv[3], nullptr, 10);
  if (inet_pton(AF_INET, argv[1], &first) != 1 || inet_pton(AF_INET, argv[4], &control) != 1 || count < 1 ||
      count > 60000 || port < 1 || port > 65535) {
    fprintf(stderr, "halb-bench-httpd: bad arguments\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  int ep = epoll_create1(0);
  // Listener i is tagged i in epoll's data; connections carry their fd
  // offset past every listener tag.
  std::vector<int> listeners;
  for (long i = 0; i <= count; ++i) {
    uint32_t a = i < count ? ntohl(first.s_addr) + static_cast<uint32_t>(i) : ntohl(control.s_addr);
    int fd = listen_on(a, static_cast<uint16_t>(port));
    if (fd < 0) {
      in_addr ia{htonl(a)};
      fprintf(stderr, "halb-bench-httpd: listen on %s:%ld: %s\n", inet_ntoa(ia), port, strerror(errno));
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    listeners.push_back(fd);
  }
  const uint64_t conn_base = static_cast<uint64_t>(listeners.size());
  std::vector<unsigned long long> per_server(static_cast<size_t>(count), 0);
  unsigned long long requests = 0;
  std::unordered_map<int, Conn> conns;
  epoll_event events[256];
  char buf[4096];
  auto drop = [&](int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
  };
  fprintf(stderr, "halb-bench-httpd: %ld servers ready\n", count);
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno != EINTR) {
      perror("halb-bench-httpd: epoll_wait");
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag < conn_base) {
        for (;;) {
          int c = accept4(listeners[tag], nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.u64 = conn_base + static_cast<uint64_t>(c);
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
          Conn& conn = conns[c];
          conn.head.clear();
          conn.control = tag == static_cast<uint64_t>(count);
          conn.listener = static_cast<int>(tag);
        }
        continue;
      }
      int fd = static_cast<int>(tag - conn_base);
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      bool done = false;
      for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
          if (c.head.size() < 65536) c.head.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)) done = true;
        break;
      }
      if (c.head.find("\r\n\r\n") != std::string::npos || c.head.find("\n\n") != std::string::npos) {
        std::string reply;
        if (c.control) {
          unsigned long long asked = 0;
          for (auto v : per_server) asked += v > 0;
          std::string body = "requests=" + std::to_string(requests) + " servers=" + std::to_string(asked) + "\n";
          reply = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        } else {
          ++requests;
          ++per_server[static_cast<size_t>(c.listener)];
          reply = kReply;
        }
        // Replies are far below a socket buffer, so one write does it.
        (void)!write(fd, reply.data(), reply.size());
        done = true;
      }
      if (done) drop(fd);
    }
  }
}
