#include "proc_vanished.h"

#include <atomic>
#include <cerrno>

namespace nfct {
namespace {

std::array<std::atomic<uint64_t>, kProcFileKinds> g_counts{};

}  // namespace

std::string_view proc_file_name(ProcFile f) {
  switch (f) {
    case ProcFile::NsNet: return "ns/net";
    case ProcFile::Comm: return "comm";
    case ProcFile::Cgroup: return "cgroup";
  }
  return "unknown";
}

// A process that has exited but not been reaped still has its /proc directory, but its
// namespace links give ENOENT (its nsproxy is gone) and some files ESRCH.
bool is_vanished_errno(int err) { return err == ENOENT || err == ESRCH; }

void count_proc_vanished(ProcFile f) {
  const auto i = static_cast<size_t>(f);
  if (i < kProcFileKinds) g_counts[i].fetch_add(1, std::memory_order_relaxed);
}

std::array<uint64_t, kProcFileKinds> proc_vanished_counts() {
  std::array<uint64_t, kProcFileKinds> out{};
  for (size_t i = 0; i < kProcFileKinds; i++) out[i] = g_counts[i].load(std::memory_order_relaxed);
  return out;
}

}  // namespace nfct
