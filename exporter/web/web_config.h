// `--web.config.file`: TLS and basic auth in the format shared by the Prometheus exporters
// (exporter-toolkit, as node_exporter reads it). Off when the flag is not given.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"

namespace nfct {

// tls_server_config.client_auth_type, named as in Go's crypto/tls.
enum class ClientAuth {
  NoClientCert,                // no certificate asked for
  RequestClientCert,           // asked for, not required, not verified
  RequireAnyClientCert,        // required, not verified
  VerifyClientCertIfGiven,     // verified against client_ca_file when sent
  RequireAndVerifyClientCert,  // required and verified (mutual TLS)
};

struct TlsServerConfig {
  std::string cert_file;  // PEM certificate (chain); relative paths are relative to the web config file
  std::string key_file;   // PEM private key
  ClientAuth client_auth = ClientAuth::NoClientCert;
  std::string client_ca_file;  // PEM CA bundle for client certificates
  int min_version = 0x0303;    // TLS 1.2 (OpenSSL's TLS1_2_VERSION), the exporter-toolkit default
  int max_version = 0;         // 0: the newest the library has
};

struct WebConfig {
  std::string source;                  // the file, for messages
  std::optional<TlsServerConfig> tls;  // absent: plain HTTP
  std::map<std::string, std::string> basic_auth_users;  // user -> bcrypt hash
  // nfct_exporter's addition to the format: exact paths served without basic auth (e.g.
  // /healthz for a kubelet probe). Everything else needs a user when users are configured.
  std::vector<std::string> unauthenticated_paths;

  bool basic_auth() const { return !basic_auth_users.empty(); }
};

// Parses the YAML text; `source` names it in messages. Relative file names are resolved
// against `base_dir`. Throws ConfigError naming source:line:column and the key. Checks the
// content only: whether the certificate files can be used is checked by TlsContext.
WebConfig parse_web_config(std::string_view yaml, const std::string& source, const std::string& base_dir);
// Reads and parses a file. Throws ConfigError.
WebConfig load_web_config_file(const std::string& path);

// The bcrypt hash's form ($2a$, $2b$ or $2y$, a cost of 4..31, 53 characters of salt
// and hash); an Error saying what is wrong otherwise.
Expected<std::string> validate_bcrypt_hash(std::string_view hash);

}  // namespace nfct
