#include "ct_errors.h"

#include <atomic>

namespace nfct {
namespace {

// Relaxed atomics: each counter is independent and only ever read as a snapshot.
std::array<std::atomic<uint64_t>, kCtErrorKinds> g_counts{};

}  // namespace

std::string_view ct_error_name(CtError e) {
  switch (e) {
    case CtError::Foreign: return "foreign";
    case CtError::Malformed: return "malformed";
    case CtError::Kernel: return "kernel";
    case CtError::Interrupted: return "interrupted";
    case CtError::Receive: return "receive";
    case CtError::Send: return "send";
    case CtError::Timeout: return "timeout";
    case CtError::Open: return "open";
  }
  return "unknown";
}

void count_ct_error(CtError e) {
  const auto i = static_cast<size_t>(e);
  if (i < kCtErrorKinds) g_counts[i].fetch_add(1, std::memory_order_relaxed);
}

std::array<uint64_t, kCtErrorKinds> ct_error_counts() {
  std::array<uint64_t, kCtErrorKinds> out{};
  for (size_t i = 0; i < kCtErrorKinds; i++) out[i] = g_counts[i].load(std::memory_order_relaxed);
  return out;
}

}  // namespace nfct
