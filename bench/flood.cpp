// flood: the benchmark's traffic generator and sinks. Each mode prints one JSON line.
//
//   flood udp-send  --dst=IP --port=P [--ports=K] --seconds=T [--pps=R] [--size=N] [--batch=B]
//       sendmmsg() on a connected UDP socket (K > 1: K sockets to ports P..P+K-1, in turn),
//       as fast as it can or paced at R packets per second.
//       -> {"sent": N, "errors": E, "seconds": S, "pps": N/S}
//   flood udp-recv  --port=P [--seconds=T]
//       recvmmsg() until SIGINT/SIGTERM or T seconds. -> {"received": N, "seconds": S}
//   flood udp-spray --dst=IP --count=N [--port=P] [--vary=port|addr] [--size=N] [--pps=R]
//       one datagram to each of N destinations: ports P..P+N-1 (vary=port, default) or
//       addresses IP, IP+1, ... IP+N-1 at port P (vary=addr), optionally paced at R per
//       second. -> {"sent": N, "errors": E}
//   flood tcp-send  --dst=IP --port=P --seconds=T [--size=N]
//       one connection, write() of N bytes (default 65536) in a loop.
//       -> {"bytes": B, "seconds": S, "bps": 8B/S}
//   flood tcp-recv  --port=P [--seconds=T]
//       accepts one connection and reads it to the end. -> {"bytes": B, "seconds": S}
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

double now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

void sleep_until(double t) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(t);
  ts.tv_nsec = static_cast<long>((t - static_cast<double>(ts.tv_sec)) * 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR && !g_stop) {
  }
}

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "flood: %s: %s\n", msg.c_str(), std::strerror(errno));
  std::exit(1);
}

struct Args {
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k, const std::string& def = "") const {
    auto it = kv.find(k);
    if (it != kv.end()) return it->second;
    if (def.empty()) {
      std::fprintf(stderr, "flood: --%s is required\n", k.c_str());
      std::exit(2);
    }
    return def;
  }
  long num(const std::string& k, long def) const { return std::stol(get(k, std::to_string(def))); }
  double real(const std::string& k, double def) const { return std::stod(get(k, std::to_string(def))); }
};

sockaddr_in addr(const std::string& ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
    std::fprintf(stderr, "flood: bad IPv4 address '%s'\n", ip.c_str());
    std::exit(2);
  }
  return a;
}

int udp_send(const Args& a) {
  const auto dst = a.get("dst");
  const int port = static_cast<int>(a.num("port", 0));
  const int nports = static_cast<int>(a.num("ports", 1));
  const double seconds = a.real("seconds", 5);
  const double pps = a.real("pps", 0);
  const size_t size = static_cast<size_t>(a.num("size", 18));
  int batch = static_cast<int>(a.num("batch", 64));
  if (pps > 0 && pps / 2000 < batch) batch = std::max(1, static_cast<int>(pps / 2000));

  std::vector<int> socks;
  for (int i = 0; i < nports; i++) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s < 0) die("socket");
    auto d = addr(dst, port + i);
    if (connect(s, reinterpret_cast<sockaddr*>(&d), sizeof d) != 0) die("connect");
    socks.push_back(s);
  }
  std::vector<char> payload(size, 'x');
  std::vector<iovec> iov(batch);
  std::vector<mmsghdr> msgs(batch);
  for (int i = 0; i < batch; i++) {
    iov[i] = {payload.data(), payload.size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t sent = 0, errors = 0;
  const double start = now(), end = start + seconds;
  size_t turn = 0;
  double t = start;
  while (!g_stop && (t = now()) < end) {
    if (pps > 0) {
      double due = start + static_cast<double>(sent + errors) / pps;
      if (due > t) {
        sleep_until(std::min(due, end));
        continue;
      }
    }
    int n = sendmmsg(socks[turn++ % socks.size()], msgs.data(), batch, 0);
    if (n < 0) {
      if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR) die("sendmmsg");
      errors += batch;
    } else {
      sent += n;
      errors += batch - n;
    }
  }
  double elapsed = now() - start;
  std::printf("{\"sent\": %llu, \"errors\": %llu, \"seconds\": %.6f, \"pps\": %.1f}\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(errors), elapsed,
              sent / elapsed);
  return 0;
}

