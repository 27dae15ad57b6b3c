#include "table_families.h"

#include "ct_names.h"
#include "prom_family.h"

namespace nfct {

using prometheus::MetricFamily;
using prometheus::MetricType;

std::string ct_stat_help(std::string_view name) {
  static const std::map<std::string_view, std::string_view> help = {
      {"found", "NAT tuple searches that found the tuple already in use"},
      {"invalid", "Packets conntrack could not track: malformed, or refused by the protocol tracker"},
      {"insert", "Entries inserted into the table by ctnetlink (recent kernels do not count entries "
                 "confirmed by packets here)"},
      {"insert_failed", "Entries that could not be inserted when confirmed, such as an unresolvable clash"},
      {"drop", "Packets dropped because no entry could be made for them, above all a full table with "
               "nothing to evict"},
      {"early_drop", "Entries evicted from a full table to make room for a new one"},
      {"error", "ICMP and ICMPv6 error packets that conntrack refused"},
      {"search_restart", "Table searches restarted because the table changed under them"},
      {"clash_resolve", "Clashes between packets creating the same entry that were resolved"},
      {"chaintoolong", "Entries refused because their hash chain was too long"},
      {"searched", "Obsolete kernel counter 'searched'"},
      {"new", "Obsolete kernel counter 'new'"},
      {"ignore", "Obsolete kernel counter 'ignore'"},
      {"delete", "Obsolete kernel counter 'delete'"},
      {"delete_list", "Obsolete kernel counter 'delete_list'"},
  };
  auto it = help.find(name);
  return std::string(it != help.end() ? it->second : "Kernel conntrack counter") +
         " (conntrack -S: " + std::string(name) + ").";
}

std::string exp_stat_help(std::string_view name) {
  static const std::map<std::string_view, std::string_view> help = {
      {"new", "Expected connections that arrived and became entries"},
      {"create", "Expectations created, by a helper or ctnetlink"},
      {"delete", "Expectations removed"},
  };
  auto it = help.find(name);
  return std::string(it != help.end() ? it->second : "Kernel expectation counter") +
         " (conntrack -S expect: expect_" + std::string(name) + ").";
}

namespace {

MetricFamily family(const TableFamilyInfo& f, MetricType type) {
  return make_family(std::string(f.name), std::string(f.help), type);
}

// Adds the samples of per-CPU rows to one family per attribute, made on first use.
class StatFamilies {
 public:
  StatFamilies(std::string prefix, bool expect, bool per_cpu)
      : prefix_(std::move(prefix)), expect_(expect), per_cpu_(per_cpu) {}

  void add(const std::string& netns, const std::vector<CpuStatRow>& rows) {
    if (per_cpu_) {
      for (const auto& r : rows) add_row(r.row, {{"netns", netns}, {"cpu", std::to_string(r.cpu)}});
    } else {
      add_row(sum_rows(rows), {{"netns", netns}});
    }
  }
  void move_to(std::vector<MetricFamily>& out) {
    for (auto& [attr, f] : families_) out.push_back(std::move(f));
  }

 private:
  void add_row(const StatRow& row, const Labels& labels) {
    for (size_t attr = 1; attr < row.value.size(); attr++) {
      if (!row.present[attr]) continue;
      auto name = expect_ ? exp_stat_name(attr) : ct_stat_name(attr);
      if (!name) continue;
      auto it = families_.find(attr);
      if (it == families_.end())
        it = families_
                 .emplace(attr, make_family(prefix_ + std::string(*name) + "_total",
                                            expect_ ? exp_stat_help(*name) : ct_stat_help(*name),
                                            MetricType::Counter))
                 .first;
      add_sample(it->second, labels, static_cast<double>(row.value[attr]));
    }
  }

  std::string prefix_;
  bool expect_;
  bool per_cpu_;
  std::map<size_t, MetricFamily> families_;  // by attribute: a stable order
};

}  // namespace

std::vector<MetricFamily> table_families(const std::vector<NetnsTable>& tables, bool per_cpu,
                                         uint64_t scrape_errors, double scrape_seconds) {
  auto entries = family(kTableEntries, MetricType::Gauge);
  auto max_entries = family(kTableMaxEntries, MetricType::Gauge);
  auto expectations = family(kExpectEntries, MetricType::Gauge);
  auto success = family(kTableReadSuccess, MetricType::Gauge);
  auto errors = family(kTableReadErrors, MetricType::Counter);
  auto duration = family(kTableReadDuration, MetricType::Gauge);
  StatFamilies ct("nfct_table_", false, per_cpu), exp("nfct_expect_", true, per_cpu);

  for (const auto& t : tables) {
    const std::string ns = std::to_string(t.netns);
    add_sample(success, {{"netns", ns}}, t.stats ? 1 : 0);
    if (!t.stats) continue;
    const TableStats& s = *t.stats;
    if (s.entries) add_sample(entries, {{"netns", ns}}, *s.entries);
    if (s.max_entries) add_sample(max_entries, {{"netns", ns}}, *s.max_entries);
    add_sample(expectations, {{"netns", ns}}, static_cast<double>(s.expectations));
    ct.add(ns, s.ct_cpu);
    exp.add(ns, s.exp_cpu);
  }
  add_sample(errors, {}, static_cast<double>(scrape_errors));
  add_sample(duration, {}, scrape_seconds);

  std::vector<MetricFamily> out{std::move(entries), std::move(max_entries)};
  ct.move_to(out);
  out.push_back(std::move(expectations));
  exp.move_to(out);
  out.push_back(std::move(success));
  out.push_back(std::move(errors));
  out.push_back(std::move(duration));
  return out;
}
}  // namespace nfct
