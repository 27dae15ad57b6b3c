#include "web_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace nfct {
namespace {

// Keys of the exporter-toolkit format this exporter does not implement: refused by name
// rather than silently ignored, so that a security setting is never dropped unnoticed.
const std::set<std::string> kUnsupportedTlsKeys = {"cert", "key", "client_ca", "cipher_suites",
                                                   "curve_preferences", "prefer_server_cipher_suites",
                                                   "client_allowed_sans"};

class WebParser {
 public:
  WebParser(std::string source, std::string base_dir) : source_(std::move(source)), base_(std::move(base_dir)) {}

  WebConfig parse(const YAML::Node& root) {
    WebConfig cfg;
    cfg.source = source_;
    if (!root || root.IsNull()) return cfg;  // an empty file: plain HTTP, no users
    if (!root.IsMap()) fail(root.Mark(), "expected a mapping at the top level");
    std::set<std::string> seen;
    for (const auto& kv : root) {
      const std::string key = scalar(kv.first, "top-level key");
      if (!seen.insert(key).second) fail(kv.first.Mark(), "duplicate key '" + key + "'");
      if (key == "tls_server_config") {
        cfg.tls = tls(kv.first, kv.second);
      } else if (key == "basic_auth_users") {
        cfg.basic_auth_users = users(kv.first, kv.second);
      } else if (key == "unauthenticated_paths") {
        cfg.unauthenticated_paths = paths(kv.first, kv.second);
      } else if (key == "http_server_config") {
        http_server(kv.first, kv.second);
      } else {
        fail(kv.first.Mark(), "unknown top-level key '" + key +
                                  "' (expected one of: tls_server_config, basic_auth_users, "
                                  "unauthenticated_paths, http_server_config)");
      }
    }
    if (!cfg.unauthenticated_paths.empty() && !cfg.basic_auth())
      fail(root.Mark(), "unauthenticated_paths: given without basic_auth_users");
    return cfg;
  }

 private:
  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& what) const {
    std::ostringstream os;
    os << "web config " << source_;
    if (mark.line >= 0) os << ":" << mark.line + 1 << ":" << mark.column + 1;
    os << ": " << what;
    throw ConfigError(os.str());
  }

