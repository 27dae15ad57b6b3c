// The exporter's life cycle: flags, config, BPF, probes, HTTP, signals, teardown.
#pragma once

namespace nfct {

// Returns the process exit code; throws FatalError for start-up failures.
int run_exporter(int argc, char** argv);

}  // namespace nfct
