// The YAML config loader: any text is a Config or a ConfigError, never another exception,
// a crash or a hang; what it accepts is valid by the same rules the command line applies.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config.h"
#include "fuzz_check.h"
#include "listen_address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  try {
    nfct::Config cfg = nfct::parse_config(yaml, "fuzz.yaml");
    FUZZ_CHECK(nfct::parse_listen_address(cfg.listen_address).has_value());
    FUZZ_CHECK(nfct::validate_telemetry_path(cfg.telemetry_path).has_value());
    FUZZ_CHECK(nfct::validate_log_level(cfg.log_level).has_value());
    FUZZ_CHECK(!cfg.probes.empty());
    for (const auto& p : cfg.probes) {
      auto again = nfct::parse_probe(p.name());
      FUZZ_CHECK(again && *again == p);
    }
  } catch (const nfct::ConfigError&) {
    // The documented way to refuse a config. Any other exception escapes and aborts.
  }
  return 0;
}
