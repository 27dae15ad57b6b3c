// The table statistics families (table_families.h) written straight into Prometheus text,
// without building prometheus-cpp MetricFamily objects: their series grow with the
// namespaces (about fifteen per namespace, times the CPUs with table_stats.per_cpu).
//
// The text is the same, byte for byte, as table_families() serialized by prometheus-cpp's
// TextSerializer (the unit tests compare them): same families in the same order, same
// labels in the same order, numbers as prometheus-cpp prints them (prom/text_format.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "table_families.h"

namespace nfct {

// Appends the families of table_families(tables, per_cpu, scrape_errors, scrape_seconds)
// to `out`.
void render_table_families(const std::vector<NetnsTable>& tables, bool per_cpu, uint64_t scrape_errors,
                           double scrape_seconds, std::string& out);

}  // namespace nfct
