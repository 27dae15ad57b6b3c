#include <doctest/doctest.h>

#include <sys/stat.h>

#include <stdexcept>
#include <string>

#include "netns_enter.h"

namespace {

uint64_t inode_of(const char* path) {
  struct stat st {};
  REQUIRE(::stat(path, &st) == 0);
  return st.st_ino;
}

}  // namespace

TEST_CASE("run_in_netns: an inode that is not the namespace's is refused, the work not run") {
  const uint64_t own = inode_of("/proc/self/ns/net");
  bool ran = false;
  auto r = nfct::run_in_netns("/proc/self/ns/net", own + 1, [&] { ran = true; });
  REQUIRE_FALSE(r);
  CHECK(r.error() == "/proc/self/ns/net is no longer network namespace " + std::to_string(own + 1));
  CHECK_FALSE(ran);
}

TEST_CASE("run_in_netns: a missing path or a file that is no namespace is an error, the work not run") {
  bool ran = false;
  auto missing = nfct::run_in_netns("/nonexistent/netns", 0, [&] { ran = true; });
  REQUIRE_FALSE(missing);
  CHECK(missing.error().find("cannot open /nonexistent/netns") == 0);
  // Right inode, wrong kind of file: setns() refuses it.
  auto not_ns = nfct::run_in_netns("/dev/null", inode_of("/dev/null"), [&] { ran = true; });
  REQUIRE_FALSE(not_ns);
  CHECK(not_ns.error().find("cannot enter /dev/null") == 0);
  CHECK_FALSE(ran);
}

TEST_CASE("run_in_netns: the work runs inside the namespace; its exception is an error") {
  const uint64_t own = inode_of("/proc/self/ns/net");
  uint64_t seen = 0;
  auto r = nfct::run_in_netns("/proc/self/ns/net", own, [&] { seen = inode_of("/proc/thread-self/ns/net"); });
  if (!r && r.error().find("Operation not permitted") != std::string::npos) {
    MESSAGE("setns() needs CAP_SYS_ADMIN: the entering half is left to the privileged tests");
    return;
  }
  REQUIRE(r);
  CHECK(seen == own);
  auto thrown = nfct::run_in_netns("/proc/self/ns/net", own, [] { throw std::runtime_error("boom"); });
  REQUIRE_FALSE(thrown);
  CHECK(thrown.error() == "in /proc/self/ns/net: boom");
}
