// The /metrics page: families rendered directly (TextCollectable, counter_text.h) and
// the rest serialized by prometheus-cpp, concatenated into one text format 0.0.4 page,
// then nfct_exporter_scrape_duration_seconds; gzip-compressed when the client allows it.
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http_compress.h"

struct mg_connection;

namespace nfct {

inline constexpr const char* kScrapeDurationName = "nfct_exporter_scrape_duration_seconds";

class MetricsPage {
 public:
  explicit MetricsPage(std::vector<std::shared_ptr<prometheus::Collectable>> collectables);
  ~MetricsPage();
  MetricsPage(const MetricsPage&) = delete;
  MetricsPage& operator=(const MetricsPage&) = delete;

  // Replaces `out` with the page. Collectors never throw; running out of memory does.
  void render(std::string& out) const;

  // Answers GET or HEAD of the page on `conn` (Content-Length set, so the connection can
  // be kept alive), gzip when the request's Accept-Encoding allows it. Returns the size of
  // the page's text.
  size_t serve(mg_connection* conn, bool head);

 private:
  // The text, its compressed form and a compressor for one scrape; kept between scrapes
  // so that their memory is reused (kKeptBuffers of them: more concurrent scrapes than
  // that get fresh ones, freed after their answer).
  struct Buffers {
    std::string text;
    std::string gzip;
    GzipCompressor compressor;
  };
  // One: a page of 50 000 series is 5 MB of text. Even strictly sequential scrapes
  // overlap here (the client has the last byte and sends its next request before the
  // handler has released its buffers), and a second kept set doubled that memory for good;
  // the overlapping scrape's set is freed after its answer instead (and the memory trimmer
  // returns it to the system).
  static constexpr size_t kKeptBuffers = 1;
  std::unique_ptr<Buffers> acquire();
  void release(std::unique_ptr<Buffers> b);

  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Buffers>> free_;
};

}  // namespace nfct
