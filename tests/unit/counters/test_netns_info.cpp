// nfct_netns_info (exporter/netns_identity.h, netns_info_collector.h, label_value.h) and
// nfct_connections_created_total (exporter/connections_created.h), without root.
#include <doctest/doctest.h>

#include <prometheus/text_serializer.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "connections_created.h"
#include "label_value.h"
#include "netns_identity.h"
#include "netns_info_collector.h"
#include "nfct.h"

namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/nfct_netns_info_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string serialize(const prometheus::MetricFamily& f) {
  return prometheus::TextSerializer().Serialize({f});
}

constexpr uint8_t kV4Input = 1, kV4Pre = 0, kV4Forward = 2, kV4Post = 4, kV6Input = 6, kV6Post = 9, kTp = 10;
constexpr uint8_t kEstablished = 0, kRelated = 1, kNew = 2, kReply = 3, kRelatedReply = 4;
constexpr int kExpected = 0, kSeenReply = 1, kConfirmed = 3;

nfct::CounterEntry entry(uint8_t probe, uint32_t netns, uint16_t zone, uint8_t dir, uint8_t state,
                         uint64_t packets, std::initializer_list<int> bits = {}) {
  nfct::CounterEntry e{};
  e.key.probe = probe;
  e.key.netns = netns;
  e.key.zone = zone;
  e.key.zone_dir = dir;
  e.key.state = state;
  for (int bit : bits) e.key.status |= static_cast<uint16_t>(1u << bit);
  e.value.packets = packets;
  e.value.bytes = packets * 60;
  return e;
}

}  // namespace

