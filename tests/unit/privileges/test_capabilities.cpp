// Which capabilities each feature needs, at start-up and while running, and the smallest
// set chosen from what the process has (exporter/capabilities.h). The needs themselves
// were measured by tests/integration/test_capabilities.py; this pins the table.
#include <doctest/doctest.h>

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
  CHECK(startup(listed) == std::set<std::string>{"CAP_SYS_ADMIN", "CAP_NET_ADMIN"});  // no ptrace for names
  Config by_path = listed;
  by_path.netns.entries = {"a", "/proc/1/ns/net"};
  CHECK(startup(by_path).count("CAP_SYS_PTRACE") == 1);
  CHECK(running(by_path).count("CAP_SYS_PTRACE") == 1);

  Config no_tables = listed;
  no_tables.table_stats.enabled = false;
  CHECK(startup(no_tables) == std::set<std::string>{"CAP_SYS_ADMIN"});
  CHECK(running(no_tables) == std::set<std::string>{"CAP_SYS_ADMIN"});

  Config zones = no_tables;
  zones.zone_entries.enabled = true;
  CHECK(running(zones) == std::set<std::string>{"CAP_NET_ADMIN", "CAP_SYS_ADMIN"});

  // Tracepoints only: one program sees every namespace, no setns, so the narrow BPF
  // capabilities are chosen, and CAP_PERFMON goes once the program is loaded.
  Config tracepoints_only;
  tracepoints_only.probes = {nfct::parse_probe("tp:net:net_dev_start_xmit").value()};
  tracepoints_only.table_stats.enabled = false;
  CHECK(startup(tracepoints_only) == std::set<std::string>{"CAP_BPF", "CAP_PERFMON"});
  CHECK(running(tracepoints_only) == std::set<std::string>{"CAP_BPF"});
  CHECK(startup(tracepoints_only, {Cap::SysAdmin}) == std::set<std::string>{"CAP_SYS_ADMIN"});
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
