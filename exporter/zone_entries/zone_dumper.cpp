#include "zone_dumper.h"

#include "log.h"

namespace nfct {
namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

ZoneDumper::ZoneDumper(std::function<NetnsMap()> covered, NetnsSockets& sockets, Options opts)
    : covered_(std::move(covered)),
      sockets_(sockets),
      opts_(opts),
      task_("conntrack table dump", opts.interval, [this] { run_once(); }) {}

ZoneDumper::~ZoneDumper() { stop(); }

void ZoneDumper::run_once() {
  const std::atomic<bool>& stopping = task_.stop_requested();
  const NetnsMap covered = covered_();
  {
    std::lock_guard lk(mu_);
    std::erase_if(status_.netns, [&](const auto& kv) { return !covered.count(kv.first); });
  }
  for (auto& slot : sockets_.sync(covered)) {
    if (stopping) return;
    const auto t0 = std::chrono::steady_clock::now();
    ZoneDumpResult r;
    if (slot.socket) {
      r = dump_zones(*slot.socket, t0 + opts_.timeout, opts_.max_series, stopping);
    } else {
      r.error = slot.error;
    }
    if (stopping) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r.outcome == DumpOutcome::Timeout)
      spdlog::warn("netns {}: conntrack table dump stopped after {:.3f}s (zone_entries.timeout): {}", slot.inode,
                   seconds, r.error);
    else if (r.outcome == DumpOutcome::Error)
      spdlog::warn("netns {}: conntrack table dump failed: {}", slot.inode, r.error);
    else
      spdlog::debug("netns {}: conntrack table dump: {} entries in {:.3f}s", slot.inode, r.counts.entries, seconds);

    const bool still_covered = covered_().count(slot.inode) > 0;  // not vanished during the dump
    std::lock_guard lk(mu_);
    status_.dumps++;
    if (r.outcome == DumpOutcome::Timeout) status_.timeouts++;
    if (r.outcome == DumpOutcome::Error) status_.errors++;
    if (!still_covered) continue;
    ZoneDump& d = status_.netns[slot.inode];
    d.duration_seconds = seconds;
    if (r.outcome != DumpOutcome::Ok) continue;  // the last complete counts stay
    d.counts = std::move(r.counts);
    d.last_success_unix = unix_now();
  }
}

void ZoneDumper::start() {
  task_.start();
  task_.wake();  // the first round now
}

void ZoneDumper::stop() { task_.stop(); }

void ZoneDumper::forget(uint64_t inode) {
  std::lock_guard lk(mu_);
  status_.netns.erase(inode);
}

ZoneStatus ZoneDumper::status() const {
  std::lock_guard lk(mu_);
  return status_;
}

void ZoneDumper::with_status(const std::function<void(const ZoneStatus&)>& f) const {
  std::lock_guard lk(mu_);
  f(status_);
}

}  // namespace nfct
