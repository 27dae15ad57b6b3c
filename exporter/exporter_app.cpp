#include "exporter_app.h"

#include <bpf/libbpf.h>
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>

#include <iostream>

#include "cli.h"
#include "config.h"
#include "conntrack_collector.h"
#include "counter_programs.h"
#include "counter_reader.h"
#include "drop_collector.h"
#include "drop_probe.h"
#include "error.h"
#include "event_consumer.h"
#include "event_store.h"
#include "events_collector.h"
#include "events_handler.h"
#include "fault_collector.h"
#include "http_server.h"
#include "libbpf_log.h"
#include "log.h"
#include "metric_families.h"
#include "netns_info_collector.h"
#include "netns_scan.h"
#include "netns_sockets.h"
#include "preflight.h"
#include "probe_manager.h"
#include "table_collector.h"
#include "tracepoint_check.h"
#include "version.h"
#include "web_security.h"
#include "zone_collector.h"
#include "zone_dumper.h"

namespace nfct {
namespace {

template <class T>
T flag_value(const char* flag, Expected<T> v) {
  if (!v) throw FatalError(std::string(flag) + ": " + v.error());
  return std::move(v.value());
}

Config load_effective_config(const CliOptions& cli) {
  Config cfg;
  struct stat st {};
  if (cli.config_file_given || ::stat(cli.config_file.c_str(), &st) == 0) {
    cfg = load_config_file(cli.config_file);
  } else {
    std::cerr << "nfct_exporter: " << cli.config_file << " not found, using the built-in defaults\n";
  }
  if (cli.listen_address)
    cfg.listen_address = flag_value("--web.listen-address", parse_listen_address(*cli.listen_address)).text;
  if (cli.telemetry_path)
    cfg.telemetry_path = flag_value("--web.telemetry-path", validate_telemetry_path(*cli.telemetry_path));
  if (cli.log_level) cfg.log_level = flag_value("--log.level", validate_log_level(*cli.log_level));
  return cfg;
}

bool has_tracepoints(const Config& cfg) {
  for (const auto& p : cfg.probes)
    if (p.kind == Probe::Kind::Tracepoint) return true;
  return false;
}

size_t tracepoint_count(const Config& cfg) {
  size_t n = 0;
  for (const auto& p : cfg.probes) n += p.kind == Probe::Kind::Tracepoint;
  return n;
}

// --config.check: everything short of attaching.
int check_config(const Config& cfg, const CliOptions& cli, const CounterPrograms& programs,
                 const DropProgram* drops) {
  std::cout << "config " << (cli.config_file_given ? cli.config_file : std::string("(defaults)"))
            << ": valid\n";
  NetnsMap netns = cfg.netns.all ? scan_all_netns() : resolve_netns_list(cfg.netns.entries);
  int usable = 0;
  for (const auto& p : cfg.probes) {
    if (p.kind == Probe::Kind::Tracepoint) {
      std::optional<std::string> why;
      if (programs.tp_prog_fd() < 0) why = programs.tracepoint_error();
      if (!why) why = check_skb_tracepoint(p);
      if (why) {
        std::cout << "probe " << p.name() << ": cannot attach: " << *why << "\n";
      } else {
        std::cout << "probe " << p.name() << ": would attach (all network namespaces)\n";
        usable++;
      }
      continue;
    }
    std::cout << "probe " << p.name() << ": would attach in " << netns.size() << " network namespace"
              << (netns.size() == 1 ? "" : "s");
    for (const auto& [ino, path] : netns) std::cout << " " << ino;
    std::cout << "\n";
    usable += !netns.empty() || cfg.netns.all;
  }
  if (drops) {
    if (drops->loaded()) {
      // Not counted in `usable`: the drop probe alone does not keep the exporter up.
      std::cout << "probe " << drop_probe().name() << ": would attach (all network namespaces)\n";
    } else {
      std::cout << "probe " << drop_probe().name() << ": cannot attach: " << drops->error() << "\n";
    }
  } else {
    std::cout << "probe " << drop_probe().name() << ": off (drops.enabled: false)\n";
  }
  if (cfg.slots) {
    const int ncpus = libbpf_num_possible_cpus();
    std::cout << "counting table: " << cfg.slots << " slots, "
              << (table_bytes(cfg.slots, ncpus > 0 ? ncpus : 1) + 1023) / 1024 << " KiB with " << ncpus
              << " possible CPUs\n";
  } else {
    std::cout << "counting table: off\n";
  }
  std::cout << "events: " << (cfg.events.sample_rate ? "one tracked packet in " + std::to_string(cfg.events.sample_rate)
                                                     : std::string("off"))
            << "\n";
  std::cout << "table statistics: "
            << (cfg.table_stats.enabled ? std::string("read on every scrape") + (cfg.table_stats.per_cpu ? ", per CPU" : "")
                                        : std::string("off"))
            << "\n";
  std::cout << "zone entries: "
            << (cfg.zone_entries.enabled
                    ? "dumped every " + std::to_string(cfg.zone_entries.interval.count()) + "ms"
                    : std::string("off"))
            << "\n";
  std::cout << "listen address " << cfg.listen_address << ", metrics at " << cfg.telemetry_path << "\n";
  if (!usable) {
    std::cout << "no probe can attach\n";
    return 1;
  }
  return 0;
}

// SIGTERM and SIGINT are blocked in every thread and taken with sigwait() in main.
sigset_t block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

}  // namespace

int run_exporter(int argc, char** argv) {
  // Few malloc pools: the HTTP workers' scrapes then reuse the same memory instead of
  // each thread keeping its own high-water mark (measured: 581 MiB -> 44 MiB resident at
  // 20 000 series with 32 workers).
  mallopt(M_ARENA_MAX, 2);
  const sigset_t shutdown = block_shutdown_signals();
  auto parsed = parse_cli(argc, argv, std::cout, std::cerr);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  const CliOptions& cli = std::get<CliOptions>(parsed);

  Config cfg = load_effective_config(cli);
  const ListenAddress address = flag_value("web.listen_address", parse_listen_address(cfg.listen_address));
  init_logging(cfg.log_level);
  route_libbpf_log();
  // The web config is checked before any BPF is loaded: a bad file stops nothing half-started.
  std::unique_ptr<WebSecurity> security;
  if (cli.web_config_file) security = std::make_unique<WebSecurity>(load_web_config_file(*cli.web_config_file));
  preflight(cfg);  // kernel BTF and capabilities, named when missing; drops the others

  CounterPrograms programs({cfg.max_entries, cfg.slots, has_tracepoints(cfg), cfg.events.sample_rate,
                            cfg.events.ring_buffer_size});
  // The drop probe: its own BPF object, sharing the counter map's overflow map.
  std::unique_ptr<DropProgram> drop_program;
  if (cfg.drops.enabled)
    drop_program = std::make_unique<DropProgram>(cfg.max_entries, cfg.drops.slots, programs.overflow_fd(),
                                                 tracepoint_count(cfg),
                                                 /*attach=*/!cli.check);
  if (cli.check) {
    if (security)
      std::cout << "web config " << *cli.web_config_file << ": valid ("
                << (security->tls() ? "TLS" : "plain HTTP") << ", "
                << security->config().basic_auth_users.size() << " basic auth users)\n";
    return check_config(cfg, cli, programs, drop_program.get());
  }

  // The counting table, mapped read-only for the reader (which must not outlive it).
  std::unique_ptr<CountingTable> table;
  if (cfg.slots)
    table = std::make_unique<CountingTable>(programs.slot_keys_fd(), programs.slot_counts_fd(), cfg.slots,
                                            libbpf_num_possible_cpus());
  CounterReader reader(programs.counters_fd(), programs.overflow_fd(), table ? &table->view() : nullptr);
  std::unique_ptr<DropReader> drop_reader;
  std::unique_ptr<DropCollector> drop_collector;
  if (drop_program && drop_program->attached()) {
    auto reasons = DropReasons::from_kernel();
    if (!reasons) spdlog::warn("drop reasons are shown by number: {}", reasons.error());
    drop_reader = std::make_unique<DropReader>(drop_program->drops_fd(), drop_program->table());
    drop_collector = std::make_unique<DropCollector>(*drop_reader, reasons ? std::move(*reasons) : DropReasons{},
                                                     cfg.max_entries);
  } else if (drop_program) {
    spdlog::warn("probe {} cannot attach: {}", drop_probe().name(), drop_program->error());
  }
  // ctnetlink sockets, one per covered namespace: for the scrapes, and separate ones for
  // the background dumps so that a long dump never holds up a scrape.
  NetnsSockets table_sockets, zone_sockets;
  std::unique_ptr<ZoneDumper> zone_dumper;
  ProbeManager manager(programs, cfg.probes, cfg.netns, [&](uint64_t netns) {
    size_t n = reader.purge_netns(static_cast<uint32_t>(netns));
    spdlog::debug("netns {}: removed {} counter entries", netns, n);
    if (drop_reader) drop_reader->purge_netns(static_cast<uint32_t>(netns));
    table_sockets.forget(netns);
    zone_sockets.forget(netns);
    if (zone_dumper) zone_dumper->forget(netns);
  });
  manager.attach_tracepoints();
  if (drop_program) manager.add_probe(drop_program->state());
  // Still on the only thread: every thread made from here on inherits the reduced set.
  drop_startup_capabilities(cfg);
  manager.rescan();
  if (!manager.any_attached())
    throw FatalError("no probe could be attached (see the warnings above)");

  EventStore store(cfg.events.store_size);
  std::unique_ptr<EventConsumer> consumer;
  if (cfg.events.sample_rate) {
    consumer = std::make_unique<EventConsumer>(programs.events_fd(), store, manager.probe_names());
    consumer->start();
  }
  EventsHandler events_handler(store, max_followers(cfg.max_connections), cfg.events.sample_rate);

  auto collector = std::make_shared<ConntrackCollector>(reader, manager, cfg.max_entries, drop_collector.get());
  auto events_collector =
      std::make_shared<EventsCollector>(programs.sampler_fd(), cfg.events.sample_rate, store, consumer.get());
  auto build_info = std::make_shared<StaticFamilies>(build_info_family(
      kVersion, kRevision,
      std::to_string(libbpf_major_version()) + "." + std::to_string(libbpf_minor_version())));
  auto netns_info = std::make_shared<NetnsInfoCollector>([&manager] { return manager.netns_identities(); });
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables{collector, events_collector, build_info,
                                                                     netns_info};
  auto covered = [&manager] { return manager.selected_netns(); };
  if (cfg.table_stats.enabled)
    collectables.push_back(std::make_shared<TableCollector>(
        covered, table_sockets, TableCollector::Options{cfg.table_stats.per_cpu, cfg.table_stats.timeout}));
  if (cfg.zone_entries.enabled) {
    zone_dumper = std::make_unique<ZoneDumper>(
        covered, zone_sockets,
        ZoneDumper::Options{cfg.zone_entries.interval, cfg.zone_entries.timeout, cfg.zone_entries.max_series});
    collectables.push_back(std::make_shared<ZoneCollector>(*zone_dumper));
  }
  // After the table statistics: a scrape's fault counts include that scrape's reads.
  collectables.push_back(std::make_shared<FaultCollector>());
  if (security && security->collectable()) collectables.push_back(security->collectable());
  HttpOptions http_opts{address, cfg.telemetry_path,
                        {cfg.max_connections, cfg.max_connections_per_client}, cfg.header_timeout, security.get()};
  HttpServer http(http_opts, collectables, [&manager] { return manager.any_attached(); });
  http.add_handler("/events", &events_handler);
  manager.start(cfg.netns_rescan_interval);
  if (zone_dumper) zone_dumper->start();
  spdlog::info("{} listening on {} ({}{}), metrics at {}", version_string(), address.text,
               security && security->tls() ? "HTTPS" : "HTTP",
               security && security->config().basic_auth() ? ", basic auth" : "", cfg.telemetry_path);

  int sig = 0;
  sigwait(&shutdown, &sig);
  spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  events_handler.stop();  // ends follow streams so that the HTTP server can close
  if (zone_dumper) zone_dumper->stop();
  manager.stop();         // closes every link before the programs and maps go
  if (drop_program) drop_program->detach();
  if (consumer) consumer->stop();
  return 0;
}

}  // namespace nfct
