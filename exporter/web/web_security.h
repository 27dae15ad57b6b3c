// The web config applied to the HTTP server: TLS on the listening port, basic auth in
// front of every handler, and the exporter's metrics about authentication.
#pragma once

#include <CivetServer.h>
#include <prometheus/collectable.h>

#include <memory>
#include <string>
#include <vector>

#include "basic_auth.h"
#include "web_config.h"

namespace nfct {

class WebSecurity {
 public:
  // Checks what can be checked before listening: the TLS files, civetweb's TLS support and
  // the TLS library it loads at run time. Throws ConfigError / FatalError naming the cause.
  explicit WebSecurity(WebConfig cfg);

  // Adds the civetweb options (the 's' port suffix) and callbacks (TLS set-up,
  // authentication before every request); returns the user context to hand to
  // CivetServer, which the callbacks find again through it.
  const void* install(std::vector<std::string>& options, CivetCallbacks& callbacks) const;

  bool tls() const { return cfg_.tls.has_value(); }
  const WebConfig& config() const { return cfg_; }
  // nfct_web_auth_requests_total by result (empty when basic auth is off).
  std::shared_ptr<prometheus::Collectable> collectable() const;

 private:
  static int init_ssl(void* ssl_ctx, void* user_data);
  static int begin_request(mg_connection* conn);
  int authenticate(mg_connection* conn) const;

  WebConfig cfg_;
  std::shared_ptr<BasicAuth> auth_;
  mutable int (*next_begin_request_)(mg_connection*) = nullptr;  // set by install()
};

}  // namespace nfct
