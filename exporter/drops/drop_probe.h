// The drop probe (bpf/drop.bpf.c at skb:kfree_skb): its own BPF object, loaded, sized
// and attached here, and its state as a probe (nfct_probe_up and the other probe series
// under the name `drop:skb:kfree_skb`).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "counting_table.h"
#include "probe_manager.h"

struct drop_bpf;
struct bpf_link;

namespace nfct {

// The probe as it appears in the `probe` label.
Probe drop_probe();

class DropProgram {
 public:
  // Opens, sizes (max_entries, as the counter map; `slots` for its counting table, 0 =
  // none) and loads the object, sharing the
  // counter map's overflow map (overflow_fd); then attaches it unless `attach` is false
  // (--config.check). Never throws for a kernel that lacks what the probe needs: the
  // program is then not loaded and state() says why. `tracepoint_probes`: how many
  // tracepoint probes the config has; with the most the config allows, the probe index
  // the drop probe would use is taken (bpf/drop.h) and the probe is refused.
  DropProgram(uint32_t max_entries, uint32_t slots, int overflow_fd, size_t tracepoint_probes, bool attach);
  ~DropProgram();
  DropProgram(const DropProgram&) = delete;
  DropProgram& operator=(const DropProgram&) = delete;

  bool loaded() const { return skel_ != nullptr; }
  bool attached() const { return link_ != nullptr; }
  const std::string& error() const { return error_; }
  int drops_fd() const;  // -1 when not loaded
  // The counting table, mapped read-only; null when not loaded or drops.slots is 0.
  const SlotTableView* table() const { return table_ ? &table_->view() : nullptr; }
  // For the probe manager's status: up when attached, one attach error otherwise.
  ProbeState state() const;
  // Detaches (closes the link); the maps stay readable.
  void detach();

 private:
  struct SkelDeleter {
    void operator()(drop_bpf* s) const;
  };
  struct LinkDeleter {
    void operator()(bpf_link* l) const;
  };
  std::unique_ptr<drop_bpf, SkelDeleter> skel_;
  std::unique_ptr<CountingTable> table_;
  std::unique_ptr<bpf_link, LinkDeleter> link_;
  std::string error_;
};

}  // namespace nfct
