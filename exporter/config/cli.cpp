#include "cli.h"

#include <CLI/CLI.hpp>

#include "version.h"

namespace nfct {

std::string version_string() {
  return std::string("nfct_exporter ") + kVersion + " (revision " + kRevision + ")";
}

std::variant<CliOptions, int> parse_cli(int argc, const char* const* argv, std::ostream& out,
                                        std::ostream& err) {
  CliOptions o;
  std::string listen, path, level, web_config;
  CLI::App app{"nfct_exporter: a Prometheus exporter for Linux netfilter conntrack, counted in BPF.",
               "nfct_exporter"};
  app.get_formatter()->column_width(34);
  app.add_option("--config.file", o.config_file, "YAML config file")
      ->default_str(kDefaultConfigFile)->type_name("PATH");
  app.add_option("--web.listen-address", listen, "HOST:PORT to serve HTTP on (default 0.0.0.0:9747)")
      ->type_name("HOST:PORT");
  app.add_option("--web.telemetry-path", path, "path of the metrics (default /metrics)")->type_name("PATH");
  app.add_option("--web.config.file", web_config,
                 "web config file for TLS and basic auth (exporter-toolkit format; default: plain HTTP)")
      ->type_name("PATH");
  app.add_flag("--config.check", o.check,
               "validate the config, check kernel support for the probes, print the plan, exit");
  app.add_option("--log.level", level, "log verbosity: debug, info, warn or error (default info)")
      ->type_name("LEVEL");
  app.set_version_flag("--version", version_string(), "print the version and exit");
  app.footer("Endpoints: the metrics path (default /metrics), /events, /healthz (200 while a probe is "
             "attached, else 503) and / (landing page).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e, out, err);
  }
  o.config_file_given = app.count("--config.file") > 0;
  if (app.count("--web.listen-address")) o.listen_address = listen;
  if (app.count("--web.telemetry-path")) o.telemetry_path = path;
  if (app.count("--log.level")) o.log_level = level;
  if (app.count("--web.config.file")) o.web_config_file = web_config;
  return o;
}

}  // namespace nfct
