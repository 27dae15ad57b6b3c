#include "probe_manager.h"

#include <algorithm>

#include "bpf_links.h"
#include "counter_programs.h"
#include "log.h"
#include "netns_enter.h"
#include "nfct.h"
#include "tracepoint_check.h"

namespace nfct {

ProbeManager::ProbeManager(const CounterPrograms& programs, std::vector<Probe> probes,
                           NetnsSelection sel, NetnsGone on_gone)
    : programs_(programs), selection_(std::move(sel)), on_gone_(std::move(on_gone)) {
  uint8_t next_tp = 0;
  for (auto& p : probes) {
    ProbeState s;
    s.index = p.kind == Probe::Kind::Netfilter ? nf_probe_index(p.pf, p.hook)
                                               : static_cast<uint8_t>(NFCT_TP_PROBE_BASE + next_tp++);
    s.probe = std::move(p);
    probes_.push_back(std::move(s));
  }
}

ProbeManager::~ProbeManager() { stop(); }

void ProbeManager::attach_tracepoints() {
  std::lock_guard lk(mu_);
  for (auto& s : probes_) {
    if (s.probe.kind != Probe::Kind::Tracepoint) continue;
    std::string err;
    if (programs_.tp_prog_fd() < 0) {
      err = programs_.tracepoint_error();
    } else if (auto why = check_skb_tracepoint(s.probe)) {
      err = *why;
    } else {
      auto link = create_raw_tracepoint_link(programs_.tp_prog_fd(), s.probe.event,
                                             s.index - NFCT_TP_PROBE_BASE);
      if (link) {
        tp_links_.push_back(std::move(link.value()));
        s.tracepoint_attached = true;
        spdlog::info("probe {} attached", s.probe.name());
        continue;
      }
      err = link.error();
    }
    s.attach_failures++;
    s.last_error = err;
    spdlog::warn("probe {} cannot attach: {}", s.probe.name(), err);
  }
}

void ProbeManager::add_probe(ProbeState state) {
  std::lock_guard lk(mu_);
  probes_.push_back(std::move(state));
}

// The links are made inside the namespace (netns_enter.h); `ino` must still be the
// namespace at `path`.
void ProbeManager::attach_in_netns(uint64_t ino, const std::string& path, NetnsLinks& out) {
  std::vector<std::pair<size_t, std::string>> errors;
  auto entered = run_in_netns(path, ino, [&] {
    for (size_t i = 0; i < probes_.size(); i++) {
      const auto& p = probes_[i].probe;
      if (p.kind != Probe::Kind::Netfilter) continue;
      auto link = create_netfilter_link(programs_.nf_prog_fd(), p.pf, p.hook);
      if (link) {
        out.links.push_back(std::move(link.value()));
        probes_[i].attached_netns.push_back(ino);
      } else {
        errors.emplace_back(i, link.error());
      }
    }
  });
  if (!entered) {
    // The namespace went away (or its path names another one now) since the scan:
    // not an error, the next rescan sees the change.
    spdlog::debug("netns {}: {}", ino, entered.error());
    return;
  }
  for (auto& [i, e] : errors) {
    probes_[i].attach_failures++;
    probes_[i].last_error = "netns " + std::to_string(ino) + ": " + e;
    spdlog::warn("probe {} cannot attach in netns {}: {}", probes_[i].probe.name(), ino, e);
  }
  spdlog::debug("netns {} ({}): {} netfilter links", ino, path, out.links.size());
}

void ProbeManager::rescan() {
  std::lock_guard one(rescan_mu_);
  bool any_nf = false;
  for (const auto& s : probes_) any_nf |= s.probe.kind == Probe::Kind::Netfilter;
  // One /proc walk serves both the namespace set and who is in each namespace.
  const NetnsWalk walk = walk_netns();
  NetnsMap present = selection_.all ? netns_paths(walk) : resolve_netns_list(selection_.entries);
  NetnsIdentities identities = identify_netns(walk, present);
  std::vector<uint64_t> gone;
  {
    std::lock_guard lk(mu_);
    rescans_++;
    for (auto it = netns_.begin(); it != netns_.end();) {
      if (present.count(it->first)) {
        ++it;
        continue;
      }
      spdlog::info("netns {} is gone: closing its {} links", it->first, it->second.links.size());
      for (auto& s : probes_) std::erase(s.attached_netns, it->first);
      gone.push_back(it->first);
      vanished_++;
      it = netns_.erase(it);  // closes the link fds
    }
    for (const auto& [ino, path] : selected_)
      if (!present.count(ino) && std::find(gone.begin(), gone.end(), ino) == gone.end()) gone.push_back(ino);
    selected_ = present;
    identities_ = std::move(identities);
    if (any_nf)
      for (const auto& [ino, path] : present) {
        if (netns_.count(ino)) continue;
        NetnsLinks links{path, {}};
        attach_in_netns(ino, path, links);
        if (!links.links.empty()) {
          spdlog::info("netns {} ({}): probes attached", ino, path);
          netns_.emplace(ino, std::move(links));
        }
      }
  }
  if (on_gone_)
    for (uint64_t ino : gone) on_gone_(ino);
}

void ProbeManager::start(std::chrono::milliseconds interval) {
  if (!rescan_task_) rescan_task_.emplace("netns rescan", interval, [this] { rescan(); });
  rescan_task_->start();
}

void ProbeManager::stop() {
  if (rescan_task_) rescan_task_->stop();
  std::lock_guard lk(mu_);
  netns_.clear();
  tp_links_.clear();
  for (auto& s : probes_) {
    s.attached_netns.clear();
    s.tracepoint_attached = false;
  }
}

ManagerStatus ProbeManager::status() const {
  std::lock_guard lk(mu_);
  return ManagerStatus{probes_, netns_.size(), rescans_, vanished_};
}

bool ProbeManager::any_attached() const {
  std::lock_guard lk(mu_);
  // Probes of the `probes` list only: the drop probe alone (add_probe) counts no
  // conntrack packets, so it neither makes /healthz healthy nor keeps the exporter up.
  for (const auto& s : probes_)
    if (s.probe.kind != Probe::Kind::Drop && s.up()) return true;
  return false;
}

std::map<uint8_t, std::string> ProbeManager::probe_names() const {
  std::lock_guard lk(mu_);
  std::map<uint8_t, std::string> names;
  for (const auto& s : probes_) names[s.index] = s.probe.name();
  return names;
}

NetnsMap ProbeManager::selected_netns() const {
  std::lock_guard lk(mu_);
  return selected_;
}

NetnsIdentities ProbeManager::netns_identities() const {
  std::lock_guard lk(mu_);
  return identities_;
}

}  // namespace nfct
