// The YAML configuration: defaults, parsing and validation.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "error.h"
#include "probe.h"

namespace nfct {

inline constexpr std::string_view kDefaultListenAddress = "0.0.0.0:9747";

// Which network namespaces get netfilter hooks: all of them, or the listed ones
// (a name in /run/netns, or a path when the entry contains a '/').
struct NetnsSelection {
  bool all = true;
  std::vector<std::string> entries;
};

struct Config {
  std::vector<Probe> probes = default_probes();
  NetnsSelection netns;
  std::chrono::milliseconds netns_rescan_interval{5000};
  uint32_t max_entries = 65536;  // maps.max_entries: counter map entries
  uint32_t slots = 16384;        // maps.slots: counting table slots (all CPUs), a power of two, 0 = off
  std::string listen_address{kDefaultListenAddress};
  std::string telemetry_path = "/metrics";
  // HTTP connection limits: web.max_connections, web.max_connections_per_client, and
  // web.header_timeout (a request head's deadline and a kept-alive connection's idle time).
  uint32_t max_connections = 64;
  uint32_t max_connections_per_client = 32;
  std::chrono::milliseconds header_timeout{5000};
  std::string log_level = "info";
  struct Events {
    uint32_t sample_rate = 1000;            // 1 in N tracked packets; 0 = off
    uint32_t store_size = 4096;             // events kept for /events
    uint32_t ring_buffer_size = 1u << 20;   // bytes, a power of two >= 4096
  } events;
  // Conntrack table size, limit and kernel statistics over ctnetlink, on every scrape.
  struct TableStats {
    bool enabled = true;
    bool per_cpu = false;                     // a `cpu` label instead of sums over CPUs
    std::chrono::milliseconds timeout{2000};  // per namespace and scrape
  } table_stats;
  // Live entries per zone, protocol and TCP state from a background table dump.
  struct ZoneEntries {
    bool enabled = false;
    std::chrono::milliseconds interval{30000};
    std::chrono::milliseconds timeout{10000};  // per namespace and dump, at most interval
    uint32_t max_series = 1000;                // per namespace
  } zone_entries;
  // The drop probe at skb:kfree_skb (drop_probe.h): on where the kernel has it.
  struct Drops {
    bool enabled = true;
    uint32_t slots = 4096;  // drops.slots: the drop probe's counting table, as maps.slots
  } drops;
};

// A configuration error: `what()` names the file, line and column and what was expected.
class ConfigError : public FatalError {
 public:
  using FatalError::FatalError;
};

// Parses YAML text; `source` names it in error messages. Throws ConfigError.
Config parse_config(std::string_view yaml, const std::string& source);
// Reads and parses a file. Throws ConfigError.
Config load_config_file(const std::string& path);

// "5s", "500ms", "2m", "1h". nullopt-like Error on anything else.
Expected<std::chrono::milliseconds> parse_duration(std::string_view text);

// Validators shared by the config file and the command line.
Expected<std::string> validate_log_level(std::string_view level);
Expected<std::string> validate_telemetry_path(std::string_view path);

}  // namespace nfct
