#include "libbpf_log.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <string>

#include "log.h"

namespace nfct {
namespace {

int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  const auto lvl = level == LIBBPF_WARN ? spdlog::level::warn : spdlog::level::debug;
  if (!spdlog::should_log(lvl)) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof buf, fmt, args);
  std::string msg(buf, n < 0 ? 0 : std::min<size_t>(n, sizeof buf - 1));
  while (!msg.empty() && msg.back() == '\n') msg.pop_back();
  spdlog::log(lvl, "{}", msg);  // libbpf prefixes its own "libbpf: "
  return n;
}

}  // namespace

void route_libbpf_log() { libbpf_set_print(libbpf_print); }

}  // namespace nfct
