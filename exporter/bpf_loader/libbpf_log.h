// libbpf's messages go to the exporter's log (spdlog): warnings as warnings, the rest at debug.
#pragma once

namespace nfct {

// Call once, after init_logging().
void route_libbpf_log();

}  // namespace nfct
