// The loaded BPF object (bpf/nfct.bpf.c): RAII over the libbpf skeleton.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

struct nfct_bpf;

namespace nfct {

struct ProgramOptions {
  uint32_t max_entries = 65536;
  uint32_t slots = 16384;          // counting table slots (shared by the CPUs), a power of two; 0 = off
  bool want_tracepoints = false;  // load nfct_tp too
  uint32_t sample_rate = 0;        // events: 1 in N tracked packets, 0 = off
  uint32_t ring_buffer_bytes = 1u << 20;
};

class CounterPrograms {
 public:
  // Opens, sizes and loads the object. Throws FatalError when the netfilter program
  // cannot be loaded. When only the tracepoint program fails (a kernel without BPF
  // cookies for raw tracepoints), the object is loaded without it and
  // tracepoint_error() says why.
  explicit CounterPrograms(const ProgramOptions& opts);
  ~CounterPrograms();
  CounterPrograms(const CounterPrograms&) = delete;
  CounterPrograms& operator=(const CounterPrograms&) = delete;

  int nf_prog_fd() const;
  int tp_prog_fd() const;  // -1 when not loaded
  const std::string& tracepoint_error() const { return tp_error_; }
  int counters_fd() const;
  // The counting table's maps (one unused entry each when the table is off).
  int slot_keys_fd() const;
  int slot_counts_fd() const;
  int overflow_fd() const;
  int events_fd() const;
  int sampler_fd() const;

 private:
  struct Deleter {
    void operator()(nfct_bpf* s) const;
  };
  std::unique_ptr<nfct_bpf, Deleter> skel_;
  std::string tp_error_;
};

}  // namespace nfct
