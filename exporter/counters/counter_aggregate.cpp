#include "counter_aggregate.h"

#include <algorithm>
#include <array>

#include "ct_names.h"

namespace nfct {
namespace {

// One (probe, netns): its states, bits and packets without conntrack, added up over its
// entries and appended to the aggregates in key order when the next one starts.
struct Group {
  uint8_t probe = 0;
  uint32_t netns = 0;
  std::array<nfct_value, NFCT_STATE_UNTRACKED + 1> states{};
  std::array<bool, NFCT_STATE_UNTRACKED + 1> state_seen{};
  std::array<uint64_t, NFCT_STATUS_BITS> bits{};
  std::array<bool, NFCT_STATUS_BITS> bit_seen{};
  nfct_value no_ct{};
  bool no_ct_seen = false;

  void flush(Aggregates& a) {
    for (uint8_t s = 0; s < states.size(); s++)
      if (state_seen[s]) a.states.add_sorted({probe, netns, s}, states[s]);
    for (uint8_t b = 0; b < NFCT_STATUS_BITS; b++)
      if (bit_seen[b]) a.bits.add_sorted({probe, netns, b}, bits[b]);
    if (no_ct_seen) a.no_conntrack.add_sorted({probe, netns}, no_ct);
  }
};

void aggregate_sorted(const std::vector<CounterEntry>& entries, Aggregates& a) {
  Group g;
  bool open = false;
  for (const auto& [k, v] : entries) {
    if (!open || k.probe != g.probe || k.netns != g.netns) {
      if (open) g.flush(a);
      g = Group{};
      g.probe = k.probe;
      g.netns = k.netns;
      open = true;
    }
    if (k.state == NFCT_STATE_NO_CT) {
      g.no_ct.packets += v.packets;
      g.no_ct.bytes += v.bytes;
      g.no_ct_seen = true;
      continue;
    }
    if (k.state >= g.states.size() || !ct_state_name(k.state)) {
      a.unknown_state_packets += v.packets;
      continue;
    }
    g.states[k.state].packets += v.packets;
    g.states[k.state].bytes += v.bytes;
    g.state_seen[k.state] = true;
    if (v.packets)
      for (uint16_t st = k.status; st;) {
        const int b = __builtin_ctz(st);
        st &= static_cast<uint16_t>(st - 1);
        g.bits[b] += v.packets;
        g.bit_seen[b] = true;
      }
    // Entries of one zone series are adjacent (they differ in status only).
    if (k.state != NFCT_STATE_UNTRACKED) a.zones.add_sorted({k.probe, k.netns, k.zone, k.zone_dir, k.state}, v.packets);
  }
  if (open) g.flush(a);
}

}  // namespace

void Aggregates::clear() {
  states.clear();
  bits.clear();
  zones.clear();
  no_conntrack.clear();
  unknown_state_packets = 0;
}

void aggregate(const std::vector<CounterEntry>& entries, Aggregates& out) {
  out.clear();
  auto less = [](const CounterEntry& a, const CounterEntry& b) { return key_less(a.key, b.key); };
  if (std::is_sorted(entries.begin(), entries.end(), less)) {
    aggregate_sorted(entries, out);
    return;
  }
  std::vector<CounterEntry> sorted = entries;
  sort_and_merge(sorted);
  aggregate_sorted(sorted, out);
}

Aggregates aggregate(const std::vector<CounterEntry>& entries) {
  Aggregates a;
  aggregate(entries, a);
  return a;
}

}  // namespace nfct
