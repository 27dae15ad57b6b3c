#include "counter_text.h"

#include <array>

#include "ct_names.h"
#include "text_format.h"

namespace nfct {
namespace {

using text::append_uint;

// The names and help texts of counter_families() and created_connections_family(); the
// unit tests compare the two texts byte for byte, so a change to one that is not made to
// the other fails them.
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

void header(std::string& out, const FamilyInfo& f) { text::append_family_header(out, f.name, f.help, "counter"); }

// `{probe="...",netns="N"` (no closing brace): the start of every counter label set.
class Prefixes {
 public:
  explicit Prefixes(const ProbeNames& names) : names_(names) {}
  void append(std::string& out, uint8_t probe, uint32_t netns) {
    std::string& p = probes_[probe];
    if (p.empty()) {
      auto n = names_.find(probe);
      // The same fallback as counter_families(): a probe index the manager has no name for.
      text::append_label(p, "probe", n != names_.end() ? n->second : "index:" + std::to_string(probe), true);
      p += ",netns=\"";
    }
    out += '{';
    out += p;
    append_uint(out, netns);
    out += '"';
  }

 private:
  const ProbeNames& names_;
  std::array<std::string, 256> probes_;
};

// `,name="<escaped value>"` for the small fixed name tables (states, bits, directions).
template <size_t N>
class NameLabels {
 public:
  template <class Lookup>
  NameLabels(std::string_view label, Lookup&& name) {
    for (size_t i = 0; i < N; i++) {
      auto n = name(static_cast<uint8_t>(i));
      text::append_label(text_[i], label, n ? std::string(*n) : std::to_string(i));
    }
  }
  const std::string& operator[](size_t i) const { return text_[i]; }

 private:
  std::array<std::string, N> text_;
};

// Every byte value has an entry, so that no key byte can index past the end.
const NameLabels<256>& state_labels() {
  static const NameLabels<256> l("state", [](uint8_t s) { return ct_state_name(s); });
  return l;
}
const NameLabels<256>& bit_labels() {
  static const NameLabels<256> l("bit", [](uint8_t b) { return ct_status_bit_name(b); });
  return l;
}
const NameLabels<256>& direction_labels() {
  static const NameLabels<256> l("direction", [](uint8_t d) { return zone_dir_name(d); });
  return l;
}

void value_line(std::string& out, uint64_t v) {
  out += "} ";
  text::append_value(out, v);
  out += '\n';
}

}  // namespace

void render_counter_families(const Aggregates& a, const ProbeNames& names, std::string& out, CounterText& kept) {
  if (kept.names != names) {  // the probe labels of the kept text would be stale
    kept.names = names;
    kept.states.forget();
    kept.bits.forget();
    kept.zones.forget();
    kept.no_conntrack.forget();
  }
  Prefixes prefix(names);
  const auto& states = state_labels();
  const auto& bits = bit_labels();
  const auto& dirs = direction_labels();
  // Roughly the bytes the page will take, so that the buffer grows once at most.
  out.reserve(out.size() + 110 * (2 * a.states.size() + a.bits.size() + a.zones.size()) + 1024);

  // nfct_packets_total and nfct_bytes_total share the label sets of a.states.
  kept.states.update(a.states, [&](std::string& t, const auto& k) {
    auto [probe, netns, state] = k;
    prefix.append(t, probe, netns);
    t += states[state];
  });
  for (const FamilyInfo* f : {&kPacketsFamily, &kBytesFamily}) {
    header(out, *f);
    const bool packets = f == &kPacketsFamily;
    size_t i = 0;
    for (const auto& [k, v] : a.states) {
      out += f->name;
      out += kept.states[i++];
      value_line(out, packets ? v.packets : v.bytes);
    }
  }

  kept.bits.update(a.bits, [&](std::string& t, const auto& k) {
    auto [probe, netns, bit] = k;
    prefix.append(t, probe, netns);
    t += bits[bit];
  });
  header(out, kStatusFamily);
  size_t i = 0;
  for (const auto& [k, v] : a.bits) {
    out += kStatusFamily.name;
    out += kept.bits[i++];
    value_line(out, v);
  }

  kept.zones.update(a.zones, [&](std::string& t, const auto& k) {
    auto [probe, netns, zone, dir, state] = k;
    prefix.append(t, probe, netns);
    t += ",zone=\"";
    append_uint(t, zone);
    t += '"';
    t += dirs[dir];
    t += states[state];
  });
  header(out, kZoneFamily);
  i = 0;
  for (const auto& [k, v] : a.zones) {
    out += kZoneFamily.name;
    out += kept.zones[i++];
    value_line(out, v);
  }

  kept.no_conntrack.update(a.no_conntrack, [&](std::string& t, const auto& k) {
    auto [probe, netns] = k;
    prefix.append(t, probe, netns);
  });
  for (const FamilyInfo* f : {&kNoCtPacketsFamily, &kNoCtBytesFamily}) {
    header(out, *f);
    const bool packets = f == &kNoCtPacketsFamily;
    i = 0;
    for (const auto& [k, v] : a.no_conntrack) {
      out += f->name;
      out += kept.no_conntrack[i++];
      value_line(out, packets ? v.packets : v.bytes);
    }
  }
}

void render_counter_families(const Aggregates& a, const ProbeNames& names, std::string& out) {
  CounterText fresh;
  render_counter_families(a, names, out, fresh);
}

void render_created_connections(const CreatedConnections& created, std::string& out, KeptLabels<CreatedKey>& kept) {
  const auto& dirs = direction_labels();
  text::append_family_header(out, kCreatedConnectionsName, kCreatedConnectionsHelp, "counter");
  out.reserve(out.size() + 90 * created.size());
  kept.update(created, [&](std::string& t, const CreatedKey& k) {
    auto [netns, zone, dir] = k;
    t += "{netns=\"";
    append_uint(t, netns);
    t += "\",zone=\"";
    append_uint(t, zone);
    t += '"';
    t += dirs[dir];
  });
  size_t i = 0;
  for (const auto& [k, n] : created) {
    out += kCreatedConnectionsName;
    out += kept[i++];
    value_line(out, n);
  }
}

void render_created_connections(const CreatedConnections& created, std::string& out) {
  KeptLabels<CreatedKey> fresh;
  render_created_connections(created, out, fresh);
}

}  // namespace nfct
