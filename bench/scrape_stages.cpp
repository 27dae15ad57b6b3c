// scrape_stages: times the stages of one /metrics scrape outside the exporter, on the
// exporter's own counter map (opened by id while the exporter runs) and with the exporter's
// own code (nfct_core), so that the benchmark can say where a slow scrape spends its time.
//
//   scrape_stages --map-id=N [--slot-keys-map-id=N --slot-counts-map-id=N] [--drops-map-id=N]
//                 [--drop-keys-map-id=N --drop-counts-map-id=N] [--reps=K]
//
// Stages: read (the counting table in place and bpf_map_lookup_batch of every hash entry,
// per-CPU values summed: CounterReader),
// aggregate (entries -> label sets: aggregate()), and then the two ways to text, side by
// side on the same aggregates: the prometheus-cpp path, families (MetricFamily objects:
// counter_families()) and serialize (prometheus::TextSerializer into a string), and the
// direct renderer the exporter serves with (render_counter_families: direct). Then gzip of the direct text with zlib and libdeflate
// at the levels given (--gzip-levels, default 1,6), the choice made in http_compress.h.
// With the counting table's two maps and the drop map given, also: slots (the read of the
// mmapped table alone, which read includes then), drops_read (the drop map) and
// drops_render (its two families to text), and created (connections created, derived
// and rendered): together the whole of a scrape's counter and drop work.
// Prints one JSON line with the median and minimum of each stage in milliseconds, the
// number of entries, the bytes of each text (both must be equal) and of each gzip output.
#include <bpf/bpf.h>
#include <libdeflate.h>
#include <prometheus/text_serializer.h>
#include <zlib.h>

#include <bpf/libbpf.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "counter_aggregate.h"
#include "counter_reader.h"
#include "counting_table.h"
#include "counter_text.h"
#include "drop_collector.h"
#include "metric_families.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double minimum(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }

size_t gzip_zlib(const std::string& in, std::string& out, int level) {
  z_stream s{};
  if (deflateInit2(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
  out.resize(deflateBound(&s, in.size()) + 32);
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&s, Z_FINISH);
  size_t n = rc == Z_STREAM_END ? s.total_out : 0;
  deflateEnd(&s);
  return n;
}

size_t gzip_libdeflate(const std::string& in, std::string& out, int level) {
  libdeflate_compressor* c = libdeflate_alloc_compressor(level);
  if (!c) return 0;
  out.resize(libdeflate_gzip_compress_bound(c, in.size()));
  size_t n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), out.size());
  libdeflate_free_compressor(c);
  return n;
}

struct Stage {
  std::string name;
  std::vector<double> ms;
  size_t bytes = 0;
};

