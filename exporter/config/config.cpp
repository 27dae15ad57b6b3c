#include "config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "listen_address.h"
#include "nfct.h"

namespace nfct {
namespace {

// yaml-cpp marks are 0-based; editors count from 1.
[[noreturn]] void fail(const std::string& source, const YAML::Mark& mark, const std::string& what) {
  std::ostringstream os;
  os << source;
  if (mark.line >= 0) os << ":" << mark.line + 1 << ":" << mark.column + 1;
  os << ": " << what;
  throw ConfigError(os.str());
}

class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  Config parse(const YAML::Node& root) {
    Config cfg;
    if (!root || root.IsNull()) return cfg;  // an empty file: all defaults
    expect_map(root, "the top level");
    for_each_key(root, "top-level", {
        {"probes", [&](const YAML::Node& n) { cfg.probes = probes(n); }},
        {"netns", [&](const YAML::Node& n) { cfg.netns = netns(n); }},
        {"netns_rescan_interval",
         [&](const YAML::Node& n) { cfg.netns_rescan_interval = duration(n, "netns_rescan_interval"); }},
        {"maps", [&](const YAML::Node& n) {
           expect_map(n, "maps");
           for_each_key(n, "maps", {
               {"max_entries", [&](const YAML::Node& v) {
                  cfg.max_entries = uint_in(v, "maps.max_entries", 16, 1u << 24);
                }},
               {"slots", [&](const YAML::Node& v) { cfg.slots = slot_count(v, "maps.slots"); }},
           });
         }},
        {"web", [&](const YAML::Node& n) {
           expect_map(n, "web");
           for_each_key(n, "web", {
               {"listen_address", [&](const YAML::Node& v) {
                  cfg.listen_address = checked(v, parse_listen_address(scalar(v, "web.listen_address")))
                                           .text;
                }},
               {"telemetry_path", [&](const YAML::Node& v) {
                  cfg.telemetry_path = checked(v, validate_telemetry_path(scalar(v, "web.telemetry_path")));
                }},
               {"max_connections", [&](const YAML::Node& v) {
                  cfg.max_connections = uint_in(v, "web.max_connections", 16, 4096);
                }},
               {"max_connections_per_client", [&](const YAML::Node& v) {
                  cfg.max_connections_per_client = uint_in(v, "web.max_connections_per_client", 1, 4096);
                }},
               {"header_timeout", [&](const YAML::Node& v) {
                  cfg.header_timeout = duration(v, "web.header_timeout");
                  if (cfg.header_timeout > std::chrono::minutes(1))
                    fail(source_, v.Mark(), "web.header_timeout: must be at most 1m");
                }},
           });
           if (cfg.max_connections_per_client > cfg.max_connections)
             fail(source_, n.Mark(), "web: max_connections_per_client must not be more than max_connections");
         }},
        {"log", [&](const YAML::Node& n) {
           expect_map(n, "log");
           for_each_key(n, "log", {
               {"level", [&](const YAML::Node& v) {
                  cfg.log_level = checked(v, validate_log_level(scalar(v, "log.level")));
                }},
           });
         }},
        {"events", [&](const YAML::Node& n) {
           expect_map(n, "events");
           for_each_key(n, "events", {
               {"sample_rate", [&](const YAML::Node& v) {
                  cfg.events.sample_rate = uint_in(v, "events.sample_rate", 0, 1u << 30);
                }},
               {"store_size", [&](const YAML::Node& v) {
                  cfg.events.store_size = uint_in(v, "events.store_size", 1, 1'000'000);
                }},
               {"ring_buffer_size", [&](const YAML::Node& v) {
                  uint32_t n = uint_in(v, "events.ring_buffer_size", 4096, 1u << 30);
                  if (n & (n - 1)) fail(source_, v.Mark(), "events.ring_buffer_size: must be a power of two");
                  cfg.events.ring_buffer_size = n;
                }},
           });
         }},
        {"table_stats", [&](const YAML::Node& n) {
           expect_map(n, "table_stats");
           for_each_key(n, "table_stats", {
               {"enabled", [&](const YAML::Node& v) { cfg.table_stats.enabled = boolean(v, "table_stats.enabled"); }},
               {"per_cpu", [&](const YAML::Node& v) { cfg.table_stats.per_cpu = boolean(v, "table_stats.per_cpu"); }},
               {"timeout", [&](const YAML::Node& v) {
                  cfg.table_stats.timeout = duration(v, "table_stats.timeout");
                  if (cfg.table_stats.timeout > std::chrono::minutes(1))
                    fail(source_, v.Mark(), "table_stats.timeout: must be at most 1m");
                }},
           });
         }},
        {"drops", [&](const YAML::Node& n) {
           expect_map(n, "drops");
           for_each_key(n, "drops", {
               {"enabled", [&](const YAML::Node& v) { cfg.drops.enabled = boolean(v, "drops.enabled"); }},
               {"slots", [&](const YAML::Node& v) { cfg.drops.slots = slot_count(v, "drops.slots"); }},
           });
         }},
        {"zone_entries", [&](const YAML::Node& n) {
           expect_map(n, "zone_entries");
           for_each_key(n, "zone_entries", {
               {"enabled", [&](const YAML::Node& v) { cfg.zone_entries.enabled = boolean(v, "zone_entries.enabled"); }},
               {"interval", [&](const YAML::Node& v) { cfg.zone_entries.interval = duration(v, "zone_entries.interval"); }},
               {"timeout", [&](const YAML::Node& v) { cfg.zone_entries.timeout = duration(v, "zone_entries.timeout"); }},
               {"max_series", [&](const YAML::Node& v) {
                  cfg.zone_entries.max_series = uint_in(v, "zone_entries.max_series", 1, 1'000'000);
                }},
           });
           if (cfg.zone_entries.timeout > cfg.zone_entries.interval)
             fail(source_, n.Mark(), "zone_entries: timeout must not be longer than interval");
         }},
    });
    return cfg;
  }

