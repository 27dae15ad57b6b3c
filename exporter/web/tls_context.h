// TLS for the HTTP server from tls_server_config: the certificate, key, client
// certificate policy and protocol versions, set on the SSL_CTX that civetweb creates.
#pragma once

#include <string>

#include "expected.h"
#include "web_config.h"

namespace nfct {

// Configures `ssl_ctx` (an SSL_CTX*; void* as civetweb hands it over). The Error names the
// key, the file and OpenSSL's reason ("tls_server_config.key_file /x.pem: ...").
Expected<bool> configure_tls(void* ssl_ctx, const TlsServerConfig& tls);

// Start-up check: configures a throwaway context, so that a missing or mismatched file is
// a ConfigError naming the web config file before anything listens. Throws ConfigError.
void check_tls_files(const TlsServerConfig& tls, const std::string& source);

}  // namespace nfct
