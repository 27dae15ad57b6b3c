// nf_empty: attaches the empty BPF netfilter program (empty.bpf.c) at the given hooks, the
// floor the benchmark subtracts from nfct_exporter's per-packet cost.
//
//   nf_empty [--enable-stats] [--priority=N] [--variants[=NAME,...]] NETNS:HOOK[:ipv4|ipv6] ...
//
// NETNS is a path (/run/netns/NAME, /proc/PID/ns/net); HOOK is prerouting, input, forward,
// output or postrouting. The default priority INT_MAX - 3 runs right before the
// exporter's programs (INT_MAX - 2). With --enable-stats it also holds a BPF_ENABLE_STATS
// file descriptor, which turns kernel BPF run-time statistics on for as long as this
// process lives (as kernel.bpf_stats_enabled=1 does, without touching the sysctl).
// With --variants it also attaches the programs of variants.bpf.c (the counting path cut
// into steps) at the same hooks, at priorities N-1, N-2, ... (before the empty program);
// --variants=v_cast attaches only the named ones (the others are not even loaded), so one
// step can be measured next to the exporter without the others' cache footprint.
// Prints one JSON line {"prog_id": N, "links": K, "stats": true|false, "priority": P,
// "variants": {"name": {"id": N, "priority": P}, ...}} on stdout once every link is made, then waits for SIGTERM
// or SIGINT and exits 0; exits 1 on any error (3 when a link is refused with EBUSY: another
// BPF program already holds that priority at that hook).
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bpf_links.h"
#include "empty.skel.h"
#include "variants.skel.h"
#include "unique_fd.h"

namespace {

constexpr int kBpfEnableStats = 32;  // BPF_ENABLE_STATS
constexpr int kBpfStatsRunTime = 0;  // BPF_STATS_RUN_TIME

struct Attach {
  std::string netns;
  int pf = 2;
  int hook = -1;
};

int hook_number(const std::string& name) {
  static const char* names[] = {"prerouting", "input", "forward", "output", "postrouting"};
  for (int i = 0; i < 5; i++)
    if (name == names[i]) return i;
  return -1;
}

bool parse_attach(const std::string& arg, Attach& a) {
  auto c1 = arg.find(':');
  if (c1 == std::string::npos) return false;
  a.netns = arg.substr(0, c1);
  std::string rest = arg.substr(c1 + 1), family = "ipv4";
  auto c2 = rest.find(':');
  if (c2 != std::string::npos) {
    family = rest.substr(c2 + 1);
    rest = rest.substr(0, c2);
  }
  a.hook = hook_number(rest);
  if (family == "ipv4") a.pf = 2;
  else if (family == "ipv6") a.pf = 10;
  else return false;
  return a.hook >= 0 && !a.netns.empty();
}

[[noreturn]] void die(const std::string& msg, int code = 1) {
  std::fprintf(stderr, "nf_empty: %s\n", msg.c_str());
  std::exit(code);
}

uint32_t prog_id(int prog_fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0)
    die(std::string("prog info: ") + std::strerror(errno));
  return info.id;
}

// libbpf 1.1 does not know SEC("netfilter"): set type and attach type by hand.
void set_netfilter_type(bpf_program* p) {
  bpf_program__set_type(p, static_cast<bpf_prog_type>(nfct::kBpfProgTypeNetfilter));
  bpf_program__set_expected_attach_type(p, static_cast<bpf_attach_type>(nfct::kBpfAttachNetfilter));
}

}  // namespace

