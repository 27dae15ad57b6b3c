#include "netns_identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <string_view>

#include "cgroup_path.h"
#include "proc_vanished.h"
#include "unique_fd.h"

namespace nfct {
namespace {

// The whole file, or nullopt when it cannot be read; a file whose process has exited is
// counted as vanished.
std::optional<std::string> read_proc_file(const std::string& path, ProcFile which) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string s;
  if (fd) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n > 0) {
        s.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return s;
      if (errno != EINTR) break;
    }
  }
  if (is_vanished_errno(errno)) count_proc_vanished(which);
  return std::nullopt;
}

std::string_view run_netns_name(std::string_view mount_point) {
  for (std::string_view dir : {"/run/netns/", "/var/run/netns/"})
    if (mount_point.starts_with(dir) && mount_point.size() > dir.size() &&
        mount_point.find('/', dir.size()) == std::string_view::npos)
      return mount_point.substr(dir.size());
  return {};
}

}  // namespace

std::string netns_name(const std::vector<std::string>& mount_points) {
  std::optional<std::string> best_named, best_other;
  for (const auto& m : mount_points) {
    auto n = run_netns_name(m);
    auto& slot = n.empty() ? best_other : best_named;
    std::string candidate = n.empty() ? m : std::string(n);
    if (!slot || candidate < *slot) slot = std::move(candidate);
  }
  if (best_named) return *best_named;
  return best_other.value_or("");
}

NetnsIdentities identify_netns(const NetnsWalk& walk, const NetnsMap& which, const std::string& proc_root) {
  NetnsIdentities out;
  for (const auto& [ino, path] : which) {
    NetnsIdentity id;
    if (auto m = walk.mounts.find(ino); m != walk.mounts.end()) id.name = netns_name(m->second);
    // The lowest PID, else (it exited since the walk) the next lowest ones in turn, so that
    // a namespace's info does not lose its process while it still has one.
    std::vector<int> candidates;
    if (auto p = walk.lowest_pid.find(ino); p != walk.lowest_pid.end()) candidates.push_back(p->second);
    if (auto f = walk.fallback_pids.find(ino); f != walk.fallback_pids.end())
      candidates.insert(candidates.end(), f->second.begin(), f->second.end());
    for (int pid : candidates) {
      const std::string dir = proc_root + "/" + std::to_string(pid) + "/";
      // Read both before trusting either: a PID that exited in between is dropped.
      auto comm = read_proc_file(dir + "comm", ProcFile::Comm);
      if (!comm) continue;
      auto cgroup = read_proc_file(dir + "cgroup", ProcFile::Cgroup);
      if (!cgroup && is_vanished_errno(errno)) continue;
      id.pid = pid;
      // The kernel ends comm with one newline; the name itself may hold any byte but NUL.
      if (!comm->empty() && comm->back() == '\n') comm->pop_back();
      id.comm = std::move(*comm);
      if (cgroup)
        if (auto cg = cgroup_v2_path(*cgroup)) {
          auto c = parse_cgroup_path(*cg);
          id.pod_uid = std::move(c.pod_uid);
          id.container_id = std::move(c.container_id);
        }
      break;
    }
    out.emplace(ino, std::move(id));
  }
  return out;
}

}  // namespace nfct
