#include "counter_text.h"

#include <charconv>

#include "ct_names.h"
#include "text_format.h"

namespace nfct {
namespace {

// The names and help texts of counter_families() (metric_families.cpp); the unit tests
// compare the two texts byte for byte, so a change to one that is not made to the other
// fails them.
struct FamilyInfo {
  std::string_view name;
  std::string_view help;
};

inline constexpr FamilyInfo kPacketsFamily{
    "nfct_packets_total", "Packets seen by a probe, by the packet's conntrack state."};
inline constexpr FamilyInfo kBytesFamily{
    "nfct_bytes_total", "Bytes seen by a probe, by the packet's conntrack state."};
inline constexpr FamilyInfo kStatusFamily{
    "nfct_status_packets_total", "Packets whose connection had this status bit set when the probe saw them."};
inline constexpr FamilyInfo kZoneFamily{
    "nfct_zone_packets_total", "Tracked packets by the connection's conntrack zone and zone direction."};
inline constexpr FamilyInfo kNoCtPacketsFamily{
    "nfct_no_conntrack_packets_total", "Packets seen by a probe that carried no conntrack entry."};
inline constexpr FamilyInfo kNoCtBytesFamily{
    "nfct_no_conntrack_bytes_total", "Bytes of packets seen by a probe that carried no conntrack entry."};


void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// `name="value"` with the value escaped.
void append_label(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += "=\"";
  text::append_label_value(out, value);
  out += '"';
}

void append_sample(std::string& out, std::string_view name, const std::string& labels, uint64_t v) {
  out += name;
  out += labels;
  out += ' ';
  text::append_value(out, v);
  out += '\n';
}

}  // namespace

size_t CounterTextRenderer::KeyHash::operator()(const Key& k) const {
  // Two multiplicative mixes; the keys are small dense integers, so spread them out.
  uint64_t h = k.hi * 0x9E3779B97F4A7C15ull ^ (k.lo + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
  return static_cast<size_t>(h ^ (h >> 29));
}

const std::string& CounterTextRenderer::probe_label(uint8_t probe) {
  auto it = probe_labels_.find(probe);
  if (it != probe_labels_.end()) return it->second;
  auto n = names_.find(probe);
  // The same fallback as counter_families(): a probe index the manager has no name for.
  std::string name = n != names_.end() ? n->second : "index:" + std::to_string(probe);
  std::string l;
  append_label(l, "probe", name);
  return probe_labels_.emplace(probe, std::move(l)).first->second;
}

template <class Make>
const std::string& CounterTextRenderer::labels(Cache& c, const Key& k, Make&& make) {
  auto [it, inserted] = c.try_emplace(k);
  if (inserted) {
    std::string& t = it->second.text;
    t += '{';
    make(t);
    t += '}';
  }
  it->second.seen = generation_;
  return it->second.text;
}

void CounterTextRenderer::evict(Cache& c, size_t used) {
  if (c.size() == used) return;  // every entry was seen in this render
  std::erase_if(c, [this](const auto& kv) { return kv.second.seen != generation_; });
}

void CounterTextRenderer::render(const Aggregates& a, const ProbeNames& names, std::string& out) {
  std::lock_guard lock(mu_);
  if (names != names_) {  // probe names never change in practice; stay correct if they do
    names_ = names;
    probe_labels_.clear();
    states_.clear();
    bits_.clear();
    zones_.clear();
    no_ct_.clear();
  }
  generation_++;
  auto prefix = [this](std::string& t, uint8_t probe, uint32_t netns) {
    t += probe_label(probe);
    t += ",netns=\"";
    append_uint(t, netns);
    t += '"';
  };

  // nfct_packets_total and nfct_bytes_total share the label sets of a.states.
  text::append_family_header(out, kPacketsFamily.name, kPacketsFamily.help, "counter");
  scratch_.clear();
  for (const auto& [k, v] : a.states) {
    auto [probe, netns, state] = k;
    const std::string& l = labels(states_, {uint64_t{probe} << 32 | netns, state}, [&](std::string& t) {
      prefix(t, probe, netns);
      t += ',';
      append_label(t, "state", *ct_state_name(state));
    });
    scratch_.push_back(&l);
    append_sample(out, kPacketsFamily.name, l, v.packets);
  }
  text::append_family_header(out, kBytesFamily.name, kBytesFamily.help, "counter");
  size_t i = 0;
  for (const auto& [k, v] : a.states) append_sample(out, kBytesFamily.name, *scratch_[i++], v.bytes);

  text::append_family_header(out, kStatusFamily.name, kStatusFamily.help, "counter");
  for (const auto& [k, v] : a.bits) {
    auto [probe, netns, bit] = k;
    const std::string& l = labels(bits_, {uint64_t{probe} << 32 | netns, bit}, [&](std::string& t) {
      prefix(t, probe, netns);
      t += ',';
      append_label(t, "bit", *ct_status_bit_name(bit));
    });
    append_sample(out, kStatusFamily.name, l, v);
  }

  text::append_family_header(out, kZoneFamily.name, kZoneFamily.help, "counter");
  for (const auto& [k, v] : a.zones) {
    auto [probe, netns, zone, dir, state] = k;
    const Key key{uint64_t{probe} << 32 | netns, uint64_t{zone} << 16 | uint64_t{dir} << 8 | state};
    const std::string& l = labels(zones_, key, [&](std::string& t) {
      prefix(t, probe, netns);
      t += ",zone=\"";
      append_uint(t, zone);
      t += "\",";
      auto dir_name = zone_dir_name(dir);
      append_label(t, "direction", dir_name ? std::string(*dir_name) : std::to_string(dir));
      t += ',';
      append_label(t, "state", *ct_state_name(state));
    });
    append_sample(out, kZoneFamily.name, l, v);
  }

  text::append_family_header(out, kNoCtPacketsFamily.name, kNoCtPacketsFamily.help, "counter");
  scratch_.clear();
  for (const auto& [k, v] : a.no_conntrack) {
    auto [probe, netns] = k;
    const std::string& l =
        labels(no_ct_, {uint64_t{probe} << 32 | netns, 0}, [&](std::string& t) { prefix(t, probe, netns); });
    scratch_.push_back(&l);
    append_sample(out, kNoCtPacketsFamily.name, l, v.packets);
  }
  text::append_family_header(out, kNoCtBytesFamily.name, kNoCtBytesFamily.help, "counter");
  i = 0;
  for (const auto& [k, v] : a.no_conntrack) append_sample(out, kNoCtBytesFamily.name, *scratch_[i++], v.bytes);

  evict(states_, a.states.size());
  evict(bits_, a.bits.size());
  evict(zones_, a.zones.size());
  evict(no_ct_, a.no_conntrack.size());
}

size_t CounterTextRenderer::cached_label_sets() const {
  std::lock_guard lock(mu_);
  return states_.size() + bits_.size() + zones_.size() + no_ct_.size();
}

}  // namespace nfct
