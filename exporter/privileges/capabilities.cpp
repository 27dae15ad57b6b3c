#include "capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace nfct {
namespace {

using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, decltype(&cap_free)>;

CapPtr current() { return CapPtr(cap_get_proc(), cap_free); }

bool has_netfilter_probes(const Config& cfg) {
  return std::any_of(cfg.probes.begin(), cfg.probes.end(),
                     [](const Probe& p) { return p.kind == Probe::Kind::Netfilter; });
}

// Namespaces reached through other processes' /proc/PID/ns/net: netns: all, or a listed path.
bool proc_paths(const Config& cfg) {
  return cfg.netns.all || std::any_of(cfg.netns.entries.begin(), cfg.netns.entries.end(),
                                      [](const std::string& e) { return e.rfind("/proc/", 0) == 0; });
}

// Features that work in each covered namespace (netfilter links, ctnetlink sockets).
bool per_netns(const Config& cfg) {
  return has_netfilter_probes(cfg) || cfg.table_stats.enabled || cfg.zone_entries.enabled;
}

// nfct_netns_info is served by every configuration (no setting turns it off), whatever the
// `netns` setting: each rescan walks /proc and stats /proc/PID/ns/net of every process to
// find the lowest PID in each covered namespace, then reads its comm and cgroup. comm and
// cgroup are world-readable, but the kernel resolves ns/net only for a caller that may
// ptrace the process in read mode: one of the same user whose capabilities include all of
// the target's, else CAP_SYS_PTRACE. Without it a namespace whose processes are all
// root-owned (ip netns exec, container runtimes, CNI) shows an empty pid and comm, even
// when it is listed by name; one with some processes the exporter may inspect shows the
// lowest of those.
constexpr const char* kInfoWhat =
    "the pid and comm of nfct_netns_info (/proc/PID/ns/net of processes of other users or with more "
    "capabilities, whichever way the namespaces are listed)";

}  // namespace

std::string cap_name(Cap c) {
  switch (c) {
    case Cap::NetAdmin: return "CAP_NET_ADMIN";
    case Cap::SysPtrace: return "CAP_SYS_PTRACE";
    case Cap::SysAdmin: return "CAP_SYS_ADMIN";
    case Cap::Perfmon: return "CAP_PERFMON";
    case Cap::Bpf: return "CAP_BPF";
  }
  return "CAP_" + std::to_string(static_cast<int>(c));
}

std::vector<CapNeed> startup_needs(const Config& cfg) {
  // Measured on Linux 6.18 with kernel.unprivileged_bpf_disabled=2 (Debian's default),
  // by running the exporter as user nobody with capabilities taken away
  // (tests/integration/test_capabilities.py):
  // - every bpf() call, map reads on each scrape included, needs CAP_BPF, and the
  //   programs read kernel memory (the nf_conn behind skb->_nfct), which the verifier
  //   allows with CAP_PERFMON; the netfilter program type needs CAP_NET_ADMIN. The
  //   kernel accepts CAP_SYS_ADMIN in place of each of the three (bpf_capable(),
  //   perfmon_capable(), bpf_net_capable()).
  // - setns() into a network namespace needs CAP_SYS_ADMIN (also into the exporter's own:
  //   links and ctnetlink sockets are made from a thread that enters the namespace);
  //   nothing else will do.
  // - nfnetlink (ctnetlink) checks CAP_NET_ADMIN on every request; CAP_SYS_ADMIN does not
  //   replace it.
  // - /proc/PID/ns/net of a process of another user or with more capabilities needs
  //   CAP_SYS_PTRACE (ptrace access mode read); /run/netns bind mounts do not.
  std::vector<CapNeed> needs = {
      {{Cap::Bpf, Cap::SysAdmin}, "loading the BPF programs and reading their maps", true},
      {{Cap::Perfmon, Cap::SysAdmin}, "BPF programs that read the kernel's conntrack entries", true},
  };
  if (has_netfilter_probes(cfg)) {
    needs.push_back({{Cap::NetAdmin, Cap::SysAdmin}, "netfilter probes (loading a BPF netfilter program)", true});
    needs.push_back({{Cap::SysAdmin}, "netfilter probes (entering each network namespace with setns)", true});
  }
  if (cfg.table_stats.enabled || cfg.zone_entries.enabled) {
    const char* what = cfg.table_stats.enabled ? "table statistics (ctnetlink, in each network namespace)"
                                               : "zone entries (ctnetlink dumps, in each network namespace)";
    needs.push_back({{Cap::NetAdmin}, what, false});
    needs.push_back({{Cap::SysAdmin}, what, false});
  }
  if (per_netns(cfg) && proc_paths(cfg))
    needs.push_back({{Cap::SysPtrace}, "the network namespaces of other users' and more privileged processes "
                                       "(/proc/PID/ns/net, with netns: all or a listed path)", false});
  // Kept from the start: a capability dropped now cannot be taken back for the first rescan.
  needs.push_back({{Cap::SysPtrace}, kInfoWhat, false});
  return needs;
}

