// Why a ctnetlink exchange went wrong, counted process-wide for
// nfct_exporter_ctnetlink_errors_total{reason}. Every socket of every namespace (table
// statistics and zone dumps alike) adds to the same counters, so that a socket replaced
// after an error does not take its count with it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nfct {

enum class CtError : uint8_t {
  Foreign,      // a datagram from a process, not the kernel: dropped unread, the answer goes on
  Malformed,    // an answer whose framing or content could not be parsed: abandoned
                // (also a zone dump its reader stopped at shutdown; no scrape sees that)
  Kernel,       // the kernel ended the answer with an error code
  Interrupted,  // a dump the kernel marked interrupted (NLM_F_DUMP_INTR)
  Receive,      // poll() or recvfrom() failed (ENOBUFS: the kernel dropped part of the answer)
  Send,         // the request could not be sent
  Timeout,      // no complete answer before the deadline
  Open,         // no socket could be opened in a namespace that still exists
};
inline constexpr size_t kCtErrorKinds = 8;

// The `reason` label value: foreign, malformed, kernel, interrupted, receive, send,
// timeout, open.
std::string_view ct_error_name(CtError e);

void count_ct_error(CtError e);
// A snapshot of every counter, indexed by CtError.
std::array<uint64_t, kCtErrorKinds> ct_error_counts();

}  // namespace nfct
