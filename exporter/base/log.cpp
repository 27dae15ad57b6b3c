#include "log.h"

#include <bpf/libbpf.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <cstdarg>
#include <cstdio>
#include <string>

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

spdlog::level::level_enum to_level(std::string_view level) {
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  return spdlog::level::info;
}

}  // namespace

void init_logging(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("nfct_exporter");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  spdlog::set_default_logger(logger);
  set_log_level(level);
  libbpf_set_print(libbpf_print);
}

void set_log_level(std::string_view level) { spdlog::set_level(to_level(level)); }

}  // namespace nfct
