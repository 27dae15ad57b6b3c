#include "cgroup_path.h"

#include <algorithm>
#include <array>

namespace nfct {
namespace {

bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool is_container_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), is_lower_hex);
}

// A pod UID: a UUID (8-4-4-4-12 hex) for API pods, or 32 hex digits (the config hash that
// static pods get as their UID).
bool is_pod_uid(std::string_view s) {
  if (s.size() == 32) return std::all_of(s.begin(), s.end(), is_lower_hex);
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); i++) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_lower_hex(s[i])) return false;
  }
  return true;
}

bool strip_suffix(std::string_view& s, std::string_view suffix) {
  if (s.size() < suffix.size() || s.substr(s.size() - suffix.size()) != suffix) return false;
  s.remove_suffix(suffix.size());
  return true;
}

// kubepods-pod<UID_>.slice, kubepods-<qos>-pod<UID_>.slice (systemd driver) or
// pod<UID> (cgroupfs driver).
std::optional<std::string> pod_uid_of(std::string_view seg) {
  std::string uid;
  if (seg.starts_with("kubepods") && strip_suffix(seg, ".slice")) {
    const size_t at = seg.rfind("-pod");
    if (at == std::string_view::npos) return std::nullopt;
    uid = seg.substr(at + 4);
    // systemd reads '-' in a unit name as hierarchy, so kubelet writes the UID with '_'.
    std::replace(uid.begin(), uid.end(), '_', '-');
  } else if (seg.starts_with("pod")) {
    uid = seg.substr(3);
  } else {
    return std::nullopt;
  }
  if (!is_pod_uid(uid)) return std::nullopt;
  return uid;
}

// <runtime>-<ID>.scope (systemd driver), crio-<ID> (CRI-O with cgroupfs) or a bare <ID>
// (cgroupfs driver, /docker/<ID>). conmon's own scope (crio-conmon-<ID>) is not the
// container.
std::optional<std::string> container_id_of(std::string_view seg) {
  static constexpr std::array<std::string_view, 6> kRuntimes = {
      "cri-containerd", "crio", "docker", "libpod", "nerdctl", "containerd"};
  if (is_container_id(seg)) return std::string(seg);
  strip_suffix(seg, ".scope");
  const size_t dash = seg.rfind('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto prefix = seg.substr(0, dash), id = seg.substr(dash + 1);
  if (!is_container_id(id) || std::find(kRuntimes.begin(), kRuntimes.end(), prefix) == kRuntimes.end())
    return std::nullopt;
  return std::string(id);
}

}  // namespace

CgroupIdentity parse_cgroup_path(std::string_view path) {
  CgroupIdentity out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const auto seg = path.substr(i, j - i);
    i = j + 1;
    if (seg.empty() || seg == "..") continue;
    if (auto uid = pod_uid_of(seg)) out.pod_uid = std::move(*uid);
    if (auto id = container_id_of(seg)) out.container_id = std::move(*id);
  }
  return out;
}

std::optional<std::string> cgroup_v2_path(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    const auto line = text.substr(i, j - i);
    i = j + 1;
    if (line.starts_with("0::")) return std::string(line.substr(3));
  }
  return std::nullopt;
}

}  // namespace nfct