int udp_recv(const Args& a) {
  const int port = static_cast<int>(a.num("port", 0));
  const double seconds = a.real("seconds", 3600);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  int buf = 4 << 20;
  setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  timeval tv{0, 100000};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto any = addr("0.0.0.0", port);
  if (bind(s, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) die("bind");
  constexpr int kBatch = 64;
  static char bufs[kBatch][2048];
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  uint64_t received = 0;
  std::printf("{\"ready\": true}\n");
  std::fflush(stdout);
  double start = now(), end = start + seconds;
  while (!g_stop && now() < end) {
    for (int i = 0; i < kBatch; i++) {
      iov[i] = {bufs[i], sizeof bufs[i]};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(s, msgs, kBatch, 0, nullptr);
    if (n > 0) received += n;
    else if (errno != EAGAIN && errno != EINTR) die("recvmmsg");
  }
  std::printf("{\"received\": %llu, \"seconds\": %.6f}\n", static_cast<unsigned long long>(received),
              now() - start);
  return 0;
}

int udp_spray(const Args& a) {
  const auto dst = addr(a.get("dst"), static_cast<int>(a.num("port", 1)));
  const long count = a.num("count", 1);
  const bool vary_addr = a.get("vary", "port") == "addr";
  const size_t size = static_cast<size_t>(a.num("size", 18));
  const double pps = a.real("pps", 0);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket");
  std::vector<char> payload(size, 'x');
  uint64_t sent = 0, errors = 0;
  const double start = now();
  const uint32_t base_ip = ntohl(dst.sin_addr.s_addr);
  const int base_port = ntohs(dst.sin_port);
  for (long i = 0; i < count; i++) {
    if (pps > 0 && i % 64 == 0) sleep_until(start + static_cast<double>(i) / pps);
    sockaddr_in d = dst;
    if (vary_addr) d.sin_addr.s_addr = htonl(base_ip + static_cast<uint32_t>(i));
    else d.sin_port = htons(static_cast<uint16_t>(base_port + i));
    if (sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&d), sizeof d) < 0) {
      errors++;
      if (errno == ENOBUFS || errno == EAGAIN) usleep(100);
    } else {
      sent++;
    }
  }
  std::printf("{\"sent\": %llu, \"errors\": %llu}\n", static_cast<unsigned long long>(sent),
              static_cast<unsigned long long>(errors));
  return 0;
}

int tcp_send(const Args& a) {
  auto d = addr(a.get("dst"), static_cast<int>(a.num("port", 0)));
  const double seconds = a.real("seconds", 5);
  const size_t size = static_cast<size_t>(a.num("size", 65536));
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) die("socket");
  double deadline = now() + 5;
  while (connect(s, reinterpret_cast<sockaddr*>(&d), sizeof d) != 0) {
    if (errno != ECONNREFUSED || now() > deadline) die("connect");
    close(s);
    usleep(20000);
    s = socket(AF_INET, SOCK_STREAM, 0);
  }
  std::vector<char> payload(size, 'x');
  uint64_t bytes = 0;
  const double start = now(), end = start + seconds;
  while (!g_stop && now() < end) {
    ssize_t n = write(s, payload.data(), payload.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    bytes += static_cast<uint64_t>(n);
  }
  double elapsed = now() - start;
  close(s);
  std::printf("{\"bytes\": %llu, \"seconds\": %.6f, \"bps\": %.1f}\n",
              static_cast<unsigned long long>(bytes), elapsed, 8.0 * bytes / elapsed);
  return 0;
}

int tcp_recv(const Args& a) {
  const int port = static_cast<int>(a.num("port", 0));
  const double seconds = a.real("seconds", 3600);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0) die("socket");
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto any = addr("0.0.0.0", port);
  if (bind(l, reinterpret_cast<sockaddr*>(&any), sizeof any) != 0) die("bind");
  if (listen(l, 1) != 0) die("listen");
  std::printf("{\"ready\": true}\n");
  std::fflush(stdout);
  int s = accept(l, nullptr, nullptr);
  if (s < 0 && errno == EINTR) {  // stopped before anyone connected
    std::printf("{\"bytes\": 0, \"seconds\": 0}\n");
    return 0;
  }
  if (s < 0) die("accept");
  static char buf[1 << 18];
  uint64_t bytes = 0;
  const double start = now(), end = start + seconds;
  while (!g_stop && now() < end) {
    ssize_t n = read(s, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    bytes += static_cast<uint64_t>(n);
  }
  std::printf("{\"bytes\": %llu, \"seconds\": %.6f}\n", static_cast<unsigned long long>(bytes),
              now() - start);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: flood udp-send|udp-recv|udp-spray|tcp-send|tcp-recv --key=value ...\n");
    return 2;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;  // no SA_RESTART: blocking calls return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Args a;
  for (int i = 2; i < argc; i++) {
    std::string s = argv[i];
    auto eq = s.find('=');
    if (s.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "flood: bad argument '%s' (expected --key=value)\n", s.c_str());
      return 2;
    }
    a.kv[s.substr(2, eq - 2)] = s.substr(eq + 1);
  }
  std::string mode = argv[1];
  if (mode == "udp-send") return udp_send(a);
  if (mode == "udp-recv") return udp_recv(a);
  if (mode == "udp-spray") return udp_spray(a);
  if (mode == "tcp-send") return tcp_send(a);
  if (mode == "tcp-recv") return tcp_recv(a);
  std::fprintf(stderr, "flood: unknown mode '%s'\n", mode.c_str());
  return 2;
}
