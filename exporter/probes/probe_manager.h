// Attaches the configured probes and keeps the netfilter ones in step with the
// network namespaces: new namespaces get hooks on the next rescan, vanished ones have
// their links closed (a link would otherwise keep a deleted namespace alive).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "background_task.h"
#include "config.h"
#include "netns_identity.h"
#include "netns_scan.h"
#include "probe.h"
#include "unique_fd.h"

namespace nfct {

class CounterPrograms;

struct ProbeState {
  Probe probe;
  uint8_t index = 0;                    // BPF key space (bpf/nfct.h)
  std::vector<uint64_t> attached_netns; // nf: namespaces with a link; tp: empty
  bool tracepoint_attached = false;
  uint64_t attach_failures = 0;
  std::string last_error;
  bool up() const { return tracepoint_attached || !attached_netns.empty(); }
};

struct ManagerStatus {
  std::vector<ProbeState> probes;
  size_t netns_covered = 0;
  uint64_t rescans = 0;
  uint64_t netns_vanished = 0;
};

class ProbeManager {
 public:
  using NetnsGone = std::function<void(uint64_t netns)>;

  ProbeManager(const CounterPrograms& programs, std::vector<Probe> probes, NetnsSelection sel,
               NetnsGone on_gone);
  ~ProbeManager();
  ProbeManager(const ProbeManager&) = delete;
  ProbeManager& operator=(const ProbeManager&) = delete;

  void attach_tracepoints();
  // A probe attached by its own BPF object (the drop probe): reported with the others
  // (status, any_attached, probe_names). Its index must not be one of theirs.
  void add_probe(ProbeState state);
  void rescan();
  void start(std::chrono::milliseconds interval);  // periodic rescan in a thread
  void stop();                                      // stops the thread, closes every link

  ManagerStatus status() const;
  bool any_attached() const;  // a probe of the `probes` list is attached
  // Index -> probe name, for every index the BPF programs may report.
  std::map<uint8_t, std::string> probe_names() const;
  // The namespaces of the `netns` selection found by the last rescan (inode -> path),
  // whether or not a probe could attach there. A namespace that leaves this set is
  // reported to `on_gone` like one with links.
  NetnsMap selected_netns() const;
  // Who each of those namespaces is (name, lowest PID, pod), as of the last rescan.
  NetnsIdentities netns_identities() const;

 private:
  struct NetnsLinks {
    std::string path;
    std::vector<UniqueFd> links;
  };
  void attach_in_netns(uint64_t ino, const std::string& path, NetnsLinks& out);

  const CounterPrograms& programs_;
  NetnsSelection selection_;
  NetnsGone on_gone_;
  mutable std::mutex mu_;
  std::vector<ProbeState> probes_;
  std::map<uint64_t, NetnsLinks> netns_;
  NetnsMap selected_;
  NetnsIdentities identities_;
  std::vector<UniqueFd> tp_links_;
  uint64_t rescans_ = 0;
  uint64_t vanished_ = 0;

  std::mutex rescan_mu_;  // one rescan at a time
  // Last: destroyed (its thread joined) before what rescan() uses.
  std::optional<BackgroundTask> rescan_task_;
};

}  // namespace nfct
