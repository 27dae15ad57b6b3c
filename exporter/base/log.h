// Logging. Levels, as set by `log.level` / `--log.level`:
//   debug  every attach and detach, every namespace scan, libbpf's own debug output
//   info   start-up summary, namespaces appearing and disappearing, shutdown
//   warn   a probe that cannot attach, a scrape that could not read a map
//   error  what stops the exporter
// Everything goes to stderr with a timestamp. libbpf's print callback is routed here:
// its warnings become warn, its info and debug become debug.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace nfct {

void init_logging(std::string_view level);
void set_log_level(std::string_view level);

}  // namespace nfct
