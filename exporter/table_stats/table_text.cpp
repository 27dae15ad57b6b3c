#include "table_text.h"

#include "text_format.h"

namespace nfct {
namespace {

// The rows one namespace contributes to the nfct_table_<stat>_total (or
// nfct_expect_<stat>_total) families: its per-CPU rows, or their sum.
struct NetnsRows {
  std::string labels;  // `netns="N"`
  const std::vector<CpuStatRow>* cpu_rows = nullptr;
  StatRow sum;
};

// One family per attribute that any row has and this build can name, in attribute order
// (the order table_families() makes them in); each family's samples namespace by
// namespace, CPU by CPU.
void render_stat_families(const std::vector<NetnsRows>& rows, bool expect, bool per_cpu, std::string& out) {
  std::bitset<kMaxStatAttr + 1> present;
  for (const auto& r : rows) {
    if (per_cpu)
      for (const auto& c : *r.cpu_rows) present |= c.row.present;
    else
      present |= r.sum.present;
  }
  const std::string_view prefix = expect ? "nfct_expect_" : "nfct_table_";
  std::string name;
  for (size_t attr = 1; attr < present.size(); attr++) {
    if (!present[attr]) continue;
    auto stat = expect ? exp_stat_name(static_cast<uint16_t>(attr)) : ct_stat_name(static_cast<uint16_t>(attr));
    if (!stat) continue;
    name.assign(prefix);
    name += *stat;
    name += "_total";
    text::append_family_header(out, name, expect ? exp_stat_help(*stat) : ct_stat_help(*stat), "counter");
    for (const auto& r : rows) {
      if (!per_cpu) {
        if (r.sum.present[attr]) text::append_sample(out, name, r.labels, r.sum.value[attr]);
        continue;
      }
      for (const auto& c : *r.cpu_rows) {
        if (!c.row.present[attr]) continue;
        out += name;
        out += '{';
        out += r.labels;
        out += ",cpu=\"";
        text::append_uint(out, c.cpu);
        out += "\"} ";
        text::append_value(out, c.row.value[attr]);
        out += '\n';
      }
    }
  }
}

void header(std::string& out, const TableFamilyInfo& f, std::string_view type) {
  text::append_family_header(out, f.name, f.help, type);
}

}  // namespace

void render_table_families(const std::vector<NetnsTable>& tables, bool per_cpu, uint64_t scrape_errors,
                           double scrape_seconds, std::string& out) {
  // The namespaces that were read, with their label text written once.
  std::vector<NetnsRows> ct, exp;
  std::vector<const NetnsTable*> read;
  for (const auto& t : tables) {
    if (!t.stats) continue;
    read.push_back(&t);
    NetnsRows r;
    text::append_label(r.labels, "netns", std::to_string(t.netns), true);
    r.cpu_rows = &t.stats->ct_cpu;
    if (!per_cpu) r.sum = sum_rows(t.stats->ct_cpu);
    ct.push_back(r);
    r.cpu_rows = &t.stats->exp_cpu;
    if (!per_cpu) r.sum = sum_rows(t.stats->exp_cpu);
    exp.push_back(std::move(r));
  }

  header(out, kTableEntries, "gauge");
  for (size_t i = 0; i < read.size(); i++)
    if (read[i]->stats->entries)
      text::append_sample(out, kTableEntries.name, ct[i].labels, uint64_t{*read[i]->stats->entries});
  header(out, kTableMaxEntries, "gauge");
  for (size_t i = 0; i < read.size(); i++)
    if (read[i]->stats->max_entries)
      text::append_sample(out, kTableMaxEntries.name, ct[i].labels, uint64_t{*read[i]->stats->max_entries});
  render_stat_families(ct, false, per_cpu, out);
  header(out, kExpectEntries, "gauge");
  for (size_t i = 0; i < read.size(); i++)
    text::append_sample(out, kExpectEntries.name, ct[i].labels, read[i]->stats->expectations);
  render_stat_families(exp, true, per_cpu, out);

  // Every namespace, read or not.
  header(out, kTableReadSuccess, "gauge");
  std::string labels;
  for (const auto& t : tables) {
    labels.clear();
    text::append_label(labels, "netns", std::to_string(t.netns), true);
    text::append_sample(out, kTableReadSuccess.name, labels, uint64_t{t.stats ? 1u : 0u});
  }
  header(out, kTableReadErrors, "counter");
  text::append_sample(out, kTableReadErrors.name, "", scrape_errors);
  header(out, kTableReadDuration, "gauge");
  text::append_sample(out, kTableReadDuration.name, "", scrape_seconds);
}

}  // namespace nfct
