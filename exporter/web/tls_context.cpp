#include "tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace nfct {
namespace {

// The newest OpenSSL error on this thread (and the queue emptied), or `fallback`.
std::string openssl_reason(const char* fallback) {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (!last) return fallback;
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return buf;
}

// A readable-file check first: OpenSSL's reason for a missing file is "system library".
Expected<bool> readable(const std::string& key, const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return Error{key + " " + path + ": cannot open: " + std::strerror(errno)};
  std::fclose(f);
  return true;
}

// Client certificates asked for but not verified (RequestClientCert, RequireAnyClientCert):
// accept whatever chain the client sends, as Go's crypto/tls does for those policies.
int accept_any_certificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

Expected<bool> configure_tls(void* raw, const TlsServerConfig& tls) {
  auto* ctx = static_cast<SSL_CTX*>(raw);
  ERR_clear_error();
  // civetweb's default ssl_protocol_version (4) set SSL_OP_NO_TLSv1 and _1_1 before this
  // callback; the version range below is the only limit.
  SSL_CTX_clear_options(ctx, SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3);
  if (SSL_CTX_set_min_proto_version(ctx, tls.min_version) != 1)
    return Error{"tls_server_config.min_version: refused by OpenSSL: " + openssl_reason("unknown")};
  if (tls.max_version && SSL_CTX_set_max_proto_version(ctx, tls.max_version) != 1)
    return Error{"tls_server_config.max_version: refused by OpenSSL: " + openssl_reason("unknown")};
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);

  if (auto ok = readable("tls_server_config.cert_file", tls.cert_file); !ok) return ok;
  if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1)
    return Error{"tls_server_config.cert_file " + tls.cert_file +
                 ": not a usable PEM certificate: " + openssl_reason("unknown")};
  if (auto ok = readable("tls_server_config.key_file", tls.key_file); !ok) return ok;
  if (SSL_CTX_use_PrivateKey_file(ctx, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate already loaded as it reads it.
    const std::string why = openssl_reason("unknown");
    if (why.find("key values mismatch") != std::string::npos)
      return Error{"tls_server_config.key_file " + tls.key_file + ": does not match cert_file " + tls.cert_file +
                   ": " + why};
    return Error{"tls_server_config.key_file " + tls.key_file + ": not a usable PEM private key: " + why};
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return Error{"tls_server_config.key_file " + tls.key_file + ": does not match cert_file " +
                 tls.cert_file + ": " + openssl_reason("unknown")};

  int mode = SSL_VERIFY_NONE;
  SSL_verify_cb cb = nullptr;
  switch (tls.client_auth) {
    case ClientAuth::NoClientCert: break;
    case ClientAuth::RequestClientCert: mode = SSL_VERIFY_PEER; cb = accept_any_certificate; break;
    case ClientAuth::RequireAnyClientCert:
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
      cb = accept_any_certificate;
      break;
    case ClientAuth::VerifyClientCertIfGiven: mode = SSL_VERIFY_PEER; break;
    case ClientAuth::RequireAndVerifyClientCert: mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT; break;
  }
  if (!tls.client_ca_file.empty()) {
    if (auto ok = readable("tls_server_config.client_ca_file", tls.client_ca_file); !ok) return ok;
    if (SSL_CTX_load_verify_locations(ctx, tls.client_ca_file.c_str(), nullptr) != 1)
      return Error{"tls_server_config.client_ca_file " + tls.client_ca_file +
                   ": no usable PEM CA certificate: " + openssl_reason("unknown")};
    // The CA names the server announces in its certificate request.
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(tls.client_ca_file.c_str());
    if (!names)
      return Error{"tls_server_config.client_ca_file " + tls.client_ca_file +
                   ": no CA certificate names: " + openssl_reason("unknown")};
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  }
  SSL_CTX_set_verify(ctx, mode, cb);
  // civetweb sets a session id context only when it configures the context itself; without
  // one, OpenSSL fails every resumed session of a context that verifies peers.
  static const unsigned char kSessionContext[] = "nfct_exporter";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  return true;
}

void check_tls_files(const TlsServerConfig& tls, const std::string& source) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) throw ConfigError("web config " + source + ": cannot create a TLS context: " + openssl_reason("unknown"));
  auto ok = configure_tls(ctx.get(), tls);
  if (!ok) throw ConfigError("web config " + source + ": " + ok.error());
}

}  // namespace nfct