int main(int argc, char** argv) {
  bool stats = false, variants = false;
  std::string only;  // comma-separated variant names; empty: all
  int32_t priority = INT_MAX - 3;
  std::vector<Attach> attaches;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    if (arg == "--enable-stats") {
      stats = true;
    } else if (arg == "--variants") {
      variants = true;
    } else if (arg.rfind("--variants=", 0) == 0) {
      variants = true;
      only = "," + arg.substr(11) + ",";
    } else if (arg.rfind("--priority=", 0) == 0) {
      priority = static_cast<int32_t>(std::stol(arg.substr(11)));
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: nf_empty [--enable-stats] [--priority=N] [--variants[=NAME,...]] NETNS:HOOK[:ipv4|ipv6] ...\n");
      return 0;
    } else {
      Attach a;
      if (!parse_attach(arg, a)) die("bad attach point '" + arg + "' (expected NETNS:HOOK[:ipv4|ipv6])");
      attaches.push_back(a);
    }
  }
  if (attaches.empty()) die("no attach point given (see --help)");

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  nfct::UniqueFd stats_fd;
  if (stats) {
    uint32_t attr[2] = {kBpfStatsRunTime, 0};
    long fd = syscall(__NR_bpf, kBpfEnableStats, attr, sizeof attr);
    if (fd < 0) die(std::string("BPF_ENABLE_STATS: ") + std::strerror(errno));
    stats_fd.reset(static_cast<int>(fd));
  }

  empty_bpf* skel = empty_bpf__open();
  if (!skel) die(std::string("opening the BPF object: ") + std::strerror(errno));
  set_netfilter_type(skel->progs.nf_empty);
  if (int err = empty_bpf__load(skel)) die(std::string("loading: ") + std::strerror(-err));

  // (name, fd, priority) of every program to attach.
  struct Prog {
    std::string name;
    int fd;
    int32_t priority;
  };
  std::vector<Prog> progs = {{"nf_empty", bpf_program__fd(skel->progs.nf_empty), priority}};
  variants_bpf* vskel = nullptr;
  if (variants) {
    vskel = variants_bpf__open();
    if (!vskel) die(std::string("opening the variants object: ") + std::strerror(errno));
    // v_cast needs the kernel's BTF id of struct nf_conn as a load-time constant.
    if (btf* vmlinux = btf__load_vmlinux_btf()) {
      int id = btf__find_by_name_kind(vmlinux, "nf_conn", BTF_KIND_STRUCT);
      if (id > 0) vskel->rodata->nf_conn_btf_id = static_cast<uint32_t>(id);
      btf__free(vmlinux);
    }
    bpf_program* p;
    int chosen = 0;
    bpf_object__for_each_program(p, vskel->obj) {
      set_netfilter_type(p);
      bool want = only.empty() || only.find("," + std::string(bpf_program__name(p)) + ",") != std::string::npos;
      bpf_program__set_autoload(p, want);
      chosen += want;
    }
    if (chosen == 0) die("--variants=" + only.substr(1, only.size() - 2) + ": no such variant");
    if (int err = variants_bpf__load(vskel)) die(std::string("loading the variants: ") + std::strerror(-err));
    int32_t prio = priority;
    bpf_object__for_each_program(p, vskel->obj)
      if (bpf_program__autoload(p)) progs.push_back({bpf_program__name(p), bpf_program__fd(p), --prio});
  }

  nfct::UniqueFd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) die(std::string("/proc/self/ns/net: ") + std::strerror(errno));
  std::vector<nfct::UniqueFd> links;
  for (const auto& a : attaches) {
    nfct::UniqueFd ns(::open(a.netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) die(a.netns + ": " + std::strerror(errno));
    if (setns(ns.get(), CLONE_NEWNET) != 0) die("setns " + a.netns + ": " + std::strerror(errno));
    for (const auto& p : progs) {
      errno = 0;
      auto link = nfct::create_netfilter_link(p.fd, a.pf, a.hook, p.priority);
      int e = errno;
      if (!link) {
        setns(home.get(), CLONE_NEWNET);
        die(a.netns + " " + p.name + " priority " + std::to_string(p.priority) + ": " + link.error(),
            e == EBUSY ? 3 : 1);
      }
      links.push_back(std::move(*link));
    }
    if (setns(home.get(), CLONE_NEWNET) != 0) die(std::string("setns back: ") + std::strerror(errno));
  }

  std::string vjson;
  for (size_t i = 1; i < progs.size(); i++)
    vjson += (i > 1 ? ", \"" : "\"") + progs[i].name + "\": {\"id\": " + std::to_string(prog_id(progs[i].fd)) +
             ", \"priority\": " + std::to_string(progs[i].priority) + "}";
  std::printf("{\"prog_id\": %u, \"links\": %zu, \"stats\": %s, \"priority\": %d, \"variants\": {%s}}\n",
              prog_id(progs[0].fd), links.size(), stats ? "true" : "false", priority, vjson.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&set, &sig);
  links.clear();
  if (vskel) variants_bpf__destroy(vskel);
  empty_bpf__destroy(skel);
  return 0;
}
