// Command-line flags (Prometheus exporter conventions; `--name=value` or `--name value`).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <variant>

namespace nfct {

inline constexpr const char* kDefaultConfigFile = "config/nfct_exporter.yaml";

struct CliOptions {
  std::string config_file = kDefaultConfigFile;
  bool config_file_given = false;
  std::optional<std::string> listen_address;
  std::optional<std::string> telemetry_path;
  std::optional<std::string> log_level;
  std::optional<std::string> web_config_file;  // TLS and basic auth (exporter-toolkit format)
  bool check = false;
};

// The options, or the exit code when the program should stop now (--help, --version,
// a bad flag; the message has been written to `out` or `err`).
std::variant<CliOptions, int> parse_cli(int argc, const char* const* argv, std::ostream& out,
                                        std::ostream& err);

std::string version_string();

}  // namespace nfct
