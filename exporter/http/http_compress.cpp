#include "http_compress.h"

#include <libdeflate.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <new>
#include <stdexcept>

namespace nfct {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The q parameter of one coding's parameters ("q=0.5"); 1 when absent, -1 when malformed.
double qvalue(std::string_view params) {
  while (!params.empty()) {
    size_t semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    if (p.size() < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') continue;
    std::string_view v = trim(p.substr(2));
    // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ): a plain decimal.
    if (v.empty() || v.size() > 5 || !(v[0] == '0' || v[0] == '1')) return -1;
    double q = 0;
    for (char c : v)
      if (c != '.' && !std::isdigit(static_cast<unsigned char>(c))) return -1;
    auto r = std::from_chars(v.data(), v.data() + v.size(), q);
    if (r.ec != std::errc() || r.ptr != v.data() + v.size() || q > 1) return -1;
    return q;
  }
  return 1;
}

}  // namespace

bool accepts_gzip(const char* accept_encoding) {
  if (!accept_encoding) return false;
  std::string_view s(accept_encoding);
  double gzip = -1, star = -1;  // -1: not named
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    size_t semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    double q = semi == std::string_view::npos ? 1 : qvalue(item.substr(semi + 1));
    if (q < 0) continue;  // a malformed entry is ignored
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      gzip = std::max(gzip, q);
    else if (coding == "*")
      star = std::max(star, q);
  }
  return gzip >= 0 ? gzip > 0 : star > 0;
}

void GzipCompressor::Free::operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }

GzipCompressor::GzipCompressor(int level) : c_(libdeflate_alloc_compressor(level)) {
  if (!c_) throw std::bad_alloc();
}

void GzipCompressor::compress(std::string_view in, std::string& out) {
  // First into room for an eighth of the input: the metrics text compresses about 30
  // times, and resizing a string writes (so makes resident) every byte of it, so the
  // worst-case bound (a little over the input, 5 MB for a page of 50 000 series) would
  // keep that much memory for good in the reused buffer. libdeflate returns 0 when the
  // output does not fit; then again with the bound, which covers incompressible input.
  const size_t bound = libdeflate_gzip_compress_bound(c_.get(), in.size());
  for (size_t room : {std::min(bound, in.size() / 8 + 4096), bound}) {
    out.resize(room);
    size_t n = libdeflate_gzip_compress(c_.get(), in.data(), in.size(), out.data(), out.size());
    if (n) {
      out.resize(n);
      return;
    }
  }
  throw std::runtime_error("gzip: output buffer too small");
}

}  // namespace nfct
