#include "metrics_page.h"

#include <CivetServer.h>

#include <chrono>

#include "family_text.h"
#include "http_util.h"
#include "text_collectable.h"
#include "text_format.h"

namespace nfct {

MetricsPage::MetricsPage(std::vector<std::shared_ptr<prometheus::Collectable>> collectables)
    : collectables_(std::move(collectables)) {}

MetricsPage::~MetricsPage() = default;

void MetricsPage::render(std::string& out) const {
  const auto t0 = std::chrono::steady_clock::now();
  out.clear();
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables_) {
    auto* direct = dynamic_cast<const TextCollectable*>(c.get());
    auto got = direct ? direct->CollectText(out) : c->Collect();
    for (auto& f : got) families.push_back(std::move(f));
  }
  // The small families (self metrics, events, namespace info, build info): prometheus-cpp
  // objects, written as its serializer would (prom/family_text.h).
  text::append_families(out, families);
  text::append_family_header(out, kScrapeDurationName,
                             "Time this scrape spent reading and rendering every metric, up to this "
                             "line (not compressing and sending the answer).",
                             "gauge");
  out += kScrapeDurationName;
  out += ' ';
  text::append_value(out, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  out += '\n';
}

std::unique_ptr<MetricsPage::Buffers> MetricsPage::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      auto b = std::move(free_.back());
      free_.pop_back();
      return b;
    }
  }
  return std::make_unique<Buffers>();
}

void MetricsPage::release(std::unique_ptr<Buffers> b) {
  std::lock_guard lock(mu_);
  if (free_.size() < kKeptBuffers) free_.push_back(std::move(b));
}

size_t MetricsPage::serve(mg_connection* conn, bool head) {
  struct Lease {
    MetricsPage& page;
    std::unique_ptr<Buffers> b;
    ~Lease() { page.release(std::move(b)); }
  } lease{*this, acquire()};
  Buffers& b = *lease.b;
  render(b.text);
  constexpr const char* kType = "text/plain; version=0.0.4; charset=utf-8";
  if (accepts_gzip(mg_get_header(conn, "Accept-Encoding"))) {
    b.compressor.compress(b.text, b.gzip);
    send_response(conn, 200, kType, b.gzip, head, "Content-Encoding: gzip\r\nVary: Accept-Encoding\r\n");
  } else {
    send_response(conn, 200, kType, b.text, head, "Vary: Accept-Encoding\r\n");
  }
  return b.text.size();
}

}  // namespace nfct
