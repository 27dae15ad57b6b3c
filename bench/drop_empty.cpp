// drop_empty: loads and attaches bench/drop_empty.bpf.c at skb:kfree_skb, prints
// {"prog_id": N} and holds it until stdin closes or SIGTERM/SIGINT.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "drop_empty.skel.h"

namespace {
volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main() {
  std::unique_ptr<drop_empty_bpf, decltype(&drop_empty_bpf__destroy)> skel(drop_empty_bpf__open_and_load(),
                                                                         drop_empty_bpf__destroy);
  if (!skel || drop_empty_bpf__attach(skel.get()) != 0) {
    std::fprintf(stderr, "drop_empty: cannot load or attach at skb:kfree_skb\n");
    return 1;
  }
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.drop_empty), &info, &len) != 0) return 1;
  std::printf("{\"prog_id\": %u}\n", info.id);
  std::fflush(stdout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  char buf[64];
  while (!g_stop && read(0, buf, sizeof(buf)) > 0) {
  }
  return 0;
}