  std::string scalar(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n.Mark(), what + ": expected a string");
    return n.Scalar();
  }

  // yaml-cpp places an empty value at the next token: report it at its key.
  void expect_map(const YAML::Node& key, const YAML::Node& v, const std::string& what) const {
    if (v.IsNull()) fail(key.Mark(), what + ": expected a mapping, found nothing");
    if (!v.IsMap()) fail(v.Mark(), what + ": expected a mapping");
  }

  std::string value(const YAML::Node& key, const YAML::Node& v, const std::string& what) const {
    if (v.IsNull()) fail(key.Mark(), what + ": expected a value, found none");
    std::string s = scalar(v, what);
    if (s.empty()) fail(v.Mark(), what + ": must not be empty");
    return s;
  }

  std::string file(const YAML::Node& key, const YAML::Node& v, const std::string& what) const {
    std::filesystem::path p(value(key, v, what));
    return (p.is_absolute() || base_.empty() ? p : std::filesystem::path(base_) / p).string();
  }

  static int tls_version(const std::string& s) {
    if (s == "TLS10") return 0x0301;
    if (s == "TLS11") return 0x0302;
    if (s == "TLS12") return 0x0303;
    if (s == "TLS13") return 0x0304;
    return -1;
  }

  int tls_version_value(const YAML::Node& key, const YAML::Node& v, const std::string& what) const {
    std::string s = value(key, v, what);
    int ver = tls_version(s);
    if (ver < 0) fail(v.Mark(), what + ": '" + s + "' is not one of TLS10, TLS11, TLS12, TLS13");
    return ver;
  }

  std::optional<TlsServerConfig> tls(const YAML::Node& key, const YAML::Node& n) {
    expect_map(key, n, "tls_server_config");
    TlsServerConfig t;
    std::set<std::string> seen;
    bool has_auth_type = false;
    std::optional<YAML::Mark> ca_mark;  // where client_ca_file was given
    for (const auto& kv : n) {
      const std::string k = scalar(kv.first, "tls_server_config key");
      const std::string what = "tls_server_config." + k;
      if (!seen.insert(k).second) fail(kv.first.Mark(), "duplicate key '" + k + "'");
      if (k == "cert_file") {
        t.cert_file = file(kv.first, kv.second, what);
      } else if (k == "key_file") {
        t.key_file = file(kv.first, kv.second, what);
      } else if (k == "client_ca_file") {
        t.client_ca_file = file(kv.first, kv.second, what);
        ca_mark = kv.first.Mark();
      } else if (k == "client_auth_type") {
        const std::string s = value(kv.first, kv.second, what);
        static const std::map<std::string, ClientAuth> kinds = {
            {"NoClientCert", ClientAuth::NoClientCert},
            {"RequestClientCert", ClientAuth::RequestClientCert},
            {"RequireAnyClientCert", ClientAuth::RequireAnyClientCert},
            {"VerifyClientCertIfGiven", ClientAuth::VerifyClientCertIfGiven},
            {"RequireAndVerifyClientCert", ClientAuth::RequireAndVerifyClientCert}};
        auto it = kinds.find(s);
        if (it == kinds.end())
          fail(kv.second.Mark(), what + ": '" + s +
                                     "' is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, "
                                     "VerifyClientCertIfGiven, RequireAndVerifyClientCert");
        t.client_auth = it->second;
        has_auth_type = true;
      } else if (k == "min_version") {
        t.min_version = tls_version_value(kv.first, kv.second, what);
      } else if (k == "max_version") {
        t.max_version = tls_version_value(kv.first, kv.second, what);
      } else if (kUnsupportedTlsKeys.count(k)) {
        fail(kv.first.Mark(), what + ": not supported by nfct_exporter (use cert_file, key_file, "
                                     "client_auth_type, client_ca_file, min_version, max_version)");
      } else {
        fail(kv.first.Mark(), "unknown tls_server_config key '" + k +
                                  "' (expected one of: cert_file, key_file, client_auth_type, "
                                  "client_ca_file, min_version, max_version)");
      }
    }
    // As exporter-toolkit: neither file means plain HTTP, one without the other is an error.
    if (t.cert_file.empty() && t.key_file.empty()) {
      if (has_auth_type || ca_mark) fail(key.Mark(), "tls_server_config: client settings without cert_file and key_file");
      return std::nullopt;
    }
    if (t.cert_file.empty()) fail(key.Mark(), "tls_server_config.cert_file: missing (key_file is set)");
    if (t.key_file.empty()) fail(key.Mark(), "tls_server_config.key_file: missing (cert_file is set)");
    const bool verifies = t.client_auth == ClientAuth::VerifyClientCertIfGiven ||
                          t.client_auth == ClientAuth::RequireAndVerifyClientCert;
    if (verifies && t.client_ca_file.empty())
      fail(key.Mark(), "tls_server_config.client_ca_file: missing, client_auth_type verifies client "
                       "certificates against it");
    if (!verifies && ca_mark)
      fail(*ca_mark, "tls_server_config.client_ca_file: set, but client_auth_type (" +
                               std::string(has_auth_type ? "given" : "default NoClientCert") +
                               ") does not verify client certificates");
    if (t.max_version && t.max_version < t.min_version)
      fail(key.Mark(), "tls_server_config: max_version is lower than min_version");
    return t;
  }

  std::map<std::string, std::string> users(const YAML::Node& key, const YAML::Node& n) const {
    expect_map(key, n, "basic_auth_users");
    std::map<std::string, std::string> out;
    for (const auto& kv : n) {
      const std::string user = scalar(kv.first, "basic_auth_users key");
      // RFC 7617: the user-id cannot contain a colon (the password follows the first one).
      if (user.empty() || user.find(':') != std::string::npos)
        fail(kv.first.Mark(), "basic_auth_users: user name '" + user + "' is empty or contains ':'");
      const std::string what = "basic_auth_users." + user;
      std::string hash = value(kv.first, kv.second, what);
      if (auto ok = validate_bcrypt_hash(hash); !ok) fail(kv.second.Mark(), what + ": " + ok.error());
      if (!out.emplace(user, hash).second) fail(kv.first.Mark(), "duplicate user '" + user + "'");
    }
    return out;
  }

  std::vector<std::string> paths(const YAML::Node& key, const YAML::Node& n) const {
    if (n.IsNull()) fail(key.Mark(), "unauthenticated_paths: expected a list, found nothing");
    if (!n.IsSequence()) fail(n.Mark(), "unauthenticated_paths: expected a list of paths");
    std::vector<std::string> out;
    for (const auto& p : n) {
      std::string s = scalar(p, "unauthenticated_paths entry");
      if (s.empty() || s[0] != '/' || s.find_first_of("?# \t") != std::string::npos)
        fail(p.Mark(), "unauthenticated_paths: '" + s + "' is not a path (e.g. /healthz)");
      out.push_back(s);
    }
    return out;
  }

  void http_server(const YAML::Node& key, const YAML::Node& n) const {
    expect_map(key, n, "http_server_config");
    for (const auto& kv : n) {
      const std::string k = scalar(kv.first, "http_server_config key");
      if (k == "http2") {
        // HTTP/2 is never served (civetweb speaks HTTP/1.1); accepted so that files
        // written for other exporters load.
        if (!kv.second.IsScalar() || (kv.second.Scalar() != "true" && kv.second.Scalar() != "false"))
          fail(kv.second.Mark(), "http_server_config.http2: expected true or false");
      } else {
        fail(kv.first.Mark(), "http_server_config." + k + ": not supported by nfct_exporter");
      }
    }
  }

  std::string source_;
  std::string base_;
};

}  // namespace

Expected<std::string> validate_bcrypt_hash(std::string_view hash) {
  // $2b$CC$ + 22 characters of salt + 31 of hash, in bcrypt's base64 alphabet.
  if (hash.size() != 60 || hash[0] != '$' || hash[1] != '2' ||
      (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' || hash[6] != '$')
    return Error{"not a bcrypt hash ($2a$, $2b$ or $2y$ and 60 characters; make one with "
                 "`mkpasswd -m bcrypt` or `htpasswd -nbB user password`)"};
  if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9')
    return Error{"bcrypt cost is not a number"};
  int cost = (hash[4] - '0') * 10 + (hash[5] - '0');
  if (cost < 4 || cost > 31) return Error{"bcrypt cost " + std::to_string(cost) + " is not within 4..31"};
  for (char c : hash.substr(7)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/';
    if (!ok) return Error{"bcrypt hash has a character outside its alphabet"};
  }
  return std::string(hash);
}

WebConfig parse_web_config(std::string_view yaml, const std::string& source, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << "web config " << source;
    if (e.mark.line >= 0) os << ":" << e.mark.line + 1 << ":" << e.mark.column + 1;
    os << ": " << e.msg;
    throw ConfigError(os.str());
  }
  return WebParser(source, base_dir).parse(root);
}

WebConfig load_web_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("web config " + path + ": cannot open: " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw ConfigError("web config " + path + ": cannot read: " + std::strerror(errno));
  std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_web_config(ss.str(), path, dir);
}

}  // namespace nfct
