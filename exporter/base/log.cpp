#include "log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

namespace nfct {
namespace {

// spdlog's own level names; the configuration accepts debug, info, warn and error, and
// anything spdlog does not know (from_str gives off) is info.
spdlog::level::level_enum to_level(std::string_view level) {
  auto l = spdlog::level::from_str(std::string(level));
  return l == spdlog::level::off ? spdlog::level::info : l;
}

}  // namespace

void init_logging(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("nfct_exporter");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  spdlog::set_default_logger(logger);
  set_log_level(level);
}

void set_log_level(std::string_view level) { spdlog::set_level(to_level(level)); }

}  // namespace nfct
