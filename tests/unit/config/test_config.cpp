// Config file parsing and validation (exporter/config.h).
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "config.h"

using namespace std::chrono_literals;
using nfct::Config;
using nfct::ConfigError;
using nfct::parse_config;

namespace {

constexpr const char* kSource = "test.yaml";

// The message of the ConfigError that parsing `yaml` throws; "" when it parses.
std::string config_error(std::string_view yaml) {
  try {
    parse_config(yaml, kSource);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// "test.yaml:L:C: " where L and C are positive integers.
bool has_position_prefix(const std::string& msg) {
  const std::string p = std::string(kSource) + ":";
  if (!starts_with(msg, p)) return false;
  size_t i = p.size();
  auto number = [&] {
    size_t start = i;
    while (i < msg.size() && msg[i] >= '0' && msg[i] <= '9') i++;
    return i > start && msg[start] != '0';
  };
  if (!number() || i >= msg.size() || msg[i++] != ':') return false;
  if (!number() || i >= msg.size() || msg[i++] != ':') return false;
  return i < msg.size() && msg[i] == ' ';
}

std::vector<std::string> probe_names(const Config& c) {
  std::vector<std::string> out;
  for (const auto& p : c.probes) out.push_back(p.name());
  return out;
}

void check_defaults(const Config& c) {
  CHECK(probe_names(c) == std::vector<std::string>{"nf:ipv4:input", "nf:ipv4:postrouting",
                                                    "nf:ipv6:input", "nf:ipv6:postrouting"});
  CHECK(c.probes == nfct::default_probes());
  CHECK(c.netns.all);
  CHECK(c.netns.entries.empty());
  CHECK(c.netns_rescan_interval == 5s);
  CHECK(c.max_entries == 65536u);
  CHECK(c.listen_address == "0.0.0.0:9747");
  CHECK(c.telemetry_path == "/metrics");
  CHECK(c.log_level == "info");
  CHECK(c.slots == 16384u);
  CHECK(c.events.sample_rate == 1000u);
}

// A file in a fresh temporary directory, removed at the end of the scope.
struct TempFile {
  std::string dir;
  std::string path;
  explicit TempFile(std::string_view content) {
    char tmpl[] = "/tmp/nfct_config_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    path = dir + "/nfct.yaml";
    std::ofstream(path) << content;
  }
  ~TempFile() {
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
  }
};

}  // namespace

TEST_SUITE("config") {

TEST_CASE("an empty file, or one holding only comments, gets every default") {
  check_defaults(parse_config("", kSource));
  check_defaults(parse_config("\n\n", kSource));
  check_defaults(parse_config("# nothing here\n# at all\n", kSource));
  check_defaults(parse_config("---\n", kSource));
}

TEST_CASE("a file with only some keys gets the defaults for the rest") {
  SUBCASE("only log.level") {
    Config c = parse_config("log:\n  level: debug\n", kSource);
    CHECK(c.log_level == "debug");
    c.log_level = "info";
    check_defaults(c);
  }
  SUBCASE("only web.telemetry_path: web.listen_address keeps its default") {
    Config c = parse_config("web:\n  telemetry_path: /prom\n", kSource);
    CHECK(c.telemetry_path == "/prom");
    CHECK(c.listen_address == "0.0.0.0:9747");
    c.telemetry_path = "/metrics";
    check_defaults(c);
  }
  SUBCASE("only probes") {
    Config c = parse_config("probes: [nf:ipv6:forward]\n", kSource);
    CHECK(probe_names(c) == std::vector<std::string>{"nf:ipv6:forward"});
    c.probes = nfct::default_probes();
    check_defaults(c);
  }
  SUBCASE("only events.sample_rate") {
    Config c = parse_config("events:\n  sample_rate: 100\n", kSource);
    CHECK(c.events.sample_rate == 100u);
    c.events.sample_rate = 1000;
    check_defaults(c);
  }
}

TEST_CASE("every key is read") {
  const char* yaml = R"(probes:
  - nf:ipv6:forward
  - tp:net:net_dev_start_xmit
  - nf:ipv4:prerouting
netns:
  - blue
  - /proc/1/ns/net
netns_rescan_interval: 250ms
maps:
  max_entries: 1024
web:
  listen_address: 127.0.0.1:9100
  telemetry_path: /prom/metrics
log:
  level: warn
events:
  sample_rate: 10
)";
  Config c = parse_config(yaml, kSource);
  REQUIRE(c.probes.size() == 3);
  CHECK(probe_names(c) ==
        std::vector<std::string>{"nf:ipv6:forward", "tp:net:net_dev_start_xmit", "nf:ipv4:prerouting"});
  CHECK(c.probes[0].kind == nfct::Probe::Kind::Netfilter);
  CHECK(c.probes[0].pf == 10);
  CHECK(c.probes[0].hook == 2);
  CHECK(c.probes[1].kind == nfct::Probe::Kind::Tracepoint);
  CHECK(c.probes[1].category == "net");
  CHECK(c.probes[1].event == "net_dev_start_xmit");
  CHECK_FALSE(c.netns.all);
  CHECK(c.netns.entries == std::vector<std::string>{"blue", "/proc/1/ns/net"});
  CHECK(c.netns_rescan_interval == 250ms);
  CHECK(c.max_entries == 1024u);
  CHECK(c.listen_address == "127.0.0.1:9100");
  CHECK(c.telemetry_path == "/prom/metrics");
  CHECK(c.log_level == "warn");
  CHECK(c.events.sample_rate == 10u);
}

TEST_CASE("flow style YAML is the same as block style") {
  Config c = parse_config(
      "{probes: [nf:ipv4:output], netns: [red], maps: {max_entries: 16}, log: {level: error}}", kSource);
  CHECK(probe_names(c) == std::vector<std::string>{"nf:ipv4:output"});
  CHECK(c.netns.entries == std::vector<std::string>{"red"});
  CHECK(c.max_entries == 16u);
  CHECK(c.log_level == "error");
}

TEST_CASE("netns: all and lists") {
  Config all = parse_config("netns: all\n", kSource);
  CHECK(all.netns.all);
  CHECK(all.netns.entries.empty());

  Config list = parse_config("netns: [a, b, /run/netns/c, /proc/42/ns/net]\n", kSource);
  CHECK_FALSE(list.netns.all);
  CHECK(list.netns.entries == std::vector<std::string>{"a", "b", "/run/netns/c", "/proc/42/ns/net"});

  // A path may be long; a name must fit a file name.
  const std::string long_path = "/" + std::string(300, 'p');
  CHECK(parse_config("netns: [" + long_path + "]\n", kSource).netns.entries ==
        std::vector<std::string>{long_path});
  CHECK(parse_config("netns: [" + std::string(255, 'n') + "]\n", kSource).netns.entries.size() == 1);
}

TEST_CASE("netns errors") {
  std::string e = config_error("netns: some\n");
  CHECK(starts_with(e, "test.yaml:1:8: "));
  CHECK(contains(e, "netns"));
  CHECK(contains(e, "expected 'all'"));

  e = config_error("netns: []\n");
  CHECK(starts_with(e, "test.yaml:1:8: "));
  CHECK(contains(e, "non-empty list"));

  e = config_error("netns:\n  a: b\n");
  CHECK(starts_with(e, "test.yaml:2:3: "));
  CHECK(contains(e, "netns: expected 'all' or a non-empty list"));

  e = config_error("netns:\n  - ok\n  - ..\n");
  CHECK(starts_with(e, "test.yaml:3:5: "));
  CHECK(contains(e, "'..'"));

  CHECK(contains(config_error("netns: ['']\n"), "is not a namespace name or path"));
  CHECK(contains(config_error("netns: [.]\n"), "is not a namespace name or path"));
  CHECK(contains(config_error("netns: [" + std::string(256, 'n') + "]\n"), "is not a namespace name"));

  e = config_error("netns:\n  - [a]\n");
  CHECK(starts_with(e, "test.yaml:2:5: "));
  CHECK(contains(e, "netns entry: expected a string"));
}

TEST_CASE("netns_rescan_interval durations") {
  auto interval = [](const std::string& v) {
    return parse_config("netns_rescan_interval: " + v + "\n", kSource).netns_rescan_interval;
  };
  CHECK(interval("5s") == 5s);
  CHECK(interval("500ms") == 500ms);
  CHECK(interval("100ms") == 100ms);
  CHECK(interval("2m") == 2min);
  CHECK(interval("1h") == 1h);
  CHECK(interval("24h") == 24h);
  CHECK(interval("90s") == 90s);

  std::string e = config_error("netns_rescan_interval: 5\n");
  CHECK(starts_with(e, "test.yaml:1:24: "));
  CHECK(contains(e, "netns_rescan_interval"));
  CHECK(contains(e, "expected a duration"));

  for (const char* bad : {"5x", "s", "ms5", "-1s", "1.5s", "5 s", "5S", "''", "0x5s", "5sec"}) {
    CAPTURE(bad);
    e = config_error(std::string("netns_rescan_interval: ") + bad + "\n");
    CHECK(has_position_prefix(e));
    CHECK(contains(e, "netns_rescan_interval"));
  }

  e = config_error("netns_rescan_interval: 99ms\n");
  CHECK(starts_with(e, "test.yaml:1:24: "));
  CHECK(contains(e, "at least 100ms"));
  CHECK(contains(config_error("netns_rescan_interval: 0s\n"), "at least 100ms"));

  e = config_error("netns_rescan_interval: 25h\n");
  CHECK(starts_with(e, "test.yaml:1:24: "));
  CHECK(contains(e, "too long"));
  CHECK(contains(config_error("netns_rescan_interval: 99999999999999999999999s\n"), "netns_rescan_interval"));

  e = config_error("netns_rescan_interval: [5s]\n");
  CHECK(starts_with(e, "test.yaml:1:24: "));
  CHECK(contains(e, "netns_rescan_interval"));
}

TEST_CASE("parse_duration") {
  using nfct::parse_duration;
  CHECK(parse_duration("1ms").value() == 1ms);
  CHECK(parse_duration("0s").value() == 0ms);
  CHECK(parse_duration("7s").value() == 7000ms);
  CHECK(parse_duration("3m").value() == 180000ms);
  CHECK(parse_duration("2h").value() == 7200000ms);
  CHECK(parse_duration("86400000ms").value() == 24h);
  CHECK(parse_duration("1440m").value() == 24h);
  for (const char* bad : {"", "s", "1", "1d", "1 s", " 1s", "1s ", "-1s", "+1s", "1.0s", "1hh", "86400001ms",
                          "1441m", "25h", "18446744073709551616ms"}) {
    CAPTURE(bad);
    auto d = parse_duration(bad);
    CHECK_FALSE(d.has_value());
    if (!d.has_value()) CHECK(contains(d.error(), bad));
  }
}

TEST_CASE("maps.max_entries and events.sample_rate ranges") {
  auto max_entries = [](const std::string& v) {
    return parse_config("maps:\n  max_entries: " + v + "\n", kSource).max_entries;
  };
  CHECK(max_entries("16") == 16u);
  CHECK(max_entries("16777216") == 16777216u);

  std::string e = config_error("maps:\n  max_entries: 15\n");
  CHECK(e == "test.yaml:2:16: maps.max_entries: 15 is out of range [16, 16777216]");
  e = config_error("maps:\n  max_entries: 16777217\n");
  CHECK(starts_with(e, "test.yaml:2:16: "));
  CHECK(contains(e, "out of range"));
  // Larger than any integer type: still a range error or an integer error, with a position.
  e = config_error("maps:\n  max_entries: 99999999999999999999999\n");
  CHECK(starts_with(e, "test.yaml:2:16: maps.max_entries: "));

  auto slots = [](const std::string& v) {
    return parse_config("maps:\n  slots: " + v + "\n", kSource).slots;
  };
  CHECK(slots("0") == 0u);
  CHECK(slots("1") == 1u);
  CHECK(slots("65536") == 65536u);
  CHECK(slots("1048576") == 1048576u);
  e = config_error("maps:\n  slots: 1048577\n");
  CHECK(e == "test.yaml:2:10: maps.slots: 1048577 is out of range [0, 1048576]");
  e = config_error("maps:\n  slots: 1000\n");
  CHECK(e == "test.yaml:2:10: maps.slots: expected 0 or a power of two, got 1000");
  e = config_error("maps:\n  slots: -1\n");
  CHECK(starts_with(e, "test.yaml:2:10: maps.slots: "));

  auto rate = [](const std::string& v) {
    return parse_config("events:\n  sample_rate: " + v + "\n", kSource).events.sample_rate;
  };
  CHECK(rate("0") == 0u);
  CHECK(rate("1") == 1u);
  CHECK(rate("1073741824") == 1073741824u);
  e = config_error("events:\n  sample_rate: 1073741825\n");
  CHECK(starts_with(e, "test.yaml:2:16: events.sample_rate: "));
  CHECK(contains(e, "out of range"));
  // Not wrapped into range through uint32_t.
  e = config_error("events:\n  sample_rate: 4294967297\n");
  CHECK(contains(e, "out of range"));
}

TEST_CASE("a string where an integer is expected") {
  std::string e = config_error("maps:\n  max_entries: lots\n");
  CHECK(e == "test.yaml:2:16: maps.max_entries: expected an integer, got 'lots'");
  for (const char* bad : {"-1", "1.5", "0x100", "1e3", "'  64'", "64k", "+64", "true"}) {
    CAPTURE(bad);
    e = config_error(std::string("maps:\n  max_entries: ") + bad + "\n");
    CHECK(starts_with(e, "test.yaml:2:16: maps.max_entries: expected an integer"));
  }
  e = config_error("events:\n  sample_rate: often\n");
  CHECK(e == "test.yaml:2:16: events.sample_rate: expected an integer, got 'often'");
}

TEST_CASE("a list or a mapping where a scalar is expected") {
  std::string e = config_error("maps:\n  max_entries: [1, 2]\n");
  CHECK(starts_with(e, "test.yaml:2:16: maps.max_entries: expected"));
  e = config_error("events:\n  sample_rate: {a: 1}\n");
  CHECK(starts_with(e, "test.yaml:2:16: events.sample_rate: expected"));
  e = config_error("log:\n  level: [debug]\n");
  CHECK(e == "test.yaml:2:10: log.level: expected a string");
  e = config_error("web:\n  listen_address:\n    - :9100\n");
  CHECK(starts_with(e, "test.yaml:3:5: web.listen_address: expected a string"));
  e = config_error("web:\n  telemetry_path: {a: b}\n");
  CHECK(starts_with(e, "test.yaml:2:19: web.telemetry_path: expected a string"));
}

TEST_CASE("a list where an integer is expected says an integer is expected") {
  // Reported: the message says "expected a string" for integer keys.
  CHECK(contains(config_error("maps:\n  max_entries: [1, 2]\n"), "integer"));
  CHECK(contains(config_error("events:\n  sample_rate: {a: 1}\n"), "integer"));
}

TEST_CASE("a missing value is an error with a position") {
  for (const char* yaml : {"maps:\n  max_entries:\n", "log:\n  level:\n", "web:\n  listen_address:\n",
                           "netns_rescan_interval:\n", "events:\n  sample_rate:\n", "probes:\n",
                           "netns:\n"}) {
    CAPTURE(yaml);
    std::string e = config_error(yaml);
    CHECK(has_position_prefix(e));
    CHECK(contains(e, "expected"));
  }
}

TEST_CASE("a missing value is reported on the line of its key") {
  // Reported: yaml-cpp gives an empty value the position of the next token, so the
  // message points at the following key's line.
  CHECK(starts_with(config_error("maps:\n  max_entries:\nlog:\n  level: info\n"), "test.yaml:2:"));
  CHECK(starts_with(config_error("netns_rescan_interval:\nweb:\n  telemetry_path: /x\n"), "test.yaml:1:"));
}

TEST_CASE("a mapping or a scalar where a list is expected") {
  std::string e = config_error("probes:\n  nf: ipv4\n");
  CHECK(e == "test.yaml:2:3: probes: expected a list of probes");
  e = config_error("probes: nf:ipv4:input\n");
  CHECK(e == "test.yaml:1:9: probes: expected a list of probes");
}

TEST_CASE("a scalar or a list where a mapping is expected") {
  CHECK(config_error("maps: 1024\n") == "test.yaml:1:7: maps: expected a mapping");
  CHECK(config_error("web: [a, b]\n") == "test.yaml:1:6: web: expected a mapping");
  CHECK(config_error("log: debug\n") == "test.yaml:1:6: log: expected a mapping");
  CHECK(config_error("events: 1\n") == "test.yaml:1:9: events: expected a mapping");
  CHECK(config_error("- probes\n") == "test.yaml:1:1: the top level: expected a mapping");
  CHECK(config_error("just a string\n") == "test.yaml:1:1: the top level: expected a mapping");
}

TEST_CASE("unknown keys at every level") {
  std::string e = config_error("probes: [nf:ipv4:input]\nprobe: [nf:ipv4:input]\n");
  CHECK(starts_with(e, "test.yaml:2:1: unknown top-level key 'probe'"));
  // What was expected: the known keys.
  for (const char* key : {"probes", "netns", "netns_rescan_interval", "maps", "web", "log", "events"})
    CHECK(contains(e, key));

  e = config_error("maps:\n  max_entries: 100\n  max_entrys: 2\n");
  CHECK(e == "test.yaml:3:3: unknown maps key 'max_entrys' (expected one of: max_entries, slots)");

  e = config_error("web:\n  listen-address: :9100\n");
  CHECK(starts_with(e, "test.yaml:2:3: unknown web key 'listen-address'"));
  CHECK(contains(e, "listen_address"));
  CHECK(contains(e, "telemetry_path"));

  e = config_error("log:\n  format: json\n");
  CHECK(starts_with(e, "test.yaml:2:3: unknown log key 'format'"));
  CHECK(contains(e, "level"));

  e = config_error("events:\n  sample-rate: 1\n");
  CHECK(starts_with(e, "test.yaml:2:3: unknown events key 'sample-rate'"));
  CHECK(contains(e, "sample_rate"));

  // Top-level keys are not accepted one level down, nor nested keys at the top.
  CHECK(contains(config_error("web:\n  level: info\n"), "unknown web key 'level'"));
  CHECK(contains(config_error("max_entries: 100\n"), "unknown top-level key 'max_entries'"));
  // Keys are case-sensitive.
  CHECK(contains(config_error("Probes: [nf:ipv4:input]\n"), "unknown top-level key 'Probes'"));
}

TEST_CASE("a key that is not a scalar") {
  std::string e = config_error("? [a, b]\n: 1\n");
  CHECK(has_position_prefix(e));
  CHECK(contains(e, "expected a string"));
}

TEST_CASE("duplicate keys") {
  std::string e = config_error("log:\n  level: info\nlog:\n  level: debug\n");
  CHECK(starts_with(e, "test.yaml:3:1: "));
  CHECK(contains(e, "duplicate key 'log'"));
  e = config_error("web:\n  telemetry_path: /a\n  telemetry_path: /b\n");
  CHECK(starts_with(e, "test.yaml:3:3: "));
  CHECK(contains(e, "duplicate key 'telemetry_path'"));
}

TEST_CASE("probe errors") {
  std::string e = config_error("probes:\n  - nf:ipv4:input\n  - nf:ipv4:inptu\n");
  CHECK(starts_with(e, "test.yaml:3:5: "));
  CHECK(contains(e, "nf:ipv4:inptu"));
  CHECK(contains(e, "prerouting, input, forward, output or postrouting"));

  e = config_error("probes: [nf:ipv4:input, nf:ipv6:input, nf:ipv4:input]\n");
  CHECK(starts_with(e, "test.yaml:1:40: "));
  CHECK(contains(e, "'nf:ipv4:input' is listed twice"));

  e = config_error("probes:\n  - tp:net:net_dev_start_xmit\n  - tp:net:net_dev_start_xmit\n");
  CHECK(starts_with(e, "test.yaml:3:5: "));
  CHECK(contains(e, "listed twice"));

  e = config_error("probes: []\n");
  CHECK(starts_with(e, "test.yaml:1:9: "));
  CHECK(contains(e, "probes: the list is empty"));

  e = config_error("probes:\n  - [nf:ipv4:input]\n");
  CHECK(e == "test.yaml:2:5: probes entry: expected a string");

  e = config_error("probes: [xdp:eth0:rx]\n");
  CHECK(starts_with(e, "test.yaml:1:10: "));
  CHECK(contains(e, "kind 'xdp' is not nf or tp"));
}

TEST_CASE("at most 54 tracepoint probes fit the BPF probe index space") {
  auto tracepoints = [](int n) {
    std::string yaml = "probes:\n";
    for (int i = 0; i < n; i++) yaml += "  - tp:cat:event" + std::to_string(i) + "\n";
    return yaml;
  };
  // 54 tracepoints (indexes 10..63) and all 10 netfilter hooks: 64 probes.
  std::string all = tracepoints(54);
  for (auto pf : {"ipv4", "ipv6"})
    for (auto hook : {"prerouting", "input", "forward", "output", "postrouting"})
      all += std::string("  - nf:") + pf + ":" + hook + "\n";
  CHECK(parse_config(all, kSource).probes.size() == 64);

  std::string e = config_error(tracepoints(55));
  CHECK(has_position_prefix(e));
  CHECK(contains(e, "at most 54"));
}

TEST_CASE("bad listen address, log level and telemetry path") {
  std::string e = config_error("web:\n  listen_address: 1.2.3.4\n");
  CHECK(starts_with(e, "test.yaml:2:19: "));
  CHECK(contains(e, "1.2.3.4"));
  CHECK(contains(e, "HOST:PORT"));

  e = config_error("web:\n  listen_address: '[::]:9747'\n");
  CHECK(starts_with(e, "test.yaml:2:19: "));
  CHECK(contains(e, "IPv6"));

  e = config_error("web:\n  listen_address: host:80\n");
  CHECK(contains(e, "IPv4"));
  e = config_error("web:\n  listen_address: :0\n");
  CHECK(contains(e, "port"));

  e = config_error("log:\n  level: verbose\n");
  CHECK(e == "test.yaml:2:10: log level 'verbose' is not debug, info, warn or error");
  CHECK(contains(config_error("log:\n  level: INFO\n"), "'INFO'"));
  CHECK(contains(config_error("log:\n  level: warning\n"), "'warning'"));

  e = config_error("web:\n  telemetry_path: metrics\n");
  CHECK(e == "test.yaml:2:19: telemetry path 'metrics' must start with '/'");
  for (const char* bad : {"/", "/events", "/healthz", "'/a b'", "/a?b", "/a#b", "''"}) {
    CAPTURE(bad);
    e = config_error(std::string("web:\n  telemetry_path: ") + bad + "\n");
    CHECK(starts_with(e, "test.yaml:2:19: telemetry path"));
  }
}

TEST_CASE("validators shared with the command line") {
  for (const char* l : {"debug", "info", "warn", "error"}) CHECK(nfct::validate_log_level(l).value() == l);
  for (const char* l : {"", "trace", "Debug", "fatal", "info "}) {
    CAPTURE(l);
    CHECK_FALSE(nfct::validate_log_level(l).has_value());
  }
  for (const char* p : {"/metrics", "/prom", "/a/b/c", "/metrics/", "/events2", "/x-y_z.txt"})
    CHECK(nfct::validate_telemetry_path(p).value() == p);
  for (const char* p : {"", "metrics", "/", "/events", "/healthz", "/a b", "/a\tb", "/a?x=1", "/a#f",
                        "/\xc3\xa9"}) {
    CAPTURE(p);
    auto v = nfct::validate_telemetry_path(p);
    CHECK_FALSE(v.has_value());
    if (!v.has_value()) CHECK(contains(v.error(), "telemetry path"));
  }
}

TEST_CASE("malformed YAML names the file, line and column") {
  std::string e = config_error("probes: [nf:ipv4:input\n");
  CHECK(has_position_prefix(e));
  CHECK(contains(e, "invalid YAML"));

  e = config_error("log:\n  level: info\n level2: x\n");
  CHECK(has_position_prefix(e));
  CHECK(contains(e, "invalid YAML"));

  e = config_error("web: {listen_address: :9100\n");
  CHECK(has_position_prefix(e));
  CHECK(contains(e, "invalid YAML"));

  e = config_error("probes: [nf:ipv4:input}\n");
  CHECK(starts_with(e, "test.yaml:1:23: invalid YAML"));

  e = config_error("netns: *undefined_anchor\n");
  CHECK(has_position_prefix(e));
  CHECK(contains(e, "invalid YAML"));

  // The position of a known error: a map value on line 3 where a key is expected.
  e = config_error("log:\n  level: info\n  - x\n");
  CHECK(starts_with(e, "test.yaml:3:3: invalid YAML"));
}

TEST_CASE("load_config_file") {
  SUBCASE("a missing file") {
    const std::string path = "/nonexistent/nfct_exporter.yaml";
    try {
      nfct::load_config_file(path);
      FAIL("no error for a missing file");
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      CHECK(starts_with(msg, path + ": "));
      CHECK(contains(msg, "No such file or directory"));
    }
  }
  SUBCASE("a file with an error names the path, line and column") {
    TempFile f("log:\n  level: info\nweb:\n  telemetry_path: nope\n");
    try {
      nfct::load_config_file(f.path);
      FAIL("no error for a bad telemetry path");
    } catch (const ConfigError& e) {
      CHECK(starts_with(e.what(), f.path + ":4:19: telemetry path 'nope'"));
    }
  }
  SUBCASE("a good file") {
    TempFile f("probes: [nf:ipv4:forward]\nevents:\n  sample_rate: 3\n");
    Config c = nfct::load_config_file(f.path);
    CHECK(probe_names(c) == std::vector<std::string>{"nf:ipv4:forward"});
    CHECK(c.events.sample_rate == 3u);
  }
  SUBCASE("an empty file") {
    TempFile f("");
    check_defaults(nfct::load_config_file(f.path));
  }
}

TEST_CASE("a directory is not a config file") {
  // Reported: std::ifstream opens a directory, reading it yields nothing, and the
  // exporter would silently run with the defaults.
  CHECK_THROWS_AS(nfct::load_config_file("/tmp"), ConfigError);
}

TEST_CASE("the shipped config parses and holds the defaults") {
  Config c = nfct::load_config_file(std::string(NFCT_SOURCE_DIR) + "/config/nfct_exporter.yaml");
  check_defaults(c);
}

}  // TEST_SUITE

TEST_CASE("drops.slots sizes the drop probe's counting table like maps.slots") {
  CHECK(parse_config("", kSource).drops.slots == 4096u);
  CHECK(parse_config("drops:\n  slots: 0\n", kSource).drops.slots == 0u);
  CHECK(parse_config("drops:\n  slots: 65536\n", kSource).drops.slots == 65536u);
  CHECK(config_error("drops:\n  slots: 3\n") == "test.yaml:2:10: drops.slots: expected 0 or a power of two, got 3");
  CHECK(config_error("drops:\n  slots: 2097152\n") ==
        "test.yaml:2:10: drops.slots: 2097152 is out of range [0, 1048576]");
}