std::vector<CapNeed> running_needs(const Config& cfg) {
  // CAP_PERFMON is not needed any more: the verifier checked it when the programs were
  // loaded, and the tracepoints are attached.
  std::vector<CapNeed> needs = {{{Cap::Bpf, Cap::SysAdmin}, "reading the BPF maps on each scrape", true}};
  // setns() for namespaces found later, and for the ctnetlink sockets made on demand.
  if (per_netns(cfg)) needs.push_back({{Cap::SysAdmin}, "entering network namespaces found later", true});
  if (cfg.table_stats.enabled || cfg.zone_entries.enabled)
    needs.push_back({{Cap::NetAdmin}, "ctnetlink requests", true});
  if (per_netns(cfg) && proc_paths(cfg))
    needs.push_back({{Cap::SysPtrace}, "finding namespaces through /proc/PID/ns/net", true});
  needs.push_back({{Cap::SysPtrace}, "the pid and comm of nfct_netns_info (/proc/PID/ns/net)", true});
  return needs;
}

std::vector<Cap> choose_capabilities(const std::vector<CapNeed>& needs, const std::vector<Cap>& have) {
  auto held = [&](Cap c) { return std::find(have.begin(), have.end(), c) != have.end(); };
  std::vector<Cap> keep;
  auto kept = [&](Cap c) { return std::find(keep.begin(), keep.end(), c) != keep.end(); };
  // First what has no alternative, then one alternative per remaining need (narrowest
  // first) unless a capability already kept covers it.
  for (const auto& n : needs)
    if (n.any_of.size() == 1 && held(n.any_of[0]) && !kept(n.any_of[0])) keep.push_back(n.any_of[0]);
  for (const auto& n : needs) {
    if (std::any_of(n.any_of.begin(), n.any_of.end(), kept)) continue;
    for (Cap c : n.any_of)
      if (held(c)) {
        keep.push_back(c);
        break;
      }
  }
  return keep;
}

std::vector<std::pair<Cap, std::vector<std::string>>> kept_for(const std::vector<CapNeed>& needs,
                                                               const std::vector<Cap>& keep) {
  std::vector<std::pair<Cap, std::vector<std::string>>> out;
  for (Cap c : keep) out.push_back({c, {}});
  for (const auto& n : needs) {
    // The first alternative that is kept serves it (the narrowest, as chosen).
    auto c = std::find_if(n.any_of.begin(), n.any_of.end(),
                          [&](Cap a) { return std::find(keep.begin(), keep.end(), a) != keep.end(); });
    if (c == n.any_of.end()) continue;
    auto& whats = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == *c; })->second;
    if (std::find(whats.begin(), whats.end(), n.what) == whats.end()) whats.push_back(n.what);
  }
  return out;
}

std::vector<Cap> held_capabilities() {
  std::vector<Cap> out;
  for (Cap c : {Cap::NetAdmin, Cap::SysPtrace, Cap::SysAdmin, Cap::Perfmon, Cap::Bpf})
    if (has_capability(c)) out.push_back(c);
  return out;
}

bool has_capability(Cap c) {
  CapPtr caps = current();
  if (!caps) return false;
  cap_flag_value_t v = CAP_CLEAR;
  if (cap_get_flag(caps.get(), static_cast<cap_value_t>(c), CAP_EFFECTIVE, &v) != 0) return false;
  return v == CAP_SET;
}

std::vector<std::string> check_capabilities(const std::vector<CapNeed>& needs) {
  std::vector<std::string> warnings;
  for (const auto& n : needs) {
    if (std::any_of(n.any_of.begin(), n.any_of.end(), has_capability)) continue;
    std::string msg = cap_name(n.any_of[0]);
    for (size_t i = 1; i < n.any_of.size(); i++) msg += " (or " + cap_name(n.any_of[i]) + ")";
    msg += " is needed for " + n.what;
    if (n.fatal) throw FatalError(msg + ", and the exporter does not have it (effective capabilities: " +
                                  effective_capabilities() + ")");
    warnings.push_back(msg + ": not available without it");
  }
  return warnings;
}

Expected<bool> keep_only_capabilities(const std::vector<Cap>& keep) {
  CapPtr have = current();
  CapPtr next(cap_init(), cap_free);  // all clear
  if (!have || !next) return Error{std::string("cap_get_proc: ") + std::strerror(errno)};
  for (Cap c : keep) {
    cap_value_t v = static_cast<cap_value_t>(c);
    cap_flag_value_t permitted = CAP_CLEAR;
    cap_get_flag(have.get(), v, CAP_PERMITTED, &permitted);
    if (permitted != CAP_SET) continue;  // never had it: nothing to keep
    cap_set_flag(next.get(), CAP_PERMITTED, 1, &v, CAP_SET);
    cap_set_flag(next.get(), CAP_EFFECTIVE, 1, &v, CAP_SET);
  }
  // Ambient capabilities would survive an exec: clear them first (needs no privilege).
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    return Error{std::string("clearing the ambient capabilities: ") + std::strerror(errno)};
  if (cap_set_proc(next.get()) != 0) return Error{std::string("cap_set_proc: ") + std::strerror(errno)};
  return true;
}

std::string effective_capabilities() {
  CapPtr caps = current();
  if (!caps) return "unknown";
  std::string out;
  for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
    cap_flag_value_t f = CAP_CLEAR;
    if (cap_get_flag(caps.get(), v, CAP_EFFECTIVE, &f) != 0 || f != CAP_SET) continue;
    char* name = cap_to_name(v);
    std::string n = name ? name : std::to_string(v);
    cap_free(name);
    std::transform(n.begin(), n.end(), n.begin(), [](unsigned char ch) { return std::toupper(ch); });
    out += (out.empty() ? "" : ",") + n;
  }
  return out.empty() ? "none" : out;
}

}  // namespace nfct
