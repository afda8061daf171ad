// bench/dataplane/load.cc: the load generator of the data-plane benchmark.
//
//   halb-bench-load MODE ADDR PORT CONCURRENCY SECONDS [BYTES]
//
// MODE conn:      each worker connects, asks for BYTES (default 64), reads
//                 them, closes, repeats: new connections per second.
// MODE keepalive: each worker keeps one connection and repeats the
//                 request: requests per second.
// MODE bulk:      each worker repeats one request of BYTES on one
//                 connection: throughput.
// One blocking thread per concurrent worker; every operation's latency is
// recorded. Prints one line:
//   ops=N seconds=S rate=R mbytes_per_s=M p50_us=A p99_us=B errors=E
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  unsigned long long ops = 0, bytes = 0, errors = 0;
  std::vector<float> lat_us;
};

int dial(const sockaddr_in& sa) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // No TIME_WAIT pile-up on the client side in the connection test.
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Send the request and read `want` bytes; false on any failure.
bool exchange(int fd, const std::string& req, unsigned long long want, std::vector<char>& buf) {
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) return false;
  while (want > 0) {
    ssize_t r = recv(fd, buf.data(), std::min<unsigned long long>(buf.size(), want), 0);
    if (r <= 0) return false;
    want -= static_cast<unsigned long long>(r);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: halb-bench-load conn|keepalive|bulk ADDR PORT CONCURRENCY SECONDS [BYTES]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  std::string mode = argv[1];
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(atoi(argv[3])));
  if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
    fprintf(stderr, "halb-bench-load: bad address %s\n", argv[2]);
    return 2;
  }
  int conc = atoi(argv[4]);
  double seconds = atof(argv[5]);
  unsigned long long bytes = argc > 6 ? strtoull(argv[6], nullptr, 10) : 64;
  if (conc < 1 || seconds <= 0 || bytes < 1 || (mode != "conn" && mode != "keepalive" && mode != "bulk")) {
    fprintf(stderr, "halb-bench-load: bad arguments\n");
    return 2;
  }
  std::string req = std::to_string(bytes) + "\n";
  std::atomic<bool> stop{false};
  std::vector<Result> results(static_cast<size_t>(conc));
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int t = 0; t < conc; ++t) {
    threads.emplace_back([&, t] {
      Result& res = results[static_cast<size_t>(t)];
      std::vector<char> buf(1 << 16);
      int fd = -1;
      while (!stop.load(std::memory_order_relaxed)) {
        auto t0 = Clock::now();
        if (fd < 0) fd = dial(sa);
        if (fd < 0) {
          ++res.errors;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        bool ok = exchange(fd, req, bytes, buf);
        if (!ok || mode == "conn") {
          close(fd);
          fd = -1;
        }
        if (!ok) {
          ++res.errors;
          continue;
        }
        ++res.ops;
        res.bytes += bytes;
        res.lat_us.push_back(std::chrono::duration<float, std::micro>(Clock::now() - t0).count());
      }
      if (fd >= 0) close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (auto& th : threads) th.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  Result all;
  for (auto& r : results) {
    all.ops += r.ops;
    all.bytes += r.bytes;
    all.errors += r.errors;
    all.lat_us.insert(all.lat_us.end(), r.lat_us.begin(), r.lat_us.end());
  }
  std::sort(all.lat_us.begin(), all.lat_us.end());
  auto pct = [&](double p) -> double {
    if (all.lat_us.empty()) return 0;
    size_t i = std::min(all.lat_us.size() - 1, static_cast<size_t>(p * static_cast<double>(all.lat_us.size())));
    return all.lat_us[i];
  };
  printf("ops=%llu seconds=%.2f rate=%.0f mbytes_per_s=%.1f p50_us=%.0f p99_us=%.0f errors=%llu\n", all.ops, elapsed,
         static_cast<double>(all.ops) / elapsed, static_cast<double>(all.bytes) / elapsed / 1e6, pct(0.5), pct(0.99),
         all.errors);
  return 0;
}
