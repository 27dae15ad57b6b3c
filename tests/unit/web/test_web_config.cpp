// --web.config.file: parsing and validation (exporter/web_config.h) and the start-up check
// of the TLS files (exporter/tls_context.h). No root needed.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <variant>
#include <string>
#include <string_view>

#include "cli.h"
#include "tls_context.h"
#include "web_config.h"

using nfct::ClientAuth;
using nfct::ConfigError;
using nfct::parse_web_config;
using nfct::WebConfig;

namespace {

// A syntactically valid bcrypt hash (of "secret", cost 4).
constexpr const char* kHash = "$2b$04$S.PRq0znnqOMNuHzpx.vqe6KZVt3OPZJytdwteZJa/pRgpBq37KfK";

std::string web_error(std::string_view yaml) {
  try {
    parse_web_config(yaml, "web.yml", "/etc/nfct");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/nfct_webcfg_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = path + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
};

// A self-signed P-256 certificate and its key, written as PEM files into `dir`.
void make_cert(const TempDir& dir, const std::string& cert_name, const std::string& key_name) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  REQUIRE(X509_sign(x.get(), key.get(), EVP_sha256()) > 0);
  FILE* f = std::fopen((dir.path + "/" + cert_name).c_str(), "w");
  REQUIRE(f);
  PEM_write_X509(f, x.get());
  std::fclose(f);
  f = std::fopen((dir.path + "/" + key_name).c_str(), "w");
  REQUIRE(f);
  PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

std::string tls_error(const nfct::TlsServerConfig& t) {
  try {
    nfct::check_tls_files(t, "web.yml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("web config: an empty file is plain HTTP without users") {
  WebConfig c = parse_web_config("", "web.yml", "/etc/nfct");
  CHECK_FALSE(c.tls);
  CHECK_FALSE(c.basic_auth());
}

TEST_CASE("web config: the exporter-toolkit keys") {
  WebConfig c = parse_web_config(std::string(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS13
http_server_config:
  http2: false
basic_auth_users:
  alice: ")") + kHash + R"("
  bob: ')" + kHash + R"('
unauthenticated_paths: [/healthz]
)", "web.yml", "/etc/nfct");
  REQUIRE(c.tls);
  CHECK(c.tls->cert_file == "/etc/nfct/server.crt");  // relative to the file's directory
  CHECK(c.tls->key_file == "/abs/server.key");
  CHECK(c.tls->client_ca_file == "/etc/nfct/ca.crt");
  CHECK(c.tls->client_auth == ClientAuth::RequireAndVerifyClientCert);
  CHECK(c.tls->min_version == 0x0304);
  CHECK(c.basic_auth_users.size() == 2);
  CHECK(c.basic_auth_users.at("bob") == kHash);
  CHECK(c.unauthenticated_paths == std::vector<std::string>{"/healthz"});
}

TEST_CASE("web config: TLS defaults and an empty tls_server_config") {
  WebConfig c = parse_web_config("tls_server_config:\n  cert_file: a\n  key_file: b\n", "web.yml", "");
  REQUIRE(c.tls);
  CHECK(c.tls->client_auth == ClientAuth::NoClientCert);
  CHECK(c.tls->min_version == 0x0303);  // TLS 1.2, as exporter-toolkit
  CHECK(c.tls->max_version == 0);
  CHECK(c.tls->cert_file == "a");
  CHECK_FALSE(parse_web_config("tls_server_config: {}\n", "web.yml", "").tls);
}

TEST_CASE("web config: errors name the file, line, column and key") {
  struct Case {
    const char* yaml;
    const char* where;
    const char* what;
  } cases[] = {
      {"tls_server_config:\n  cert_file: a\n", "web.yml:1:1: ", "tls_server_config.key_file: missing"},
      {"tls_server_config:\n  key_file: a\n", "web.yml:1:1: ", "tls_server_config.cert_file: missing"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Sometimes\n", "web.yml:4:21: ",
       "client_auth_type: 'Sometimes' is not one of"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n", "web.yml:4:16: ",
       "min_version: 'TLS14'"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n",
       "web.yml:1:1: ", "max_version is lower than min_version"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n", "web.yml:4:3: ",
       "client_ca_file: set, but client_auth_type"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n",
       "web.yml:1:1: ", "client_ca_file: missing"},
      {"tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [x]\n", "web.yml:4:3: ",
       "tls_server_config.cipher_suites: not supported"},
      {"tls_server_config:\n  cert_file: a\n  keyfile: b\n", "web.yml:3:3: ", "unknown tls_server_config key 'keyfile'"},
      {"tls_server_config:\n  cert_file:\n  key_file: b\n", "web.yml:2:3: ", "tls_server_config.cert_file: expected a value"},
      {"tls_server_config: yes\n", "web.yml:1:20: ", "tls_server_config: expected a mapping"},
      {"basic_auth_users:\n  alice: plain\n", "web.yml:2:10: ", "basic_auth_users.alice: not a bcrypt hash"},
      {"basic_auth_users:\n  alice: $1$abc$abcdefgh\n", "web.yml:2:10: ", "basic_auth_users.alice: not a bcrypt hash"},
      {"basic_auth_users:\n  \"a:b\": x\n", "web.yml:2:3: ", "contains ':'"},
      {"basic_auth_users:\n  alice:\n", "web.yml:2:3: ", "basic_auth_users.alice: expected a value"},
      {"basic_auth_users: [alice]\n", "web.yml:1:19: ", "basic_auth_users: expected a mapping"},
      {"basic_auth_user:\n  alice: x\n", "web.yml:1:1: ", "unknown top-level key 'basic_auth_user'"},
      {"unauthenticated_paths: [/healthz]\n", "web.yml:1:1: ", "without basic_auth_users"},
      {"http_server_config:\n  headers: {X-Frame-Options: deny}\n", "web.yml:2:3: ",
       "http_server_config.headers: not supported"},
      {"http_server_config:\n  http2: maybe\n", "web.yml:2:10: ", "http2: expected true or false"},
      {"tls_server_config: [\n", "web.yml:", ""},
  };
  for (const auto& c : cases) {
    CAPTURE(c.yaml);
    const std::string e = web_error(c.yaml);
    CHECK(contains(e, std::string("web config ") + c.where));
    CHECK(contains(e, c.what));
  }
  CHECK(contains(web_error(std::string("basic_auth_users:\n  a: '") + kHash + "'\nunauthenticated_paths: [healthz]\n"),
                 "web.yml:3:25: unauthenticated_paths: 'healthz' is not a path"));
  CHECK(contains(web_error(std::string("basic_auth_users:\n  a: '") + kHash + "'\n  a: '" + kHash + "'\n"), "web.yml:"));
}

TEST_CASE("web config: bcrypt hash forms") {
  CHECK(nfct::validate_bcrypt_hash(kHash));
  std::string y = kHash;
  y[2] = 'y';
  CHECK(nfct::validate_bcrypt_hash(y));  // htpasswd -B writes $2y$
  y[2] = 'x';
  CHECK_FALSE(nfct::validate_bcrypt_hash(y));
  std::string cost = kHash;
  cost[4] = '3';
  cost[5] = '2';
  CHECK(contains(nfct::validate_bcrypt_hash(cost).error(), "cost 32"));
  std::string bad = kHash;
  bad[20] = '!';
  CHECK(contains(nfct::validate_bcrypt_hash(bad).error(), "alphabet"));
  CHECK_FALSE(nfct::validate_bcrypt_hash(std::string(kHash).substr(0, 59)));
}

TEST_CASE("web config: files") {
  TempDir d;
  const std::string missing = d.path + "/nope.yml";
  std::string e;
  try {
    nfct::load_web_config_file(missing);
  } catch (const ConfigError& ex) {
    e = ex.what();
  }
  CHECK(contains(e, "web config " + missing + ": cannot open: No such file"));
  const std::string p = d.write("web.yml", "tls_server_config:\n  cert_file: tls/c.pem\n  key_file: k.pem\n");
  WebConfig c = nfct::load_web_config_file(p);
  CHECK(c.source == p);
  CHECK(c.tls->cert_file == d.path + "/tls/c.pem");
}

TEST_CASE("TLS files: a usable pair passes; missing, garbage and mismatched files are named") {
  TempDir d;
  make_cert(d, "a.crt", "a.key");
  make_cert(d, "b.crt", "b.key");
  d.write("garbage.pem", "not a certificate\n");
  nfct::TlsServerConfig t;
  t.cert_file = d.path + "/a.crt";
  t.key_file = d.path + "/a.key";
  CHECK(tls_error(t) == "");

  auto with = [&](auto change) {
    nfct::TlsServerConfig c = t;
    change(c);
    return tls_error(c);
  };
  CHECK(contains(with([&](auto& c) { c.cert_file = d.path + "/none.crt"; }),
                 "web config web.yml: tls_server_config.cert_file " + d.path + "/none.crt: cannot open: No such file"));
  CHECK(contains(with([&](auto& c) { c.key_file = d.path + "/none.key"; }),
                 "tls_server_config.key_file " + d.path + "/none.key: cannot open"));
  CHECK(contains(with([&](auto& c) { c.cert_file = d.path + "/garbage.pem"; }),
                 "tls_server_config.cert_file " + d.path + "/garbage.pem: not a usable PEM certificate"));
  CHECK(contains(with([&](auto& c) { c.key_file = d.path + "/garbage.pem"; }),
                 "tls_server_config.key_file " + d.path + "/garbage.pem: not a usable PEM private key"));
  CHECK(contains(with([&](auto& c) { c.key_file = d.path + "/b.key"; }), "does not match cert_file"));
  CHECK(contains(with([&](auto& c) {
                   c.client_auth = ClientAuth::RequireAndVerifyClientCert;
                   c.client_ca_file = d.path + "/garbage.pem";
                 }),
                 "tls_server_config.client_ca_file " + d.path + "/garbage.pem: no usable PEM CA certificate"));
  CHECK(with([&](auto& c) {
          c.client_auth = ClientAuth::RequireAndVerifyClientCert;
          c.client_ca_file = d.path + "/b.crt";
        }) == "");
}

TEST_CASE("--web.config.file: both flag forms, off when absent, listed in --help") {
  auto parse = [](std::vector<const char*> argv, std::string* out_text = nullptr) {
    argv.insert(argv.begin(), "nfct_exporter");
    std::ostringstream out, err;
    auto r = nfct::parse_cli(static_cast<int>(argv.size()), argv.data(), out, err);
    if (out_text) *out_text = out.str();
    return r;
  };
  auto r = parse({"--web.config.file=/etc/web.yml"});
  REQUIRE(std::holds_alternative<nfct::CliOptions>(r));
  CHECK(std::get<nfct::CliOptions>(r).web_config_file == std::optional<std::string>("/etc/web.yml"));
  r = parse({"--web.config.file", "w.yml"});
  CHECK(std::get<nfct::CliOptions>(r).web_config_file == std::optional<std::string>("w.yml"));
  r = parse({});
  CHECK_FALSE(std::get<nfct::CliOptions>(r).web_config_file);
  std::string help;
  r = parse({"--help"}, &help);
  CHECK(std::holds_alternative<int>(r));
  CHECK(contains(help, "--web.config.file"));
  CHECK(contains(help, "/healthz"));
}