 private:
  using Handler = std::function<void(const YAML::Node&)>;

  void for_each_key(const YAML::Node& map, const std::string& where,
                    const std::map<std::string, Handler>& handlers) {
    std::set<std::string> seen;
    for (const auto& kv : map) {
      const std::string key = scalar(kv.first, where + " key");
      auto it = handlers.find(key);
      if (it == handlers.end()) {
        std::string known;
        for (const auto& [k, _] : handlers) known += (known.empty() ? "" : ", ") + k;
        fail(source_, kv.first.Mark(), "unknown " + where + " key '" + key + "' (expected one of: " + known + ")");
      }
      if (!seen.insert(key).second) fail(source_, kv.first.Mark(), "duplicate key '" + key + "'");
      // yaml-cpp places an empty value at the next token: report it at its key.
      if (kv.second.IsNull())
        fail(source_, kv.first.Mark(),
             (where == "top-level" ? key : where + "." + key) + ": expected a value, found none");
      it->second(kv.second);
    }
  }

  void expect_map(const YAML::Node& n, const std::string& what) {
    if (!n.IsMap()) fail(source_, n.Mark(), what + ": expected a mapping");
  }

  std::string scalar(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) fail(source_, n.Mark(), what + ": expected a string");
    return n.Scalar();
  }

  template <class T>
  T checked(const YAML::Node& n, Expected<T> v) {
    if (!v) fail(source_, n.Mark(), v.error());
    return std::move(v.value());
  }

  bool boolean(const YAML::Node& n, const std::string& what) {
    const std::string s = scalar(n, what);
    if (s == "true") return true;
    if (s == "false") return false;
    fail(source_, n.Mark(), what + ": expected true or false, got '" + s + "'");
  }

  uint32_t uint_in(const YAML::Node& n, const std::string& what, uint64_t lo, uint64_t hi) {
    if (!n.IsScalar()) fail(source_, n.Mark(), what + ": expected an integer");
    const std::string s = n.Scalar();
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size())
      fail(source_, n.Mark(), what + ": expected an integer, got '" + s + "'");
    if (v < lo || v > hi)
      fail(source_, n.Mark(),
           what + ": " + s + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    return static_cast<uint32_t>(v);
  }

  // The slots of a counting table: 0 (off) or a power of two up to 2^20.
  uint32_t slot_count(const YAML::Node& n, const std::string& what) {
    const uint32_t v = uint_in(n, what, 0, 1u << 20);
    if (v & (v - 1)) fail(source_, n.Mark(), what + ": expected 0 or a power of two, got " + std::to_string(v));
    return v;
  }

