#include "http_accept.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "log.h"

namespace nfct {
namespace {

std::atomic<ConnectionLimits*> g_limits{nullptr};
std::atomic<long long> g_header_timeout_ms{0};

// The client's address as civetweb prints it in request_info.remote_addr (inet_ntop), so
// that the connection_closed callback releases the same key that accept admitted.
std::string client_text(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
  else if (ss.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
  return buf;
}

// Per worker thread: civetweb runs a connection's callbacks (init_connection, begin and
// end of each request, close) on the one worker thread that serves it, start to end.
struct WorkerConnection {
  std::chrono::steady_clock::time_point idle_since;  // start, or end of the last request
  bool in_request = false;
  bool released = false;
};
thread_local WorkerConnection t_conn;

int on_init_connection(const mg_connection*, void**) {
  t_conn = {std::chrono::steady_clock::now(), false, false};
  return 0;
}

void release(const mg_connection* conn, ConnectionLimits* limits) {
  if (t_conn.released) return;
  t_conn.released = true;
  const mg_request_info* ri = mg_get_request_info(conn);
  if (ri) limits->release(ri->remote_addr);
}

std::atomic<bool> g_serving{true};

int on_begin_request(mg_connection*) {
  g_serving.wait(false);  // the handlers are being added (HttpServer's constructor)
  t_conn.in_request = true;
  return 0;  // civetweb goes on to the handlers
}

void on_end_request(const mg_connection*, int) {
  t_conn.idle_since = std::chrono::steady_clock::now();
  t_conn.in_request = false;
}

// Right before civetweb shuts the socket down (it sends FIN and closes without waiting,
// so the worker is free microseconds later): the slot is released here, before the
// client can see the connection end. A connection waiting for a request head for the
// whole header timeout was closed by civetweb's timeout (a client that closes earlier is
// not counted; one that closes exactly at the deadline cannot be told apart).
void on_connection_close(const mg_connection* conn) {
  ConnectionLimits* limits = g_limits.load(std::memory_order_acquire);
  if (!limits) return;
  auto idle = std::chrono::steady_clock::now() - t_conn.idle_since;
  if (!t_conn.in_request &&
      idle >= std::chrono::milliseconds(g_header_timeout_ms.load(std::memory_order_relaxed)))
    limits->count_timeout();
  release(conn, limits);
}

// After the socket is closed. CivetServer skips the callback above for a connection that
// ends before its constructor has stored civetweb's context; civetweb always calls this.
void on_connection_closed(const mg_connection* conn) {
  ConnectionLimits* limits = g_limits.load(std::memory_order_acquire);
  if (limits) release(conn, limits);
}

}  // namespace

void set_accept_gate(ConnectionLimits* limits, std::chrono::milliseconds header_timeout) {
  g_header_timeout_ms.store(header_timeout.count(), std::memory_order_relaxed);
  g_limits.store(limits, std::memory_order_release);
}

void set_serving(bool serving) {
  g_serving.store(serving);
  if (serving) g_serving.notify_all();
}

bool accept_gate_effective() {
  // The definition the dynamic linker binds for everyone, libcivetweb included.
  void* bound = dlsym(RTLD_DEFAULT, "accept");
  return bound == reinterpret_cast<void*>(&::accept);
}

void add_connection_callbacks(CivetCallbacks& callbacks) {
  callbacks.init_connection = on_init_connection;
  callbacks.begin_request = on_begin_request;
  callbacks.end_request = on_end_request;
  callbacks.connection_close = on_connection_close;  // CivetServer chains its own before it
  callbacks.connection_closed = on_connection_closed;
}

}  // namespace nfct

// Interposes libc's accept() for the whole process; civetweb's master thread is its only
// caller. accept4() with no flags is accept(). A refused connection is closed before
// civetweb sees it; civetweb treats the -1 like a failed accept and polls again, and the
// listening socket stays readable while more connections wait.
extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
  sockaddr_storage ss{};
  socklen_t sslen = sizeof ss;
  int s = accept4(fd, reinterpret_cast<sockaddr*>(&ss), &sslen, 0);
  if (s < 0) return s;
  if (addr && len) {
    std::memcpy(addr, &ss, std::min<size_t>(*len, sslen));
    *len = sslen;
  }
  nfct::ConnectionLimits* limits = nfct::g_limits.load(std::memory_order_acquire);
  if (!limits) return s;
  if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) return s;  // not an IP client: not limited
  auto verdict = limits->admit(nfct::client_text(ss));
  if (verdict == nfct::ConnectionLimits::Verdict::Admitted) return s;
  close(s);
  errno = ECONNABORTED;
  return -1;
}
