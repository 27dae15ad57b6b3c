// What identifies a network namespace to a person: its name, its lowest PID and that
// process's command, pod UID and container ID (nfct_netns_info).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "netns_scan.h"

namespace nfct {

struct NetnsIdentity {
  std::string name;          // see netns_name(); empty when it has no nsfs bind mount
  int pid = 0;               // lowest PID in the namespace; 0 when no process is in it
  std::string comm;          // that process's command name (/proc/PID/comm)
  std::string pod_uid;       // from that process's cgroup v2 path, when it shows one
  std::string container_id;  // ditto
  bool operator==(const NetnsIdentity&) const = default;
};

using NetnsIdentities = std::map<uint64_t, NetnsIdentity>;

// The name of a namespace from its nsfs mount points: NAME of /run/netns/NAME (what
// `ip netns` and CNI's cni-... use; also /var/run/netns), else the full mount point (e.g.
// /run/docker/netns/ID). Of several, the smallest such name. Raw bytes.
std::string netns_name(const std::vector<std::string>& mount_points);

// The identity of each namespace in `which`, from one walk of /proc and the cgroup and
// comm files of each namespace's lowest PID under `proc_root`. Two small reads per
// namespace; no further /proc walk.
NetnsIdentities identify_netns(const NetnsWalk& walk, const NetnsMap& which,
                               const std::string& proc_root = "/proc");

}  // namespace nfct
