// Checks made before any BPF is loaded (kernel BTF, capabilities), so that a container
// without /sys or without a capability gets a message naming what is missing rather than
// an errno from deep inside libbpf; and the capability drop once start-up is done.
#pragma once

#include "config.h"

namespace nfct {

// Throws FatalError when something every configuration needs is missing. An optional
// feature whose capability is missing (table statistics, zone entries) is turned off in
// `cfg` with a warning naming the capability. Then drops every capability that the
// start-up does not need.
void preflight(Config& cfg);

// After the programs are loaded and the tracepoints attached, on the main thread before
// any long-lived thread starts: keeps only what the running exporter needs.
void drop_startup_capabilities(const Config& cfg);

}  // namespace nfct
