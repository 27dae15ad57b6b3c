#include "zone_text.h"

#include <algorithm>
#include <array>

#include "ct_names.h"
#include "text_format.h"
#include "zone_families.h"

namespace nfct {
namespace {

// `,name="<escaped value>"` for every byte value, from one of the name functions: the
// direction, protocol and TCP state labels of nfct_zone_entries, written once.
using ByteLabels = std::array<std::string, 256>;

template <class Value>
ByteLabels byte_labels(std::string_view label, Value&& value) {
  ByteLabels out;
  for (size_t i = 0; i < out.size(); i++) text::append_label(out[i], label, value(static_cast<uint8_t>(i)));
  return out;
}

const ByteLabels& direction_labels() {
  static const ByteLabels l = byte_labels("direction", [](uint8_t d) {
    auto n = zone_dir_name(d);
    return n ? std::string(*n) : std::to_string(d);
  });
  return l;
}
const ByteLabels& protocol_labels() {
  static const ByteLabels l = byte_labels("protocol", [](uint8_t p) { return l4proto_label(p); });
  return l;
}
const ByteLabels& tcp_state_labels() {
  static const ByteLabels l =
      byte_labels("tcp_state", [](uint8_t s) { return s == kNoTcpState ? std::string() : tcp_state_label(s); });
  return l;
}

void header(std::string& out, const ZoneFamilyInfo& f, std::string_view type) {
  text::append_family_header(out, f.name, f.help, type);
}

// One sample per namespace of `f`, for the namespaces `pick` gives a value for.
template <class Pick>
void per_netns(std::string& out, const ZoneFamilyInfo& f, const ZoneStatus& s, const std::vector<std::string>& labels,
               Pick&& pick) {
  header(out, f, "gauge");
  size_t i = 0;
  for (const auto& [netns, d] : s.netns) {
    const std::string& l = labels[i++];
    if (auto v = pick(d)) text::append_sample(out, f.name, l, *v);
  }
}

}  // namespace

void render_zone_families(const ZoneStatus& s, double now_unix, std::string& out) {
  std::vector<std::string> labels;  // `netns="N"`, in the order of s.netns
  labels.reserve(s.netns.size());
  for (const auto& [netns, d] : s.netns)
    text::append_label(labels.emplace_back(), "netns", std::to_string(netns), true);
  // Only namespaces with a complete dump have counts to show.
  auto complete = [](const ZoneDump& d) { return d.last_success_unix > 0; };

  header(out, kZoneEntries, "gauge");
  const auto& dirs = direction_labels();
  const auto& protos = protocol_labels();
  const auto& tcp = tcp_state_labels();
  size_t i = 0;
  for (const auto& [netns, d] : s.netns) {
    const std::string& ns = labels[i++];
    if (!complete(d)) continue;
    for (const auto& [k, n] : d.counts.by_key) {
      out += kZoneEntries.name;
      out += '{';
      out += ns;
      out += ",zone=\"";
      text::append_uint(out, k.zone);
      out += '"';
      out += dirs[k.zone_dir];
      out += protos[k.l4proto];
      out += tcp[k.tcp_state];
      out += "} ";
      text::append_value(out, n);
      out += '\n';
    }
  }
  using Opt = std::optional<double>;
  per_netns(out, kZoneUnlabeled, s, labels, [&](const ZoneDump& d) {
    return complete(d) ? Opt(static_cast<double>(d.counts.unlabeled)) : std::nullopt;
  });
  per_netns(out, kZoneDumpEntries, s, labels,
            [&](const ZoneDump& d) { return complete(d) ? Opt(static_cast<double>(d.counts.entries)) : std::nullopt; });
  per_netns(out, kZoneDumpDuration, s, labels, [](const ZoneDump& d) { return Opt(d.duration_seconds); });
  per_netns(out, kZoneDumpLastSuccess, s, labels,
            [&](const ZoneDump& d) { return complete(d) ? Opt(d.last_success_unix) : std::nullopt; });
  per_netns(out, kZoneDumpAge, s, labels, [&](const ZoneDump& d) {
    return complete(d) ? Opt(std::max(0.0, now_unix - d.last_success_unix)) : std::nullopt;
  });

  header(out, kZoneDumps, "counter");
  text::append_sample(out, kZoneDumps.name, "", s.dumps);
  header(out, kZoneDumpErrors, "counter");
  text::append_sample(out, kZoneDumpErrors.name, "reason=\"timeout\"", s.timeouts);
  text::append_sample(out, kZoneDumpErrors.name, "reason=\"error\"", s.errors);
}

}  // namespace nfct
