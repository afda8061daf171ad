// bench/dataplane/backend.cc: the real server of the data-plane benchmark.
//
//   halb-bench-backend PORT [ADDR]
//
// One thread, epoll, non-blocking sockets. Every line "<n>\n" a client
// sends is answered with n bytes; EOF from the client closes. The same
// tiny protocol serves all three loads: a short request/reply per
// connection (connections/s), many per connection (keep-alive), and one
// large reply (bulk throughput). Kept simple and fast so the proxy under
// test, not the backend, sets the figures.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

namespace {

struct Conn {
  std::string line;
  unsigned long long pending = 0;  // reply bytes still to send
  bool want_out = false;
};

char zeros[1 << 16];

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: halb-bench-backend PORT [ADDR]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  memset(zeros, 'z', sizeof zeros);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(atoi(argv[1])));
  inet_pton(AF_INET, argc > 2 ? argv[2] : "127.0.0.1", &sa.sin_addr);
  if (bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(lfd, 4096) != 0) {
    perror("halb-bench-backend: bind/listen");
    return 1;
  }
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::unordered_map<int, Conn> conns;
  epoll_event events[256];
  char buf[4096];
  auto drop = [&](int fd) {
    epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns.erase(fd);
  };
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
          conns[c];
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      bool closed = false;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        for (;;) {
          ssize_t r = read(fd, buf, sizeof buf);
          if (r > 0) {
            for (ssize_t k = 0; k < r; ++k) {
              if (buf[k] == '\n') {
                c.pending += strtoull(c.line.c_str(), nullptr, 10);
                c.line.clear();
              } else if (c.line.size() < 32) {
                c.line += buf[k];
              }
            }
            continue;
          }
          if (r == 0 || (errno != EAGAIN && errno != EINTR)) closed = true;
          break;
        }
      }
      if (closed && c.pending == 0) {
        drop(fd);
        continue;
      }
      while (c.pending > 0) {
        size_t chunk = c.pending < sizeof zeros ? static_cast<size_t>(c.pending) : sizeof zeros;
        ssize_t w = write(fd, zeros, chunk);
        if (w > 0) {
          c.pending -= static_cast<unsigned long long>(w);
          continue;
        }
        if (w < 0 && errno == EAGAIN) break;
        closed = true;
        c.pending = 0;
        break;
      }
      if (closed && c.pending == 0) {
        drop(fd);
        continue;
      }
      bool need_out = c.pending > 0;
      if (need_out != c.want_out) {
        epoll_event cev{};
        cev.events = EPOLLIN | (need_out ? EPOLLOUT : 0u);
        cev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        c.want_out = need_out;
      }
    }
  }
}
