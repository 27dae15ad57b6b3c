// gzip for HTTP answers: whether the request allows it, and the compression itself.
//
// libdeflate, not zlib: on the 2.3 MB page of 20 000 series libdeflate's level 1 took
// about half of zlib's level 1 time for a smaller output (bench/scrape_stages reports
// both, see docs/performance.md); it compresses a whole buffer at once, which is what a
// /metrics answer is.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct libdeflate_compressor;

namespace nfct {

// True when an Accept-Encoding header value accepts gzip: "gzip" or "x-gzip" (or "*")
// with a q-value above 0, as RFC 9110 12.5.3 reads; nullptr (no header) is false.
bool accepts_gzip(const char* accept_encoding);

class GzipCompressor {
 public:
  static constexpr int kDefaultLevel = 1;
  explicit GzipCompressor(int level = kDefaultLevel);
  // Replaces `out` with the gzip member of `in`; its capacity is kept for the next call.
  void compress(std::string_view in, std::string& out);

 private:
  struct Free {
    void operator()(libdeflate_compressor* c) const;
  };
  std::unique_ptr<libdeflate_compressor, Free> c_;
};

}  // namespace nfct
