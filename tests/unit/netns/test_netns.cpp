// Finding network namespaces (exporter/netns_scan.h), without root.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "netns_scan.h"

namespace fs = std::filesystem;

namespace {

struct Parsed {
  bool ok = false;
  uint64_t inode = 0;
  std::string mount_point;
};

Parsed parse(std::string_view line) {
  Parsed p;
  p.ok = nfct::parse_nsfs_mountinfo_line(line, p.inode, p.mount_point);
  return p;
}

// A fresh temporary directory, removed with its contents at the end of the scope.
struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/nfct_netns_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// The inode of this process's network namespace, or 0 when /proc does not show it.
uint64_t own_netns_inode() {
  struct stat st {};
  if (::stat("/proc/self/ns/net", &st) != 0) return 0;
  return st.st_ino;
}

}  // namespace

TEST_SUITE("netns") {

TEST_CASE("mountinfo: an ip-netns bind mount") {
  Parsed p = parse("612 29 0:4 net:[4026532281] /run/netns/blue rw shared:235 - nsfs nsfs rw");
  CHECK(p.ok);
  CHECK(p.inode == 4026532281u);
  CHECK(p.mount_point == "/run/netns/blue");
}

TEST_CASE("mountinfo: no optional fields, several optional fields") {
  Parsed p = parse("1012 1005 0:4 net:[4026532400] /var/run/docker/netns/6f1e2a rw - nsfs nsfs rw");
  CHECK(p.ok);
  CHECK(p.inode == 4026532400u);
  CHECK(p.mount_point == "/var/run/docker/netns/6f1e2a");

  p = parse("700 650 0:4 net:[4026532500] /run/netns/cni-1234 rw,nosuid shared:12 master:3 propagate_from:2 - "
            "nsfs nsfs rw");
  CHECK(p.ok);
  CHECK(p.inode == 4026532500u);
  CHECK(p.mount_point == "/run/netns/cni-1234");

  // The largest inode number.
  p = parse("1 2 0:4 net:[18446744073709551615] /n rw - nsfs nsfs rw");
  CHECK(p.ok);
  CHECK(p.inode == 18446744073709551615ull);
}

TEST_CASE("mountinfo: escaped mount points are unescaped") {
  Parsed p = parse("612 29 0:4 net:[4026532281] /run/netns/a\\040b rw shared:235 - nsfs nsfs rw");
  CHECK(p.ok);
  CHECK(p.mount_point == "/run/netns/a b");

  p = parse("612 29 0:4 net:[4026532281] /run/netns/tab\\011and\\012nl\\134bs rw - nsfs nsfs rw");
  CHECK(p.ok);
  CHECK(p.mount_point == "/run/netns/tab\tand\nnl\\bs");

  // An escape at the very end of the field.
  p = parse("612 29 0:4 net:[4026532281] /run/netns/end\\040 rw - nsfs nsfs rw");
  CHECK(p.ok);
  CHECK(p.mount_point == "/run/netns/end ");

  // A backslash that is not an escape stays as it is.
  p = parse("612 29 0:4 net:[4026532281] /run/netns/x\\9y rw - nsfs nsfs rw");
  CHECK(p.ok);
  CHECK(p.mount_point == "/run/netns/x\\9y");
}

TEST_CASE("mountinfo: other mounts are rejected") {
  const char* const rejected[] = {
      // Not nsfs.
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro",
      "25 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw",
      "26 22 0:5 / /run/netns rw shared:5 - tmpfs tmpfs rw",
      // nsfs, but not a network namespace.
      "613 29 0:4 mnt:[4026532282] /run/mntns/x rw shared:236 - nsfs nsfs rw",
      "614 29 0:4 uts:[4026532283] /run/utsns/x rw - nsfs nsfs rw",
      "615 29 0:4 user:[4026532284] /run/userns/x rw - nsfs nsfs rw",
      "616 29 0:4 netx:[4026532285] /run/x rw - nsfs nsfs rw",
      // "net:[...]" somewhere other than the root field.
      "617 29 0:4 / /run/netns/net:[4026532286] rw - nsfs nsfs rw",
      "618 29 0:4 net:[4026532287] /x rw - tmpfs nsfs rw",
      // Malformed numbers.
      "619 29 0:4 net:[] /x rw - nsfs nsfs rw",
      "620 29 0:4 net:[0] /x rw - nsfs nsfs rw",
      "621 29 0:4 net:[12a] /x rw - nsfs nsfs rw",
      "622 29 0:4 net:[-5] /x rw - nsfs nsfs rw",
      "623 29 0:4 net:[99999999999999999999999] /x rw - nsfs nsfs rw",
      "624 29 0:4 net:[4026532288 /x rw - nsfs nsfs rw",
      // Truncated lines.
      "",
      "625 29 0:4 net:[4026532289] /x rw",
      "626 29 0:4 net:[4026532289] /x rw -",
      "627 29 0:4 net:[4026532289]",
  };
  for (const char* line : rejected) {
    CAPTURE(line);
    CHECK_FALSE(parse(line).ok);
  }
}

TEST_CASE("resolve_netns_list: names under the given directory, paths as they are") {
  TempDir dir;
  std::vector<std::string> entries;

  SUBCASE("a name that does not exist resolves to nothing") {
    entries = {"does-not-exist"};
    CHECK(nfct::resolve_netns_list(entries, dir.path.string()).empty());
  }
  SUBCASE("a path that does not exist resolves to nothing") {
    entries = {(dir.path / "nope" / "net").string()};
    CHECK(nfct::resolve_netns_list(entries, dir.path.string()).empty());
  }
  SUBCASE("a regular file is not a network namespace") {
    std::ofstream(dir.path / "fake") << "not a namespace\n";
    entries = {"fake", (dir.path / "fake").string()};
    CHECK(nfct::resolve_netns_list(entries, dir.path.string()).empty());
    CHECK(nfct::netns_inode((dir.path / "fake").string()) == 0);
  }
  SUBCASE("a directory is not a network namespace") {
    fs::create_directory(dir.path / "subdir");
    entries = {"subdir"};
    CHECK(nfct::resolve_netns_list(entries, dir.path.string()).empty());
  }
  SUBCASE("this process's own namespace, by path and by name") {
    const uint64_t own = own_netns_inode();
    if (own == 0 || nfct::netns_inode("/proc/self/ns/net") == 0) {
      MESSAGE("/proc/self/ns/net cannot be opened here; skipped");
      return;
    }
    CHECK(nfct::netns_inode("/proc/self/ns/net") == own);
    // Another kind of namespace is not a network namespace.
    CHECK(nfct::netns_inode("/proc/self/ns/uts") == 0);

    fs::create_symlink("/proc/self/ns/net", dir.path / "mine");
    entries = {"mine", "missing"};
    auto found = nfct::resolve_netns_list(entries, dir.path.string());
    REQUIRE(found.size() == 1);
    CHECK(found.begin()->first == own);
    CHECK(found.begin()->second == (dir.path / "mine").string());

    entries = {"/proc/self/ns/net"};
    found = nfct::resolve_netns_list(entries, dir.path.string());
    REQUIRE(found.size() == 1);
    CHECK(found.at(own) == "/proc/self/ns/net");
  }
}

TEST_CASE("scan_all_netns reads process namespaces and nsfs mounts under the given root") {
  TempDir root;
  // self/mountinfo: one nsfs mount of a network namespace, one of another kind, and an
  // ordinary mount.
  fs::create_directories(root.path / "self");
  std::ofstream(root.path / "self" / "mountinfo")
      << "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
      << "612 29 0:4 net:[4026532281] /run/netns/a\\040b rw shared:235 - nsfs nsfs rw\n"
      << "613 29 0:4 mnt:[4026532282] /run/mntns/x rw - nsfs nsfs rw\n";
  // A directory that is not a process, and a process without a ns/net.
  fs::create_directories(root.path / "sys");
  fs::create_directories(root.path / "77" / "ns");

  SUBCASE("the mounts") {
    auto found = nfct::scan_all_netns(root.path.string());
    CHECK(found.size() == 1);
    CHECK(found.count(4026532281u) == 1);
    if (found.count(4026532281u)) CHECK(found.at(4026532281u) == "/run/netns/a b");
    CHECK(found.count(4026532282u) == 0);
  }
  SUBCASE("processes") {
    const uint64_t own = own_netns_inode();
    if (own == 0) {
      MESSAGE("/proc/self/ns/net cannot be read here; skipped");
      return;
    }
    fs::create_directories(root.path / "123" / "ns");
    fs::create_symlink("/proc/self/ns/net", root.path / "123" / "ns" / "net");
    auto found = nfct::scan_all_netns(root.path.string());
    CHECK(found.size() == 2);
    REQUIRE(found.count(own) == 1);
    CHECK(found.at(own) == (root.path / "123" / "ns" / "net").string());
  }
}

TEST_CASE("scan_all_netns of a missing root finds nothing") {
  CHECK(nfct::scan_all_netns("/nonexistent/proc").empty());
}

}  // TEST_SUITE
