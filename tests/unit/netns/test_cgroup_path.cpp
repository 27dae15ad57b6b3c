// Pod UID and container ID from cgroup v2 paths (exporter/cgroup_path.h): one fake path
// per runtime layout, and paths that must give nothing.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cgroup_path.h"

namespace {

const std::string kId = "3f1c0a6b9d2e4f5a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a";
const std::string kUid = "2c48913c-b29f-11e7-9350-020968147796";
const std::string kUidSystemd = "2c48913c_b29f_11e7_9350_020968147796";

void check(const std::string& path, const std::string& uid, const std::string& id) {
  CAPTURE(path);
  const auto got = nfct::parse_cgroup_path(path);
  CHECK(got.pod_uid == uid);
  CHECK(got.container_id == id);
}

}  // namespace

TEST_SUITE("cgroup_path") {

TEST_CASE("containerd, systemd driver, burstable and guaranteed pods") {
  check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd +
            ".slice/cri-containerd-" + kId + ".scope",
        kUid, kId);
  check("/kubepods.slice/kubepods-pod" + kUidSystemd + ".slice/cri-containerd-" + kId + ".scope", kUid, kId);
}

TEST_CASE("containerd, cgroupfs driver") {
  check("/kubepods/besteffort/pod" + kUid + "/" + kId, kUid, kId);
  check("/kubepods/pod" + kUid + "/" + kId, kUid, kId);
}

TEST_CASE("CRI-O, systemd and cgroupfs drivers; conmon is not the container") {
  check("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd + ".slice/crio-" +
            kId + ".scope",
        kUid, kId);
  check("/kubepods/burstable/pod" + kUid + "/crio-" + kId, kUid, kId);
  check("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd +
            ".slice/crio-conmon-" + kId + ".scope",
        kUid, "");
}

TEST_CASE("Docker: cri-dockerd pods, standalone with systemd and cgroupfs drivers") {
  check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd + ".slice/docker-" +
            kId + ".scope",
        kUid, kId);
  check("/system.slice/docker-" + kId + ".scope", "", kId);
  check("/docker/" + kId, "", kId);
}

TEST_CASE("podman (libpod), with the container's own sub-cgroup") {
  check("/machine.slice/libpod-" + kId + ".scope/container", "", kId);
  check("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope", "", kId);
}

TEST_CASE("a path relative to the reader's cgroup namespace") {
  check("/../../kubepods-besteffort-pod" + kUidSystemd + ".slice/cri-containerd-" + kId + ".scope", kUid, kId);
}

TEST_CASE("static pods have a 32-digit hash as UID") {
  const std::string hash = "e0ff9a8c5bf9b5f1d5ab5bcb3b32d4a0";
  check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + hash + ".slice/cri-containerd-" +
            kId + ".scope",
        hash, kId);
  check("/kubepods/burstable/pod" + hash + "/" + kId, hash, kId);
}

TEST_CASE("the pod slice alone (a process in the pod's cgroup, not in a container)") {
  check("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd + ".slice", kUid, "");
}

TEST_CASE("host processes and look-alikes give nothing") {
  for (const std::string& p : std::vector<std::string>{
        "/", "/init.scope", "/system.slice/ssh.service", "/user.slice/user-0.slice/session-3.scope",
        "/kubepods.slice", "/kubepods.slice/kubepods-burstable.slice",
        "/system.slice/docker-" + kId.substr(0, 63) + ".scope",           // too short
        "/system.slice/docker-" + kId.substr(0, 63) + "G.scope",          // not hex
        "/system.slice/foo-" + kId + ".scope",                            // unknown runtime
        "/kubepods/burstable/pod" + kUid.substr(0, 35) + "/",             // short UID
        "/kubepods/burstable/podXc48913c-b29f-11e7-9350-020968147796/",   // not hex
        "/kubepods.slice/kubepods-pod" + kUid + "x.slice", ""})
    check(p, "", "");
}

TEST_CASE("the v2 line of /proc/PID/cgroup") {
  CHECK(nfct::cgroup_v2_path("0::/system.slice/ssh.service\n") == "/system.slice/ssh.service");
  // A hybrid host lists v1 hierarchies first.
  CHECK(nfct::cgroup_v2_path("12:cpuset:/docker/x\n1:name=systemd:/docker/x\n0::/docker/" + kId + "\n") ==
        "/docker/" + kId);
  CHECK(nfct::cgroup_v2_path("0::/\n") == "/");
  CHECK_FALSE(nfct::cgroup_v2_path("12:cpuset:/\n1:name=systemd:/init.scope\n").has_value());
  CHECK_FALSE(nfct::cgroup_v2_path("").has_value());
}

}  // TEST_SUITE
