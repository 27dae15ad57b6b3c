#include "drop_collector.h"

#include <string_view>
#include <unordered_map>

#include "flat_map.h"
#include "log.h"
#include "text_format.h"

namespace nfct {

void render_drop_families(const std::vector<DropEntry>& entries, const DropReasons& reasons, std::string& out,
                          DropText& kept) {
  // (netns, reason, state, zone): sorted output, and one sample per label set. The four
  // fields packed into one integer in that order sort the same as the tuple.
  FlatMap<unsigned __int128, nfct_value> sums;
  sums.reserve(entries.size());
  for (const auto& [k, v] : entries)
    sums.add_unsorted(static_cast<unsigned __int128>(k.netns) << 64 | uint64_t{k.reason} << 32 |
                          uint64_t{k.state} << 16 | k.zone,
                      v);
  sums.sort_and_merge();
  // Each label set is written once, into one buffer, and used by both families (and by
  // the next scrapes while the label sets stay the same); the reason labels once per
  // distinct reason.
  std::unordered_map<uint32_t, std::string> reason_labels;
  kept.update(sums, [&](std::string& labels, unsigned __int128 k) {
    const auto netns = static_cast<uint32_t>(k >> 64);
    const auto reason = static_cast<uint32_t>(static_cast<uint64_t>(k) >> 32);
    const auto state = static_cast<uint8_t>(static_cast<uint64_t>(k) >> 16);
    const auto zone = static_cast<uint16_t>(k);
    labels += "{netns=\"";
    text::append_uint(labels, netns);
    labels += '"';
    auto [r, fresh] = reason_labels.try_emplace(reason);
    if (fresh) text::append_label(r->second, "reason", reasons.label(reason));
    labels += r->second;
    text::append_label(labels, "state", drop_state_label(state));
    labels += ",zone=\"";
    text::append_uint(labels, zone);
    labels += "\"} ";
  });
  for (const bool packets : {true, false}) {
    const std::string_view name = packets ? kDropPacketsName : kDropBytesName;
    text::append_family_header(out, name, packets ? kDropPacketsHelp : kDropBytesHelp, "counter");
    size_t i = 0;
    for (const auto& [k, v] : sums) {
      out += name;
      out += kept[i++];
      text::append_value(out, static_cast<uint64_t>(packets ? v.packets : v.bytes));
      out += '\n';
    }
  }
}

void render_drop_families(const std::vector<DropEntry>& entries, const DropReasons& reasons, std::string& out) {
  DropText fresh;
  render_drop_families(entries, reasons, out, fresh);
}

DropCollector::DropCollector(const DropReader& reader, DropReasons reasons, uint32_t max_entries)
    : reader_(reader), reasons_(std::move(reasons)), max_entries_(max_entries) {}

bool DropCollector::collect(SelfStats& self, std::string* text, std::vector<prometheus::MetricFamily>& out) const {
  size_t hash_entries = 0, table_slots = 0;
  auto entries = reader_.read(&hash_entries, &table_slots);
  if (!entries) {
    spdlog::warn("scrape: {}", entries.error());
    return false;
  }
  self.more_maps.push_back({"drops", hash_entries, max_entries_});
  if (const SlotTableView* t = reader_.table()) self.more_maps.push_back({"drop_slots", table_slots, t->slots()});
  if (text) {
    std::lock_guard lock(text_mu_);
    render_drop_families(*entries, reasons_, *text, text_);
  } else {
    for (auto& f : drop_families(*entries, reasons_)) out.push_back(std::move(f));
  }
  return true;
}

}  // namespace nfct
