// netns_rescan: what gathering nfct_netns_info adds to a namespace rescan, side by side in
// one run on the live host (root, to read every process's ns/net):
//
//   netns_rescan [--reps=K]
//
// scan: the walk of /proc and the mount table that finds the namespaces (walk_netns +
// netns_paths, what every rescan did before); identify: that walk plus the comm and cgroup
// reads of each namespace's lowest PID (walk_netns + identify_netns, what a rescan does
// now). Prints one JSON line: medians and minimums in milliseconds, processes walked,
// namespaces found, and the median ratio identify/scan.
#include <dirent.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "netns_identity.h"
#include "netns_scan.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double minimum(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }

size_t count_processes() {
  size_t n = 0;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    ::closedir(d);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 50;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.rfind("--reps=", 0) == 0) {
      reps = std::stoi(a.substr(7));
    } else {
      std::fprintf(stderr, "usage: netns_rescan [--reps=K]\n");
      return 2;
    }
  }
  std::vector<double> scan, identify;
  size_t found = 0, identified = 0;
  // Interleaved, so that both see the same host load.
  for (int r = 0; r < reps; r++) {
    auto t0 = Clock::now();
    auto paths = nfct::netns_paths(nfct::walk_netns());
    auto t1 = Clock::now();
    auto walk = nfct::walk_netns();
    auto ids = nfct::identify_netns(walk, nfct::netns_paths(walk));
    auto t2 = Clock::now();
    scan.push_back(ms(t0, t1));
    identify.push_back(ms(t1, t2));
    found = paths.size();
    identified = ids.size();
  }
  const double s = median(scan), i = median(identify);
  std::printf(
      "{\"reps\": %d, \"processes\": %zu, \"netns\": %zu, \"identified\": %zu, \"scan_ms_median\": %.3f, "
      "\"scan_ms_min\": %.3f, \"identify_ms_median\": %.3f, \"identify_ms_min\": %.3f, \"ratio\": %.2f}\n",
      reps, count_processes(), found, identified, s, minimum(scan), i, minimum(identify), s > 0 ? i / s : 0);
  return 0;
}
