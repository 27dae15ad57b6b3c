// Which capabilities each feature needs, at start-up and while running, and the smallest
// set chosen from what the process has (exporter/capabilities.h). The needs themselves
// were measured by tests/integration/test_capabilities.py; this pins the table.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "capabilities.h"
#include "config.h"

using nfct::Cap;
using nfct::Config;

namespace {

const std::vector<Cap> kAll = {Cap::Bpf, Cap::Perfmon, Cap::NetAdmin, Cap::SysAdmin, Cap::SysPtrace};

std::set<std::string> names(const std::vector<Cap>& caps) {
  std::set<std::string> out;
  for (Cap c : caps) out.insert(nfct::cap_name(c));
  return out;
}

std::set<std::string> startup(const Config& cfg, const std::vector<Cap>& have = kAll) {
  return names(nfct::choose_capabilities(nfct::startup_needs(cfg), have));
}
std::set<std::string> running(const Config& cfg, const std::vector<Cap>& have = kAll) {
  return names(nfct::choose_capabilities(nfct::running_needs(cfg), have));
}

}  // namespace

TEST_CASE("capabilities: the default configuration needs CAP_SYS_ADMIN, CAP_NET_ADMIN, CAP_SYS_PTRACE") {
  Config cfg;  // netfilter probes, netns: all, table statistics on
  const std::set<std::string> three{"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE"};
  // setns() needs CAP_SYS_ADMIN, which the kernel also takes for CAP_BPF and CAP_PERFMON.
  CHECK(startup(cfg) == three);
  CHECK(running(cfg) == three);
  bool setns_fatal = false, ptrace_optional = false;
  for (const auto& n : nfct::startup_needs(cfg)) {
    if (n.any_of == std::vector<Cap>{Cap::SysAdmin} && n.fatal) setns_fatal = true;
    if (n.any_of == std::vector<Cap>{Cap::SysPtrace} && !n.fatal) ptrace_optional = true;
  }
  CHECK(setns_fatal);
  CHECK(ptrace_optional);
}