// A running exporter's counting table, opened by its two maps' ids and mapped read-only.
std::unique_ptr<nfct::CountingTable> open_table(uint32_t keys_id, uint32_t counts_id) {
  int keys_fd = bpf_map_get_fd_by_id(keys_id), counts_fd = bpf_map_get_fd_by_id(counts_id);
  bpf_map_info info{};
  uint32_t len = sizeof info;
  if (keys_fd < 0 || counts_fd < 0 || bpf_obj_get_info_by_fd(keys_fd, &info, &len) != 0) {
    std::fprintf(stderr, "scrape_stages: slot map ids %u, %u: %s\n", keys_id, counts_id, std::strerror(errno));
    return nullptr;
  }
  return std::make_unique<nfct::CountingTable>(keys_fd, counts_fd, info.max_entries, libbpf_num_possible_cpus());
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t map_id = 0, keys_id = 0, counts_id = 0, drops_id = 0, drop_keys_id = 0, drop_counts_id = 0;
  int reps = 20;
  std::vector<int> levels = {1, 6};
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.rfind("--map-id=", 0) == 0) map_id = static_cast<uint32_t>(std::stoul(a.substr(9)));
    else if (a.rfind("--slot-keys-map-id=", 0) == 0) keys_id = static_cast<uint32_t>(std::stoul(a.substr(19)));
    else if (a.rfind("--slot-counts-map-id=", 0) == 0) counts_id = static_cast<uint32_t>(std::stoul(a.substr(21)));
    else if (a.rfind("--drops-map-id=", 0) == 0) drops_id = static_cast<uint32_t>(std::stoul(a.substr(15)));
    else if (a.rfind("--drop-keys-map-id=", 0) == 0) drop_keys_id = static_cast<uint32_t>(std::stoul(a.substr(19)));
    else if (a.rfind("--drop-counts-map-id=", 0) == 0)
      drop_counts_id = static_cast<uint32_t>(std::stoul(a.substr(21)));
    else if (a.rfind("--reps=", 0) == 0) reps = std::stoi(a.substr(7));
    else if (a.rfind("--gzip-levels=", 0) == 0) {
      levels.clear();
      std::stringstream ls(a.substr(14));
      for (std::string l; std::getline(ls, l, ',');) levels.push_back(std::stoi(l));
    } else {
      std::fprintf(stderr,
                   "usage: scrape_stages --map-id=N [--slot-keys-map-id=N --slot-counts-map-id=N] [--drops-map-id=N] "
                   "[--drop-keys-map-id=N --drop-counts-map-id=N] [--reps=K] "
                   "[--gzip-levels=1,6]\n");
      return 2;
    }
  }
  int fd = bpf_map_get_fd_by_id(map_id);
  if (fd < 0) {
    std::fprintf(stderr, "scrape_stages: map id %u: %s\n", map_id, std::strerror(errno));
    return 1;
  }
  nfct::ProbeNames names;
  const char* hooks[] = {"prerouting", "input", "forward", "output", "postrouting"};
  for (int i = 0; i < 10; i++)
    names[static_cast<uint8_t>(i)] = std::string("nf:") + (i < 5 ? "ipv4:" : "ipv6:") + hooks[i % 5];

  int drops_fd = -1;
  std::unique_ptr<nfct::CountingTable> table, drop_table;
  if (keys_id && counts_id && !(table = open_table(keys_id, counts_id))) return 1;
  if (drop_keys_id && drop_counts_id && !(drop_table = open_table(drop_keys_id, drop_counts_id))) return 1;
  if (drops_id && (drops_fd = bpf_map_get_fd_by_id(drops_id)) < 0) {
    std::fprintf(stderr, "scrape_stages: drop map id %u: %s\n", drops_id, std::strerror(errno));
    return 1;
  }
  nfct::CounterReader reader(fd, -1, table ? &table->view() : nullptr);
  std::unique_ptr<nfct::DropReader> drops;
  if (drops_fd >= 0) drops = std::make_unique<nfct::DropReader>(drops_fd, drop_table ? &drop_table->view() : nullptr);
  const nfct::DropReasons reasons;  // numbers only: the names cost the same to write
  std::vector<double> t_slots, t_drops_read, t_drops_render, t_created;
  size_t drop_entries = 0, nslot_entries = 0;
  nfct::CreatedConnections created;
  std::string side;
  std::vector<Stage> gz;
  for (int l : levels) {
    gz.push_back({"zlib" + std::to_string(l), {}, 0});
    gz.push_back({"libdeflate" + std::to_string(l), {}, 0});
  }
  std::vector<double> t_read, t_agg, t_fam, t_ser, t_direct;
  size_t entries = 0, bytes = 0, direct_bytes = 0;
  bool same = true;
  std::string direct, packed;
  nfct::Aggregates agg;
  // The label text kept from one rep to the next, as the exporter keeps it between scrapes.
  nfct::CounterText kept_text;
  nfct::KeptLabels<nfct::CreatedKey> kept_created;
  nfct::DropText kept_drops;
  for (int r = -1; r < reps; r++) {  // r == -1: warm-up, not counted
    auto t0 = Clock::now();
    auto e = reader.read_counters();
    auto t1 = Clock::now();
    if (!e) {
      std::fprintf(stderr, "scrape_stages: %s\n", e.error().c_str());
      return 1;
    }
    nfct::aggregate(*e, agg);
    auto t2 = Clock::now();
    auto fams = nfct::counter_families(agg, names);
    auto t3 = Clock::now();
    std::ostringstream os;
    prometheus::TextSerializer().Serialize(os, fams);
    std::string text = os.str();
    auto t4 = Clock::now();
    direct.clear();
    nfct::render_counter_families(agg, names, direct, kept_text);
    auto t5 = Clock::now();
    auto c0 = Clock::now();
    nfct::created_connections(*e, created);
    side.clear();
    nfct::render_created_connections(created, side, kept_created);
    auto c1 = Clock::now();
    if (r >= 0) t_created.push_back(ms(c0, c1));
    if (table) {
      std::vector<nfct::CounterEntry> sl;
      auto s0 = Clock::now();
      table->view().append_to<nfct::CounterEntry, nfct_key>(sl);
      if (r >= 0) t_slots.push_back(ms(s0, Clock::now()));
      nslot_entries = sl.size();
    }
    if (drops) {
      auto d0 = Clock::now();
      auto de = drops->read();
      auto d1 = Clock::now();
      if (!de) {
        std::fprintf(stderr, "scrape_stages: %s\n", de.error().c_str());
        return 1;
      }
      side.clear();
      nfct::render_drop_families(*de, reasons, side, kept_drops);
      auto d2 = Clock::now();
      if (r >= 0) {
        t_drops_read.push_back(ms(d0, d1));
        t_drops_render.push_back(ms(d1, d2));
      }
      drop_entries = de->size();
    }
    for (size_t g = 0; g < gz.size(); g++) {
      auto g0 = Clock::now();
      int level = levels[g / 2];
      size_t n = g % 2 ? gzip_libdeflate(direct, packed, level) : gzip_zlib(direct, packed, level);
      if (r >= 0) gz[g].ms.push_back(ms(g0, Clock::now()));
      gz[g].bytes = n;
    }
    if (r < 0) continue;
    t_read.push_back(ms(t0, t1));
    t_agg.push_back(ms(t1, t2));
    t_fam.push_back(ms(t2, t3));
    t_ser.push_back(ms(t3, t4));
    t_direct.push_back(ms(t4, t5));
    entries = e->size();
    bytes = text.size();
    direct_bytes = direct.size();
    same = same && text == direct;
  }
  std::printf(
      "{\"entries\": %zu, \"bytes\": %zu, \"direct_bytes\": %zu, \"direct_equal\": %s, \"reps\": %d, "
      "\"read_ms\": %.4f, \"aggregate_ms\": %.4f, \"families_ms\": %.4f, \"serialize_ms\": %.4f, "
      "\"direct_ms\": %.4f, "
      "\"read_min_ms\": %.4f, \"aggregate_min_ms\": %.4f, \"families_min_ms\": %.4f, \"serialize_min_ms\": %.4f, "
      "\"direct_min_ms\": %.4f, ",
      entries, bytes, direct_bytes, same ? "true" : "false", reps, median(t_read), median(t_agg), median(t_fam),
      median(t_ser), median(t_direct), minimum(t_read), minimum(t_agg), minimum(t_fam), minimum(t_ser),
      minimum(t_direct));
  std::printf("\"created_ms\": %.4f, \"slots_ms\": %.4f, \"slot_entries\": %zu, \"drops_read_ms\": %.4f, "
              "\"drops_render_ms\": %.4f, \"drop_entries\": %zu, \"gzip\": {",
              median(t_created), median(t_slots), nslot_entries, median(t_drops_read), median(t_drops_render),
              drop_entries);
  for (size_t g = 0; g < gz.size(); g++)
    std::printf("%s\"%s\": {\"ms\": %.4f, \"min_ms\": %.4f, \"bytes\": %zu}", g ? ", " : "", gz[g].name.c_str(),
                median(gz[g].ms), minimum(gz[g].ms), gz[g].bytes);
  std::printf("}}\n");
  return 0;
}
