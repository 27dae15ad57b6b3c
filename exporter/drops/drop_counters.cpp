#include "drop_counters.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <tuple>

#include "counter_reader.h"
#include "ct_names.h"
#include "error.h"
#include "metric_families.h"
#include "percpu_hash.h"

namespace nfct {

DropReader::DropReader(int drops_fd, const SlotTableView* table)
    : fd_(drops_fd), ncpus_(libbpf_num_possible_cpus()), table_(table) {
  if (ncpus_ <= 0) throw FatalError("cannot count possible CPUs");
}

Expected<std::vector<DropEntry>> DropReader::read(size_t* hash_entries, size_t* table_slots) const {
  std::lock_guard lock(mu_);
  std::vector<DropEntry> out;
  out.reserve(last_size_ + 64);  // about the last scrape's entries: no regrowth
  if (table_) table_->append_to<DropEntry, nfct_drop_key>(out);
  const size_t in_table = out.size();
  if (table_slots) *table_slots = in_table;
  auto n = read_percpu_hash<DropEntry, nfct_drop_key>(fd_, ncpus_, "drop map", out);
  if (!n) return Error{n.error()};
  if (hash_entries) *hash_entries = *n;
  last_size_ = out.size();
  // A hidden namespace whose slots counted more has a new namespace with its number:
  // show it again. Its hash entries are new (a purge deletes them) and never hidden.
  hidden_.reveal_reused(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(in_table));
  if (!hidden_.empty()) {
    size_t w = 0;
    for (size_t i = 0; i < out.size(); i++)
      if (i >= in_table || !hidden_.hidden(out[i].key.netns)) out[w++] = out[i];
    out.resize(w);
  }
  return out;
}

size_t DropReader::purge_netns(uint32_t netns) const {
  std::lock_guard lock(mu_);
  if (table_) {
    const auto kept = table_->netns_slots(netns);
    if (kept.slots) hidden_.hide(netns, kept.packets);
  }
  const auto doomed = keys_of_netns<nfct_drop_key>(fd_, netns);
  size_t n = 0;
  for (const auto& k : doomed) n += bpf_map_delete_elem(fd_, &k) == 0;
  return n;
}

std::string drop_state_label(uint8_t state) {
  if (state == NFCT_STATE_NO_CT) return "no_conntrack";
  auto name = ct_state_name(state);
  return name ? std::string(*name) : std::to_string(state);
}

std::vector<prometheus::MetricFamily> drop_families(const std::vector<DropEntry>& entries,
                                                    const DropReasons& reasons) {
  auto packets = make_family(kDropPacketsName, kDropPacketsHelp, prometheus::MetricType::Counter);
  auto bytes = make_family(kDropBytesName, kDropBytesHelp, prometheus::MetricType::Counter);
  // (netns, reason, state, zone): sorted output, and one sample per label set.
  std::map<std::tuple<uint32_t, uint32_t, uint8_t, uint16_t>, nfct_value> sums;
  for (const auto& [k, v] : entries) {
    auto& s = sums[{k.netns, k.reason, k.state, k.zone}];
    s.packets += v.packets;
    s.bytes += v.bytes;
  }
  for (const auto& [k, v] : sums) {
    auto [netns, reason, state, zone] = k;
    Labels l{{"netns", std::to_string(netns)},
             {"reason", reasons.label(reason)},
             {"state", drop_state_label(state)},
             {"zone", std::to_string(zone)}};
    add_sample(packets, l, static_cast<double>(v.packets));
    add_sample(bytes, l, static_cast<double>(v.bytes));
  }
  return {packets, bytes};
}

}  // namespace nfct