TEST_CASE("capabilities: per feature") {
  Config listed;
  listed.netns.all = false;
  listed.netns.entries = {"a"};
  // Names need no CAP_SYS_PTRACE to be found (/run/netns is world-readable), but the
  // namespace info of each still does (below).
  CHECK(startup(listed) == std::set<std::string>{"CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_SYS_PTRACE"});
  Config by_path = listed;
  by_path.netns.entries = {"a", "/proc/1/ns/net"};
  CHECK(startup(by_path).count("CAP_SYS_PTRACE") == 1);
  CHECK(running(by_path).count("CAP_SYS_PTRACE") == 1);

  Config no_tables = listed;
  no_tables.table_stats.enabled = false;
  CHECK(startup(no_tables) == std::set<std::string>{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE"});
  CHECK(running(no_tables) == std::set<std::string>{"CAP_SYS_ADMIN", "CAP_SYS_PTRACE"});

  Config zones = no_tables;
  zones.zone_entries.enabled = true;
  CHECK(running(zones) == std::set<std::string>{"CAP_NET_ADMIN", "CAP_SYS_ADMIN", "CAP_SYS_PTRACE"});

  // Tracepoints only: one program sees every namespace, no setns, so the narrow BPF
  // capabilities are chosen, and CAP_PERFMON goes once the program is loaded.
  Config tracepoints_only;
  tracepoints_only.probes = {nfct::parse_probe("tp:net:net_dev_start_xmit").value()};
  tracepoints_only.table_stats.enabled = false;
  CHECK(startup(tracepoints_only) == std::set<std::string>{"CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE"});
  CHECK(running(tracepoints_only) == std::set<std::string>{"CAP_BPF", "CAP_SYS_PTRACE"});
  CHECK(startup(tracepoints_only, {Cap::SysAdmin}) == std::set<std::string>{"CAP_SYS_ADMIN"});
}

TEST_CASE("capabilities: the namespace info keeps CAP_SYS_PTRACE in every configuration, optionally") {
  // nfct_netns_info is always served and stats /proc/PID/ns/net of every process to find
  // each namespace's lowest PID: the kernel refuses that for processes of other users or
  // with more capabilities unless the caller has CAP_SYS_PTRACE.
  Config by_name;
  by_name.netns.all = false;
  by_name.netns.entries = {"a", "b"};
  Config tracepoints_by_name = by_name;
  tracepoints_by_name.probes = {nfct::parse_probe("tp:net:net_dev_start_xmit").value()};
  tracepoints_by_name.table_stats.enabled = false;
  Config all_no_tables;
  all_no_tables.table_stats.enabled = false;
  for (const Config& cfg : {Config{}, by_name, tracepoints_by_name, all_no_tables}) {
    CAPTURE(cfg.netns.all);
    CAPTURE(cfg.probes.size());
    for (auto needs : {nfct::startup_needs(cfg), nfct::running_needs(cfg)}) {
      bool info = false;
      for (const auto& n : needs)
        if (n.any_of == std::vector<Cap>{Cap::SysPtrace} && n.what.find("nfct_netns_info") != std::string::npos)
          info = true;
      CHECK(info);
    }
    // Optional: the exporter starts without it (warned about, the pid and comm are empty).
    for (const auto& n : nfct::startup_needs(cfg))
      if (std::find(n.any_of.begin(), n.any_of.end(), Cap::SysPtrace) != n.any_of.end()) CHECK_FALSE(n.fatal);
    CHECK(running(cfg).count("CAP_SYS_PTRACE") == 1);
  }
  // Not held: the rest is chosen as before, nothing fails.
  CHECK(startup(by_name, {Cap::Bpf, Cap::Perfmon, Cap::NetAdmin, Cap::SysAdmin}) ==
        std::set<std::string>{"CAP_SYS_ADMIN", "CAP_NET_ADMIN"});
  CHECK(running(by_name, {Cap::NetAdmin, Cap::SysAdmin}) == std::set<std::string>{"CAP_SYS_ADMIN", "CAP_NET_ADMIN"});
}

TEST_CASE("capabilities: what each kept capability is for (the start-up log)") {
  Config by_name;
  by_name.netns.all = false;
  by_name.netns.entries = {"a"};
  const auto needs = nfct::running_needs(by_name);
  const auto keep = nfct::choose_capabilities(needs, kAll);
  const auto why = nfct::kept_for(needs, keep);
  REQUIRE(why.size() == keep.size());
  std::map<std::string, std::vector<std::string>> by_cap;
  for (size_t i = 0; i < why.size(); i++) {
    CHECK(why[i].first == keep[i]);  // in the order kept
    by_cap[nfct::cap_name(why[i].first)] = why[i].second;
  }
  CHECK(by_cap == std::map<std::string, std::vector<std::string>>{
                      {"CAP_SYS_ADMIN", {"reading the BPF maps on each scrape", "entering network namespaces found later"}},
                      {"CAP_NET_ADMIN", {"ctnetlink requests"}},
                      {"CAP_SYS_PTRACE", {"the pid and comm of nfct_netns_info (/proc/PID/ns/net)"}}});

  // By /proc path: CAP_SYS_PTRACE serves the finding of namespaces too.
  Config by_path = by_name;
  by_path.netns.entries = {"/proc/1/ns/net"};
  const auto path_needs = nfct::running_needs(by_path);
  for (const auto& [cap, whats] : nfct::kept_for(path_needs, nfct::choose_capabilities(path_needs, kAll)))
    if (cap == Cap::SysPtrace)
      CHECK(whats == std::vector<std::string>{"finding namespaces through /proc/PID/ns/net",
                                              "the pid and comm of nfct_netns_info (/proc/PID/ns/net)"});

  // A need that only CAP_SYS_ADMIN serves is put under CAP_SYS_ADMIN, never under an
  // alternative that was not kept; a need no kept capability serves is left out.
  const std::vector<nfct::CapNeed> pair = {{{Cap::Bpf, Cap::SysAdmin}, "bpf", true}, {{Cap::SysAdmin}, "setns", true},
                                           {{Cap::SysPtrace}, "info", false}};
  const auto w = nfct::kept_for(pair, {Cap::SysAdmin});
  REQUIRE(w.size() == 1);
  CHECK(w[0].first == Cap::SysAdmin);
  CHECK(w[0].second == std::vector<std::string>{"bpf", "setns"});
}

TEST_CASE("capabilities: only what is held is chosen") {
  Config cfg;
  CHECK(startup(cfg, {Cap::Bpf, Cap::Perfmon, Cap::NetAdmin}) ==
        std::set<std::string>{"CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN"});  // and setns will be refused
  CHECK(startup(cfg, {}).empty());
}

TEST_CASE("capabilities: names") {
  CHECK(nfct::cap_name(Cap::Bpf) == "CAP_BPF");
  CHECK(nfct::cap_name(Cap::SysPtrace) == "CAP_SYS_PTRACE");
  CHECK_FALSE(nfct::effective_capabilities().empty());
}
