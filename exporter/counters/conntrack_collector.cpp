#include "conntrack_collector.h"

#include "collector_guard.h"
#include "log.h"

namespace nfct {

ConntrackCollector::ConntrackCollector(const CounterReader& reader, const ProbeManager& manager,
                                       uint32_t max_entries, const ScrapeExtension* extension)
    : reader_(reader), manager_(manager), max_entries_(max_entries), extension_(extension) {}

std::vector<prometheus::MetricFamily> ConntrackCollector::Collect() const { return collect(nullptr); }

std::vector<prometheus::MetricFamily> ConntrackCollector::CollectText(std::string& text) const {
  return collect(&text);
}

bool ConntrackCollector::collect_counters(SelfStats& self, std::string* text,
                                          std::vector<prometheus::MetricFamily>& out) const {
  self.manager = manager_.status();
  self.names = manager_.probe_names();
  self.map_max_entries = max_entries_;
  bool ok = true;
  size_t hash_entries = 0, table_slots = 0;
  auto entries = reader_.read_counters(&hash_entries, &table_slots);
  if (entries) {
    self.map_entries = hash_entries;
    if (const SlotTableView* t = reader_.table()) self.more_maps.push_back({"slots", table_slots, t->slots()});
    std::lock_guard lock(scratch_mu_);
    aggregate(*entries, aggregates_);
    created_connections(*entries, created_);
    if (text) {
      render_counter_families(aggregates_, self.names, *text, counter_text_);
      render_created_connections(created_, *text, created_text_);
    } else {
      out = counter_families(aggregates_, self.names);
      out.push_back(created_connections_family(created_));
    }
  } else {
    ok = false;
    spdlog::warn("scrape: {}", entries.error());
  }
  auto overflow = reader_.read_overflow();
  if (overflow) {
    self.overflow = std::move(*overflow);
  } else {
    ok = false;
    spdlog::warn("scrape: {}", overflow.error());
  }
  if (extension_) {
    // The extension's failure is its own: the counter families above stay.
    std::vector<prometheus::MetricFamily> more;
    auto run = guard_collector("drop counters", nullptr, text,
                               [&] { return extension_->collect(self, text, more); });
    ok = ok && run.ok;
    for (auto& f : more) out.push_back(std::move(f));
  }
  return ok;
}

std::vector<prometheus::MetricFamily> ConntrackCollector::collect(std::string* text) const {
  std::vector<prometheus::MetricFamily> out;
  SelfStats self;
  auto run = guard_collector("counter maps", &scrape_errors_, text,
                             [&] { return collect_counters(self, text, out); });
  self.scrape_errors = scrape_errors_.load();
  self.collect_seconds = run.seconds;
  guard_collector("self metrics", &scrape_errors_, nullptr, [&] {
    for (auto& f : self_families(self)) out.push_back(std::move(f));
    return true;
  });
  return out;
}

}  // namespace nfct
