// Kubernetes pod UID and container ID from a process's cgroup v2 path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nfct {

struct CgroupIdentity {
  std::string pod_uid;       // with dashes, as the Kubernetes API shows it; empty if none
  std::string container_id;  // 64 lowercase hex digits, no runtime prefix; empty if none
};

// Reads what the path shows, segment by segment. Layouts (kubelet with the systemd or the
// cgroupfs driver, containerd, CRI-O, Docker/cri-dockerd, podman, standalone Docker):
//   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<UID_>.slice/cri-containerd-<ID>.scope
//   /kubepods.slice/kubepods-pod<UID_>.slice/crio-<ID>.scope       (systemd: '-' in the UID is '_')
//   /kubepods/besteffort/pod<UID>/<ID>                              (cgroupfs)
//   /kubepods/burstable/pod<UID>/crio-<ID>                          (CRI-O, cgroupfs)
//   /system.slice/docker-<ID>.scope, /docker/<ID>, /machine.slice/libpod-<ID>.scope
// The innermost container segment wins; paths relative to a cgroup namespace
// (/../../kubepods-...) work the same. Anything else gives empty fields.
CgroupIdentity parse_cgroup_path(std::string_view path);

// The cgroup v2 path of a /proc/PID/cgroup text: the "0::PATH" line; nullopt without one
// (a cgroup v1-only host).
std::optional<std::string> cgroup_v2_path(std::string_view proc_pid_cgroup);

}  // namespace nfct
