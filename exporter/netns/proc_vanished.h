// /proc entries that vanished between the directory listing and the read: the process
// exited in between. Normal on a busy node (short-lived processes), so not logged; counted
// process-wide for nfct_exporter_proc_vanished_total{file}.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nfct {

enum class ProcFile : uint8_t {
  NsNet,   // /proc/PID/ns/net, while looking for namespaces
  Comm,    // /proc/PID/comm, for nfct_netns_info
  Cgroup,  // /proc/PID/cgroup, ditto
};
inline constexpr size_t kProcFileKinds = 3;

// The `file` label value: ns/net, comm, cgroup.
std::string_view proc_file_name(ProcFile f);

// True for the errno of an entry whose process is gone (ENOENT, ESRCH); other errors
// (EACCES, ...) are not a vanished process.
bool is_vanished_errno(int err);

void count_proc_vanished(ProcFile f);
// A snapshot of every counter, indexed by ProcFile.
std::array<uint64_t, kProcFileKinds> proc_vanished_counts();

}  // namespace nfct
