#include "netns_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "proc_vanished.h"
#include "unique_fd.h"

namespace nfct {
namespace {

std::vector<std::string_view> split_spaces(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') i++;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') j++;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view s) {
  auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size() && is_octal(s[i + 1]) && is_octal(s[i + 2]) &&
        is_octal(s[i + 3])) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

bool parse_nsfs_mountinfo_line(std::string_view line, uint64_t& inode, std::string& mount_point) {
  auto f = split_spaces(line);
  // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
  size_t dash = 0;
  for (size_t i = 6; i < f.size(); i++)
    if (f[i] == "-") {
      dash = i;
      break;
    }
  if (dash == 0 || dash + 1 >= f.size() || f[dash + 1] != "nsfs") return false;
  std::string_view root = f[3];
  constexpr std::string_view prefix = "net:[";
  if (root.substr(0, prefix.size()) != prefix || root.back() != ']') return false;
  auto num = root.substr(prefix.size(), root.size() - prefix.size() - 1);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (ec != std::errc() || p != num.data() + num.size() || v == 0) return false;
  inode = v;
  mount_point = unescape_octal(f[4]);
  return true;
}

uint64_t netns_inode(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  if (::ioctl(fd.get(), NS_GET_NSTYPE) != CLONE_NEWNET) return 0;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return 0;
  return st.st_ino;
}

NetnsWalk walk_netns(const std::string& proc_root) {
  NetnsWalk w;
  std::map<uint64_t, std::vector<int>> lowest;
  if (DIR* d = ::opendir(proc_root.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      int pid = 0;
      const char* end = e->d_name + std::strlen(e->d_name);
      if (std::from_chars(e->d_name, end, pid).ptr != end) continue;
      std::string path = proc_root + "/" + e->d_name + "/ns/net";
      struct stat st {};
      // stat() follows the magic link to the namespace itself: its inode is the id.
      if (::stat(path.c_str(), &st) != 0) {
        if (is_vanished_errno(errno)) count_proc_vanished(ProcFile::NsNet);
        continue;
      }
      // The lowest PIDs of each namespace, ascending (readdir order is not promised).
      auto& pids = lowest[st.st_ino];
      pids.insert(std::upper_bound(pids.begin(), pids.end(), pid), pid);
      if (pids.size() > NetnsWalk::kFallbackPids + 1) pids.pop_back();
    }
    ::closedir(d);
  }
  for (auto& [ino, pids] : lowest) {
    w.lowest_pid.emplace(ino, pids.front());
    if (pids.size() > 1) w.fallback_pids.emplace(ino, std::vector<int>(pids.begin() + 1, pids.end()));
  }
  std::ifstream mounts(proc_root + "/self/mountinfo");
  std::string line, mount_point;
  uint64_t inode = 0;
  while (std::getline(mounts, line))
    if (parse_nsfs_mountinfo_line(line, inode, mount_point)) {
      auto& v = w.mounts[inode];
      // A mount propagated to several places, or listed twice, counts once.
      if (std::find(v.begin(), v.end(), mount_point) == v.end()) v.push_back(mount_point);
    }
  return w;
}

NetnsMap netns_paths(const NetnsWalk& walk, const std::string& proc_root) {
  NetnsMap found;
  for (const auto& [ino, pid] : walk.lowest_pid) found.emplace(ino, proc_root + "/" + std::to_string(pid) + "/ns/net");
  for (const auto& [ino, points] : walk.mounts)
    if (!points.empty()) found.emplace(ino, points.front());
  return found;
}

NetnsMap scan_all_netns(const std::string& proc_root) { return netns_paths(walk_netns(proc_root), proc_root); }

NetnsMap resolve_netns_list(const std::vector<std::string>& entries, const std::string& run_netns) {
  NetnsMap found;
  for (const auto& e : entries) {
    std::string path = e.find('/') == std::string::npos ? run_netns + "/" + e : e;
    if (uint64_t ino = netns_inode(path)) found.emplace(ino, path);
  }
  return found;
}

}  // namespace nfct
