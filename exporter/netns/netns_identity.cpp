#include "netns_identity.h"

#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>

#include "cgroup_path.h"

namespace nfct {
namespace {

// The whole file, or nullopt when it cannot be read (the process has exited).
std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) return std::nullopt;
  return s;
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
    if (auto p = walk.lowest_pid.find(ino); p != walk.lowest_pid.end()) {
      const std::string dir = proc_root + "/" + std::to_string(p->second) + "/";
      // Read both before trusting either: a PID that exited in between is dropped.
      auto comm = read_small_file(dir + "comm");
      auto cgroup = read_small_file(dir + "cgroup");
      if (comm) {
        id.pid = p->second;
        // The kernel ends comm with one newline; the name itself may hold any byte but NUL.
        if (!comm->empty() && comm->back() == '\n') comm->pop_back();
        id.comm = std::move(*comm);
        if (cgroup)
          if (auto cg = cgroup_v2_path(*cgroup)) {
            auto c = parse_cgroup_path(*cg);
            id.pod_uid = std::move(c.pod_uid);
            id.container_id = std::move(c.container_id);
          }
      }
    }
    out.emplace(ino, std::move(id));
  }
  return out;
}

}  // namespace nfct
