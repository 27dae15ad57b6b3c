// Command-line flags (exporter/cli.h) and --web.listen-address (exporter/listen_address.h).
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "cli.h"
#include "config.h"
#include "listen_address.h"
#include "version.h"

using nfct::CliOptions;

namespace {

struct CliRun {
  std::variant<CliOptions, int> result;
  std::string out;
  std::string err;
  bool ok() const { return std::holds_alternative<CliOptions>(result); }
  const CliOptions& options() const { return std::get<CliOptions>(result); }
  int code() const { return std::get<int>(result); }
};

CliRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "nfct_exporter");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::ostringstream out, err;
  auto r = nfct::parse_cli(static_cast<int>(args.size()), argv.data(), out, err);
  return {std::move(r), out.str(), err.str()};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_SUITE("cli") {

TEST_CASE("no flags: the defaults") {
  CliRun r = run({});
  REQUIRE(r.ok());
  const CliOptions& o = r.options();
  CHECK(o.config_file == "config/nfct_exporter.yaml");
  CHECK_FALSE(o.config_file_given);
  CHECK_FALSE(o.listen_address.has_value());
  CHECK_FALSE(o.telemetry_path.has_value());
  CHECK_FALSE(o.log_level.has_value());
  CHECK_FALSE(o.check);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("every flag in both forms") {
  struct Form {
    const char* name;
    std::vector<std::string> (*args)(const std::string& flag, const std::string& value);
  };
  const Form forms[] = {
      {"--name=value", [](const std::string& f, const std::string& v) { return std::vector<std::string>{f + "=" + v}; }},
      {"--name value", [](const std::string& f, const std::string& v) { return std::vector<std::string>{f, v}; }},
  };
  for (const auto& form : forms) {
    CAPTURE(form.name);

    CliRun r = run(form.args("--config.file", "/etc/nfct/x.yaml"));
    REQUIRE(r.ok());
    CHECK(r.options().config_file == "/etc/nfct/x.yaml");
    CHECK(r.options().config_file_given);

    r = run(form.args("--web.listen-address", "127.0.0.1:9100"));
    REQUIRE(r.ok());
    CHECK(r.options().listen_address == "127.0.0.1:9100");
    CHECK_FALSE(r.options().config_file_given);

    r = run(form.args("--web.listen-address", ":9200"));
    REQUIRE(r.ok());
    CHECK(r.options().listen_address == ":9200");

    r = run(form.args("--web.telemetry-path", "/prom"));
    REQUIRE(r.ok());
    CHECK(r.options().telemetry_path == "/prom");

    r = run(form.args("--log.level", "debug"));
    REQUIRE(r.ok());
    CHECK(r.options().log_level == "debug");
    CHECK_FALSE(r.options().listen_address.has_value());
  }
}

TEST_CASE("all flags together") {
  CliRun r = run({"--config.file", "a.yaml", "--web.listen-address=localhost:9300", "--web.telemetry-path",
                  "/m", "--log.level=warn", "--config.check"});
  REQUIRE(r.ok());
  const CliOptions& o = r.options();
  CHECK(o.config_file == "a.yaml");
  CHECK(o.config_file_given);
  CHECK(o.listen_address == "localhost:9300");
  CHECK(o.telemetry_path == "/m");
  CHECK(o.log_level == "warn");
  CHECK(o.check);
}

TEST_CASE("--config.check") {
  CliRun r = run({"--config.check"});
  REQUIRE(r.ok());
  CHECK(r.options().check);
  CHECK_FALSE(r.options().config_file_given);

  r = run({"--config.check", "--config.file=/tmp/x.yaml"});
  REQUIRE(r.ok());
  CHECK(r.options().check);
  CHECK(r.options().config_file == "/tmp/x.yaml");
}

TEST_CASE("--help prints every flag and exits 0") {
  CliRun r = run({"--help"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == 0);
  for (const char* flag : {"--config.file", "--web.listen-address", "--web.telemetry-path", "--config.check",
                           "--log.level", "--version", "--help"}) {
    CAPTURE(flag);
    CHECK(contains(r.out, flag));
  }
  CHECK(r.err.empty());

  r = run({"-h"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == 0);
  CHECK(contains(r.out, "--config.file"));

  // --help wins over other flags.
  r = run({"--log.level=debug", "--help"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == 0);
}

TEST_CASE("--version prints the version and exits 0") {
  CliRun r = run({"--version"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == 0);
  CHECK(contains(r.out, nfct::version_string()));
  CHECK(contains(r.out, nfct::kVersion));
  CHECK(r.err.empty());

  const std::string v = nfct::version_string();
  CHECK(v.rfind("nfct_exporter ", 0) == 0);
  CHECK(contains(v, nfct::kVersion));
  CHECK(contains(v, nfct::kRevision));
}

TEST_CASE("an unknown flag exits non-zero and names the flag") {
  for (const char* bad : {"--bogus", "--web.listen_address=:9100", "--config-file=x", "--log.level2=x"}) {
    CAPTURE(bad);
    CliRun r = run({bad});
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() != 0);
    const std::string flag = std::string(bad).substr(0, std::string(bad).find('='));
    CHECK(contains(r.err, flag));
    CHECK(r.out.empty());
  }
  CliRun r = run({"stray"});
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() != 0);
  CHECK(contains(r.err, "stray"));
}

TEST_CASE("a flag missing its value exits non-zero and names the flag") {
  for (const char* flag : {"--config.file", "--web.listen-address", "--web.telemetry-path", "--log.level"}) {
    CAPTURE(flag);
    CliRun r = run({flag});
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() != 0);
    CHECK(contains(r.err, flag));
  }
}

}  // TEST_SUITE

TEST_SUITE("listen address") {

TEST_CASE(":PORT listens on every IPv4 address") {
  auto a = nfct::parse_listen_address(":9747");
  REQUIRE(a.has_value());
  CHECK(a->text == ":9747");
  CHECK(a->host == "0.0.0.0");
  CHECK(a->port == 9747);
  CHECK(a->civetweb_port() == "0.0.0.0:9747");
}

TEST_CASE("IPV4:PORT and localhost:PORT") {
  auto a = nfct::parse_listen_address("127.0.0.1:80");
  REQUIRE(a.has_value());
  CHECK(a->text == "127.0.0.1:80");
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 80);
  CHECK(a->civetweb_port() == "127.0.0.1:80");

  auto l = nfct::parse_listen_address("localhost:1");
  REQUIRE(l.has_value());
  CHECK(l->text == "localhost:1");
  CHECK(l->host == "127.0.0.1");
  CHECK(l->port == 1);

  auto hi = nfct::parse_listen_address("0.0.0.0:65535");
  REQUIRE(hi.has_value());
  CHECK(hi->port == 65535);

  // The default: a port in the 9xxx range.
  auto d = nfct::parse_listen_address(nfct::kDefaultListenAddress);
  REQUIRE(d.has_value());
  CHECK(d->host == "0.0.0.0");
  CHECK(d->port == 9747);
}

TEST_CASE("listen address errors name the address and the reason") {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"[::]:80", "IPv6"},
      {"[::1]:9747", "IPv6"},
      {"1.2.3.4", "HOST:PORT"},
      {"", "HOST:PORT"},
      {"1.2.3.4:0", "port"},
      {"1.2.3.4:65536", "port"},
      {"1.2.3.4:99999999999", "port"},
      {"1.2.3.4:", "port"},
      {"1.2.3.4:http", "port"},
      {"1.2.3.4:-1", "port"},
      {"1.2.3.4:80x", "port"},
      {":", "port"},
      {"host:80", "IPv4"},
      {"999.1.1.1:80", "IPv4"},
      {"1.2.3:80", "IPv4"},
      {"::80", "IPv4"},
      {"::1:80", "IPv4"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto a = nfct::parse_listen_address(c.text);
    REQUIRE_FALSE(a.has_value());
    CHECK(contains(a.error(), std::string("'") + c.text + "'"));
    CHECK(contains(a.error(), c.reason));
  }
}

}  // TEST_SUITE