TEST_SUITE("netns_info") {

TEST_CASE("utf8_label_value keeps valid UTF-8 and replaces every invalid byte") {
  using nfct::utf8_label_value;
  CHECK(utf8_label_value("") == "");
  CHECK(utf8_label_value("a\"b\\c\nd") == "a\"b\\c\nd");      // escaping is the serializer's job
  CHECK(utf8_label_value("gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x90\xA7") ==
        "gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x90\xA7");  // 2-, 3- and 4-byte sequences
  const std::string fffd = "\xEF\xBF\xBD";
  CHECK(utf8_label_value("a\xFF" "b") == "a" + fffd + "b");
  CHECK(utf8_label_value("\xC3") == fffd);                      // truncated
  CHECK(utf8_label_value("\xC0\xAF") == fffd + fffd);           // overlong '/'
  CHECK(utf8_label_value("\xED\xA0\x80") == fffd + fffd + fffd);  // a surrogate
  CHECK(utf8_label_value("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);  // above U+10FFFF
  CHECK(utf8_label_value("\xE2\x82" "x") == fffd + fffd + "x");
}

TEST_CASE("netns_name: /run/netns names first, the smallest; else the mount point") {
  using nfct::netns_name;
  CHECK(netns_name({}) == "");
  CHECK(netns_name({"/run/netns/blue"}) == "blue");
  CHECK(netns_name({"/var/run/netns/cni-1234"}) == "cni-1234");
  CHECK(netns_name({"/run/docker/netns/abc", "/run/netns/red", "/run/netns/blue"}) == "blue");
  CHECK(netns_name({"/run/docker/netns/def", "/run/docker/netns/abc"}) == "/run/docker/netns/abc");
  CHECK(netns_name({"/run/netns/sub/x"}) == "/run/netns/sub/x");  // not a plain name
}

TEST_CASE("identify_netns: name, lowest PID, comm and cgroup from a fake /proc") {
  TempDir proc;
  const std::string id(64, 'a');
  write(proc.path / "40" / "comm", "pause\n");
  write(proc.path / "40" / "cgroup",
        "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod2c48913c_b29f_11e7_9350_"
        "020968147796.slice/cri-containerd-" + id + ".scope\n");
  write(proc.path / "7" / "comm", "we\"ird\\na\nme\n");  // comm may hold any byte but NUL
  write(proc.path / "7" / "cgroup", "0::/user.slice/user-0.slice/session-1.scope\n");
  nfct::NetnsWalk walk;
  walk.lowest_pid = {{100, 40}, {200, 7}, {300, 99}};  // 99: exited before its files were read
  walk.mounts = {{200, {"/run/netns/b", "/run/netns/a"}}, {400, {"/run/netns/only-a-mount"}}};
  nfct::NetnsMap which = {{100, ""}, {200, ""}, {300, ""}, {400, ""}};
  auto ids = nfct::identify_netns(walk, which, proc.path.string());
  REQUIRE(ids.size() == 4);
  CHECK(ids[100] == nfct::NetnsIdentity{"", 40, "pause", "2c48913c-b29f-11e7-9350-020968147796", id});
  CHECK(ids[200] == nfct::NetnsIdentity{"a", 7, "we\"ird\\na\nme", "", ""});
  CHECK(ids[300] == nfct::NetnsIdentity{});
  CHECK(ids[400] == nfct::NetnsIdentity{"only-a-mount", 0, "", "", ""});
  // Only the namespaces asked for.
  CHECK(nfct::identify_netns(walk, {{200, ""}}, proc.path.string()).size() == 1);
}

TEST_CASE("walk_netns: the lowest PID of each namespace and every mount point once") {
  TempDir proc;
  struct stat st {};
  if (::stat("/proc/self/ns/net", &st) != 0) {
    MESSAGE("/proc/self/ns/net cannot be read here; skipped");
    return;
  }
  for (const char* pid : {"300", "25", "1000"}) {
    fs::create_directories(proc.path / pid / "ns");
    fs::create_symlink("/proc/self/ns/net", proc.path / pid / "ns" / "net");
  }
  write(proc.path / "self" / "mountinfo",
        "612 29 0:4 net:[4026532281] /run/netns/x rw shared:235 - nsfs nsfs rw\n"
        "640 30 0:4 net:[4026532281] /run/netns/x rw shared:235 - nsfs nsfs rw\n"
        "641 30 0:4 net:[4026532281] /run/netns/y rw shared:235 - nsfs nsfs rw\n");
  auto w = nfct::walk_netns(proc.path.string());
  CHECK(w.lowest_pid.at(st.st_ino) == 25);
  CHECK(w.mounts.at(4026532281u) == std::vector<std::string>{"/run/netns/x", "/run/netns/y"});
  auto paths = nfct::netns_paths(w, proc.path.string());
  CHECK(paths.at(st.st_ino) == (proc.path / "25" / "ns" / "net").string());
  CHECK(paths.at(4026532281u) == "/run/netns/x");
}

TEST_CASE("nfct_netns_info: one series per namespace, label values escaped and valid UTF-8") {
  nfct::NetnsIdentities ids;
  ids[4026532281u] = {"a\"b\\c\nd", 0, "", "", ""};
  ids[4026531840u] = {"", 1, "systemd", "", ""};
  ids[4026532300u] = {"bad\xFF", 42, "x\xC3", "2c48913c-b29f-11e7-9350-020968147796", std::string(64, 'f')};
  const auto text = serialize(nfct::netns_info_family(ids));
  CAPTURE(text);
  CHECK(text.find("# TYPE nfct_netns_info gauge\n") != std::string::npos);
  CHECK(text.find("nfct_netns_info{netns=\"4026531840\",name=\"\",pid=\"1\",comm=\"systemd\",pod_uid=\"\","
                  "container_id=\"\"} 1\n") != std::string::npos);
  CHECK(text.find("nfct_netns_info{netns=\"4026532281\",name=\"a\\\"b\\\\c\\nd\",pid=\"\",comm=\"\",") !=
        std::string::npos);
  CHECK(text.find("name=\"bad\xEF\xBF\xBD\",pid=\"42\",comm=\"x\xEF\xBF\xBD\",pod_uid=\"2c48913c-b29f-11e7-9350-"
                  "020968147796\",container_id=\"" + std::string(64, 'f') + "\"} 1\n") != std::string::npos);
  // Exactly three samples, each on one line: the newline in the name is escaped.
  size_t lines = 0;
  for (size_t p = 0; (p = text.find("\nnfct_netns_info{", p)) != std::string::npos; p++) lines++;
  CHECK(lines == 3);
}

TEST_CASE("NetnsInfoCollector serves what the last rescan found") {
  nfct::NetnsIdentities ids{{5, {"n", 3, "c", "", ""}}};
  nfct::NetnsInfoCollector c([&] { return ids; });
  auto f = c.Collect();
  REQUIRE(f.size() == 1);
  CHECK(f[0].metric.size() == 1);
  ids.clear();  // the namespace is gone: its series goes with it
  f = c.Collect();
  REQUIRE(f.size() == 1);
  CHECK(f[0].metric.empty());
  nfct::NetnsInfoCollector failing([]() -> nfct::NetnsIdentities { throw std::runtime_error("x"); });
  CHECK(failing.Collect().empty());  // never throws
}

TEST_CASE("created connections: unconfirmed new and related packets at input and postrouting") {
  constexpr uint32_t kA = 11, kB = 22;
  const std::vector<nfct::CounterEntry> entries = {
      // A: 5 opening packets out (postrouting), 3 in (input), in zone 0.
      entry(kV4Post, kA, 0, 3, kNew, 5),
      entry(kV4Input, kA, 0, 3, kNew, 3),
      // Retransmitted SYNs and later packets find the entry confirmed: not counted.
      entry(kV4Post, kA, 0, 3, kNew, 4, {kConfirmed}),
      entry(kV4Post, kA, 0, 3, kEstablished, 40, {kSeenReply, kConfirmed}),
      entry(kV4Input, kA, 0, 3, kReply, 40, {kSeenReply, kConfirmed}),
      // ICMP errors: related to a confirmed connection, not counted.
      entry(kV4Input, kA, 0, 3, kRelatedReply, 2, {kConfirmed}),
      entry(kV4Input, kA, 0, 3, kRelated, 2, {kConfirmed}),
      // An expected connection's opening packet: related, expected, unconfirmed.
      entry(kV4Input, kA, 0, 3, kRelated, 1, {kExpected}),
      // Zones and zone directions are kept apart; IPv6 adds up.
      entry(kV4Post, kA, 7, 3, kNew, 2),
      entry(kV6Post, kA, 9, 1, kNew, 1),
      entry(kV6Input, kB, 0, 3, kNew, 6),
      // Other probes: prerouting and forward also see the opening packet unconfirmed, and
      // tracepoints are no hook at all: never counted.
      entry(kV4Pre, kB, 0, 3, kNew, 100),
      entry(kV4Forward, kB, 0, 3, kNew, 100),
      entry(kTp, kB, 0, 3, kNew, 100),
      // Untracked and no-conntrack packets have no connection.
      entry(kV4Input, kB, 0, 0, NFCT_STATE_UNTRACKED, 100),
      entry(kV4Input, kB, 0, 0, NFCT_STATE_NO_CT, 100),
  };
  auto c = nfct::created_connections(entries);
  nfct::CreatedConnections want = {
      {{kA, 0, 3}, 9}, {{kA, 7, 3}, 2}, {{kA, 9, 1}, 1}, {{kB, 0, 3}, 6}};
  CHECK(c == want);
  const auto text = serialize(nfct::created_connections_family(c));
  CAPTURE(text);
  CHECK(text.find("# TYPE nfct_connections_created_total counter\n") != std::string::npos);
  CHECK(text.find("nfct_connections_created_total{netns=\"11\",zone=\"0\",direction=\"default\"} 9\n") !=
        std::string::npos);
  CHECK(text.find("nfct_connections_created_total{netns=\"11\",zone=\"9\",direction=\"original\"} 1\n") !=
        std::string::npos);
  CHECK(nfct::probe_sees_confirmation(kV4Input));
  CHECK(nfct::probe_sees_confirmation(kV6Post));
  CHECK_FALSE(nfct::probe_sees_confirmation(kV4Pre));
  CHECK_FALSE(nfct::probe_sees_confirmation(3));  // output: confirmation comes later
  CHECK_FALSE(nfct::probe_sees_confirmation(kTp));
}

}  // TEST_SUITE
