// Finding network namespaces without entering them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nfct {

// inode number -> a path that opens the namespace.
using NetnsMap = std::map<uint64_t, std::string>;

// One pass over /proc: every network namespace that a process or an nsfs bind mount keeps
// alive, with the lowest PID in it and its mount points (for nfct_netns_info).
// A process listed by readdir() that is gone when its ns/net is read (it exited in
// between) is skipped and counted (proc_vanished.h); the walk goes on.
struct NetnsWalk {
  std::map<uint64_t, int> lowest_pid;                      // inode -> lowest PID in it
  // inode -> the next lowest PIDs in it (at most kFallbackPids, ascending): tried in turn
  // for nfct_netns_info when the lowest has exited before its files are read.
  std::map<uint64_t, std::vector<int>> fallback_pids;
  std::map<uint64_t, std::vector<std::string>> mounts;     // inode -> nsfs mount points
  static constexpr size_t kFallbackPids = 3;
};
NetnsWalk walk_netns(const std::string& proc_root = "/proc");
// inode -> /proc/PID/ns/net of its lowest PID, else its first mount point.
NetnsMap netns_paths(const NetnsWalk& walk, const std::string& proc_root = "/proc");

// Every network namespace that a process or an nsfs bind mount (ip netns, CNI plugins,
// container runtimes) keeps alive, as seen from `proc_root`.
NetnsMap scan_all_netns(const std::string& proc_root = "/proc");

// The namespaces a list (the `netns` setting's entries) names that exist now: a name is
// /run/netns/NAME (under `run_netns`), an entry with a '/' is a path.
NetnsMap resolve_netns_list(const std::vector<std::string>& entries, const std::string& run_netns = "/run/netns");

// The inode of the network namespace at `path`, or 0 when it is not one.
uint64_t netns_inode(const std::string& path);

// Parses one line of /proc/PID/mountinfo; returns the inode and (unescaped) mount
// point when it is an nsfs mount of a network namespace.
bool parse_nsfs_mountinfo_line(std::string_view line, uint64_t& inode, std::string& mount_point);

}  // namespace nfct
