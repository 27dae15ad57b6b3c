#include "drop_collector.h"

#include <tuple>

#include "flat_map.h"
#include "log.h"
#include "text_format.h"

namespace nfct {

void render_drop_families(const std::vector<DropEntry>& entries, const DropReasons& reasons, std::string& out) {
  // (netns, reason, state, zone): sorted output, and one sample per label set.
  FlatMap<std::tuple<uint32_t, uint32_t, uint8_t, uint16_t>, nfct_value> sums;
  sums.reserve(entries.size());
  for (const auto& [k, v] : entries) sums.add_unsorted({k.netns, k.reason, k.state, k.zone}, v);
  sums.sort_and_merge();
  std::string labels;
  for (const bool packets : {true, false}) {
    const char* name = packets ? kDropPacketsName : kDropBytesName;
    text::append_family_header(out, name, packets ? kDropPacketsHelp : kDropBytesHelp, "counter");
    for (const auto& [k, v] : sums) {
      auto [netns, reason, state, zone] = k;
      labels.clear();
      labels += "netns=\"";
      text::append_uint(labels, netns);
      labels += '"';
      text::append_label(labels, "reason", reasons.label(reason));
      text::append_label(labels, "state", drop_state_label(state));
      labels += ",zone=\"";
      text::append_uint(labels, zone);
      labels += '"';
      text::append_sample(out, name, labels, static_cast<uint64_t>(packets ? v.packets : v.bytes));
    }
  }
}

DropCollector::DropCollector(const DropReader& reader, DropReasons reasons, uint32_t max_entries)
    : reader_(reader), reasons_(std::move(reasons)), max_entries_(max_entries) {}

bool DropCollector::collect(SelfStats& self, std::string* text, std::vector<prometheus::MetricFamily>& out) const {
  auto entries = reader_.read();
  if (!entries) {
    spdlog::warn("scrape: {}", entries.error());
    return false;
  }
  self.more_maps.push_back({"drops", entries->size(), max_entries_});
  if (text)
    render_drop_families(*entries, reasons_, *text);
  else
    for (auto& f : drop_families(*entries, reasons_)) out.push_back(std::move(f));
  return true;
}

}  // namespace nfct