  std::chrono::milliseconds duration(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) fail(source_, n.Mark(), what + ": expected a duration such as 5s");
    auto d = parse_duration(n.Scalar());
    if (!d) fail(source_, n.Mark(), what + ": " + d.error());
    if (d.value() < std::chrono::milliseconds(100))
      fail(source_, n.Mark(), what + ": must be at least 100ms");
    return d.value();
  }

  std::vector<Probe> probes(const YAML::Node& n) {
    if (!n.IsSequence()) fail(source_, n.Mark(), "probes: expected a list of probes");
    if (n.size() == 0) fail(source_, n.Mark(), "probes: the list is empty");
    std::vector<Probe> out;
    for (const auto& item : n) {
      Probe p = checked(item, parse_probe(scalar(item, "probes entry")));
      for (const auto& q : out)
        if (q == p) fail(source_, item.Mark(), "probes: '" + p.name() + "' is listed twice");
      out.push_back(std::move(p));
    }
    size_t tracepoints = 0;
    for (const auto& p : out) tracepoints += p.kind == Probe::Kind::Tracepoint;
    if (tracepoints > kMaxTracepointProbes)
      fail(source_, n.Mark(), "probes: at most " + std::to_string(kMaxTracepointProbes) + " tracepoints");
    return out;
  }

  NetnsSelection netns(const YAML::Node& n) {
    NetnsSelection sel;
    if (n.IsScalar()) {
      if (n.Scalar() != "all") fail(source_, n.Mark(), "netns: expected 'all' or a list of names or paths");
      return sel;
    }
    if (!n.IsSequence() || n.size() == 0)
      fail(source_, n.Mark(), "netns: expected 'all' or a non-empty list of names or paths");
    sel.all = false;
    for (const auto& item : n) {
      std::string e = scalar(item, "netns entry");
      // A NUL would cut the path the kernel gets (open() stops there).
      if (e.find('\0') != std::string::npos)
        fail(source_, item.Mark(), "netns: entry contains a NUL byte");
      if (e.empty() || e == "." || e == ".." || (e.find('/') == std::string::npos && e.size() > 255))
        fail(source_, item.Mark(), "netns: '" + e + "' is not a namespace name or path");
      sel.entries.push_back(std::move(e));
    }
    return sel;
  }

  static constexpr size_t kMaxTracepointProbes = NFCT_MAX_TP_PROBES;
  std::string source_;
};

}  // namespace

Config parse_config(std::string_view yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    fail(source, e.mark, "invalid YAML: " + e.msg);
  }
  try {
    return Parser(source).parse(root);
  } catch (const YAML::Exception& e) {
    fail(source, e.mark, e.msg);
  }
}

Config load_config_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw ConfigError(path + ": is a directory, not a config file");
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open config file: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read config file");
  return parse_config(ss.str(), path);
}

Expected<std::chrono::milliseconds> parse_duration(std::string_view text) {
  static const std::pair<std::string_view, long> units[] = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p == text.data())
    return Error{"expected a duration such as 5s, 500ms or 1m, got '" + std::string(text) + "'"};
  std::string_view unit(p, text.data() + text.size() - p);
  for (auto [u, mult] : units)
    if (unit == u) {
      if (n > 24ull * 3'600'000 / mult) return Error{"duration '" + std::string(text) + "' is too long"};
      return std::chrono::milliseconds(n * mult);
    }
  return Error{"expected a duration such as 5s, 500ms or 1m, got '" + std::string(text) + "'"};
}

Expected<std::string> validate_log_level(std::string_view level) {
  for (auto l : {"debug", "info", "warn", "error"})
    if (level == l) return std::string(level);
  return Error{"log level '" + std::string(level) + "' is not debug, info, warn or error"};
}

Expected<std::string> validate_telemetry_path(std::string_view path) {
  if (path.empty() || path[0] != '/')
    return Error{"telemetry path '" + std::string(path) + "' must start with '/'"};
  for (unsigned char c : path)
    if (c <= ' ' || c >= 0x7f || c == '?' || c == '#')
      return Error{"telemetry path '" + std::string(path) + "' contains a character not allowed in a path"};
  for (auto reserved : {"/", "/events", "/healthz"})
    if (path == reserved) return Error{"telemetry path '" + std::string(path) + "' is reserved"};
  return std::string(path);
}

}  // namespace nfct
