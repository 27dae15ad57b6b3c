// Least privilege: the Linux capabilities each feature needs (measured, see
// docs/security.md), a start-up check that names a missing one, and dropping every
// capability the exporter no longer needs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config.h"

namespace nfct {

// Capability numbers as in <linux/capability.h> (kept here so that callers need no libcap).
enum class Cap : int {
  NetAdmin = 12,
  SysPtrace = 19,
  SysAdmin = 21,
  Perfmon = 38,
  Bpf = 39,
};

struct CapNeed {
  // Any one of these will do, narrowest first: for BPF the kernel also accepts
  // CAP_SYS_ADMIN in place of CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN.
  std::vector<Cap> any_of;
  std::string what;  // the feature, for messages: "netfilter probes (loading the program)"
  bool fatal;        // missing: start-up fails; else the feature is reported unavailable
};

std::string cap_name(Cap c);  // "CAP_BPF"

// What the configured features need to start (load, attach, first scan).
std::vector<CapNeed> startup_needs(const Config& cfg);
// What they need while running (after the programs are loaded and tracepoints attached):
// new namespaces, scrapes, table statistics, zone dumps.
std::vector<CapNeed> running_needs(const Config& cfg);

// The smallest set that meets `needs` out of the capabilities `have` (one satisfying each
// need; a capability some need cannot do without also serves the needs it covers).
std::vector<Cap> choose_capabilities(const std::vector<CapNeed>& needs, const std::vector<Cap>& have);

// For the log: each capability of `keep`, in that order, with the `what` of every need it
// serves (a need counts for the first of its alternatives that is kept).
std::vector<std::pair<Cap, std::vector<std::string>>> kept_for(const std::vector<CapNeed>& needs,
                                                               const std::vector<Cap>& keep);

// Whether the calling thread has `c` in its effective set.
bool has_capability(Cap c);
// The capabilities of the Cap enum that the calling thread has.
std::vector<Cap> held_capabilities();

// Start-up check. Throws FatalError naming the first missing capability a fatal need has
// ("CAP_NET_ADMIN is needed for netfilter probes (...)"); returns warnings for the others.
std::vector<std::string> check_capabilities(const std::vector<CapNeed>& needs);

// Keeps only `keep` (those of them the thread has) in the calling thread's effective,
// permitted and inheritable sets, and clears the ambient set: nothing dropped can come
// back, not even through exec. Threads created afterwards inherit the reduced sets, so
// this runs on the main thread before any long-lived thread starts. An Error says why not.
Expected<bool> keep_only_capabilities(const std::vector<Cap>& keep);

// The effective set as names ("CAP_BPF,CAP_PERFMON"), for the log.
std::string effective_capabilities();

}  // namespace nfct
