// /proc entries that vanish between readdir() and the read (exporter/netns/proc_vanished.h):
// the namespace walk and the identity reads skip and count them and go on, and a
// namespace's info falls back to its next lowest PID. A fake /proc root makes each case
// deterministic: a PID directory without the file is exactly what the scan sees when the
// process exits in between (ENOENT).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "netns_identity.h"
#include "netns_scan.h"
#include "proc_vanished.h"

namespace fs = std::filesystem;
using namespace nfct;

namespace {

struct TempProc {
  fs::path path;
  TempProc() {
    char tmpl[] = "/tmp/nfct_proc_vanished.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempProc() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void file(const std::string& rel, const std::string& text) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel, std::ios::binary) << text;
  }
  // A process in this test's own network namespace.
  void process_in_own_netns(const std::string& pid) const {
    fs::create_directories(path / pid / "ns");
    fs::create_symlink("/proc/self/ns/net", path / pid / "ns" / "net");
  }
};

uint64_t vanished(ProcFile f) { return proc_vanished_counts()[static_cast<size_t>(f)]; }

}  // namespace

TEST_SUITE("proc_vanished") {

TEST_CASE("the walk skips and counts processes whose ns/net is gone, and keeps the lowest PIDs") {
  struct stat own {};
  if (::stat("/proc/self/ns/net", &own) != 0) {
    MESSAGE("/proc/self/ns/net cannot be read here; skipped");
    return;
  }
  TempProc proc;
  for (const char* pid : {"700", "30", "12", "500", "41"}) proc.process_in_own_netns(pid);
  fs::create_directories(proc.path / "3");  // exited: its directory listed, no ns/net
  fs::create_directories(proc.path / "9" / "ns");
  fs::create_symlink(proc.path / "9" / "gone", proc.path / "9" / "ns" / "net");  // dangling
  const uint64_t before = vanished(ProcFile::NsNet);
  NetnsWalk w = walk_netns(proc.path.string());
  CHECK(vanished(ProcFile::NsNet) == before + 2);
  REQUIRE(w.lowest_pid.size() == 1);
  CHECK(w.lowest_pid.at(own.st_ino) == 12);
  // The next lowest, ascending, at most kFallbackPids of them.
  CHECK(w.fallback_pids.at(own.st_ino) == std::vector<int>{30, 41, 500});
  CHECK(netns_paths(w, proc.path.string()).at(own.st_ino) == (proc.path / "12" / "ns" / "net").string());
}

TEST_CASE("identity falls back to the next lowest PID when the lowest has exited") {
  TempProc proc;
  proc.file("20/cgroup", "0::/user.slice\n");       // exited between the two reads: no comm
  proc.file("25/comm", "half-gone\n");              // exited between comm and cgroup
  proc.file("31/comm", "sleeper\n");
  proc.file("31/cgroup", "0::/kubepods/besteffort/pod2c48913c-b29f-11e7-9350-020968147796/" +
                             std::string(64, 'b') + "\n");
  proc.file("40/comm", "later\n");
  proc.file("40/cgroup", "0::/\n");
  NetnsWalk w;
  w.lowest_pid = {{100, 20}, {200, 20}};
  w.fallback_pids = {{100, {25, 31, 40}}, {200, {25}}};
  const auto comm0 = vanished(ProcFile::Comm), cgroup0 = vanished(ProcFile::Cgroup);
  auto ids = identify_netns(w, {{100, ""}, {200, ""}}, proc.path.string());
  CHECK(ids.at(100) ==
        NetnsIdentity{"", 31, "sleeper", "2c48913c-b29f-11e7-9350-020968147796", std::string(64, 'b')});
  // Every candidate gone: no process, as for a namespace kept only by a mount.
  CHECK(ids.at(200) == NetnsIdentity{});
  // 20 twice (comm), 25 twice (cgroup).
  CHECK(vanished(ProcFile::Comm) == comm0 + 2);
  CHECK(vanished(ProcFile::Cgroup) == cgroup0 + 2);
}

TEST_CASE("errors that are not a vanished process are not counted as one") {
  CHECK(is_vanished_errno(ENOENT));
  CHECK(is_vanished_errno(ESRCH));
  CHECK_FALSE(is_vanished_errno(EACCES));
  CHECK_FALSE(is_vanished_errno(EMFILE));
}

}  // TEST_SUITE
