#include "web_security.h"

#include <dlfcn.h>

#include <cstring>

#include "error.h"
#include "log.h"
#include "prom_family.h"
#include "tls_context.h"

namespace nfct {
namespace {

// Debian's civetweb is built with NO_SSL_DL unset: it dlopen()s the TLS library by the
// development names "libssl.so" and "libcrypto.so" when the server starts, and looks up
// OpenSSL 1.1 names, one of which OpenSSL 3 lacks (a NULL call on every connection).
// The compat libraries (tls_compat/) carry those SONAMEs: loaded here first, they are
// what civetweb's dlopen() finds, and they add the missing function. Kept loaded for the
// life of the process (civetweb holds pointers into them).
constexpr const char* kCompatLibs[] = {"libnfct_crypto_compat.so", "libnfct_ssl_compat.so"};

void prepare_civetweb_tls() {
  if (!mg_check_feature(2))
    throw FatalError("tls_server_config: this civetweb library was built without TLS support");
  for (const char* lib : kCompatLibs)
    if (!dlopen(lib, RTLD_NOW | RTLD_LOCAL))
      throw FatalError(std::string("tls_server_config: cannot load ") + lib + " (" + dlerror() +
                       "); it belongs next to the nfct_exporter binary or in the library directory");
  // What civetweb will get: the compat library, with the function OpenSSL 3 dropped.
  void* ssl = dlopen("libssl.so", RTLD_NOW | RTLD_NOLOAD);
  if (!ssl || !dlsym(ssl, "SSL_get_peer_certificate") || !dlsym(ssl, "SSL_new"))
    throw FatalError("tls_server_config: the TLS compat library did not take the name libssl.so");
  dlclose(ssl);  // drops only the reference RTLD_NOLOAD added
}

class AuthCollector : public prometheus::Collectable {
 public:
  explicit AuthCollector(std::shared_ptr<BasicAuth> auth) : auth_(std::move(auth)) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    auto f = make_family("nfct_web_auth_requests_total",
                         "HTTP requests by basic auth result (exempt, ok, cached, missing, wrong, rate_limited).",
                         prometheus::MetricType::Counter);
    const auto counts = auth_->counts();
    for (int i = 0; i < BasicAuth::kResults; i++)
      add_sample(f, {{"result", BasicAuth::name(static_cast<BasicAuth::Result>(i))}}, static_cast<double>(counts[i]));
    return {f};
  }

 private:
  std::shared_ptr<BasicAuth> auth_;
};

const WebSecurity* from_server(void* civet_server) {
  return static_cast<const WebSecurity*>(static_cast<CivetServer*>(civet_server)->getUserContext());
}

void send_refusal(mg_connection* conn, int status, const char* reason, const char* extra_header, const char* body) {
  const char* method = mg_get_request_info(conn)->request_method;
  const bool head = method && std::strcmp(method, "HEAD") == 0;
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\n%sContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\n\r\n%s",
            status, reason, extra_header, std::strlen(body), head ? "" : body);
}

}  // namespace

WebSecurity::WebSecurity(WebConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.tls) {
    prepare_civetweb_tls();
    check_tls_files(*cfg_.tls, cfg_.source);
  }
  if (cfg_.basic_auth()) auth_ = std::make_shared<BasicAuth>(cfg_.basic_auth_users, cfg_.unauthenticated_paths);
}

const void* WebSecurity::install(std::vector<std::string>& options, CivetCallbacks& callbacks) const {
  if (cfg_.tls) {
    for (size_t i = 0; i + 1 < options.size(); i += 2)
      if (options[i] == "listening_ports") options[i + 1] += "s";  // "HOST:PORTs": TLS only
    callbacks.init_ssl = &WebSecurity::init_ssl;
  }
  if (auth_) {
    // Authentication first; a request it lets through goes on to what was installed
    // before (the connection accounting of http_accept.cpp).
    next_begin_request_ = callbacks.begin_request;
    callbacks.begin_request = &WebSecurity::begin_request;
  }
  return this;
}

std::shared_ptr<prometheus::Collectable> WebSecurity::collectable() const {
  if (!auth_) return nullptr;
  return std::make_shared<AuthCollector>(auth_);
}

int WebSecurity::init_ssl(void* ssl_ctx, void* user_data) {
  const WebSecurity* self = from_server(user_data);
  auto ok = configure_tls(ssl_ctx, *self->cfg_.tls);
  if (!ok) {
    // The same files passed check_tls_files() at start-up: they changed in between.
    spdlog::error("web config {}: {}", self->cfg_.source, ok.error());
    return -1;
  }
  return 1;  // configured: civetweb must not load a certificate of its own
}

int WebSecurity::begin_request(mg_connection* conn) {
  const WebSecurity* self = from_server(mg_get_user_data(mg_get_context(conn)));
  // Nothing may escape into civetweb (a C caller); refuse rather than serve unchecked.
  try {
    if (int status = self->authenticate(conn)) return status;
    return self->next_begin_request_ ? self->next_begin_request_(conn) : 0;
  } catch (...) {
    send_refusal(conn, 500, "Internal Server Error", "", "internal server error\n");
    return 500;
  }
}

int WebSecurity::authenticate(mg_connection* conn) const {
  const mg_request_info* ri = mg_get_request_info(conn);
  const char* path = ri->local_uri ? ri->local_uri : "";
  const BasicAuth::Result r = auth_->check(path, mg_get_header(conn, "Authorization"));
  if (BasicAuth::allowed(r)) return 0;  // civetweb goes on to the handler
  spdlog::debug("{} {} from {}: basic auth {}", ri->request_method, path, ri->remote_addr, BasicAuth::name(r));
  if (r == BasicAuth::Result::RateLimited) {
    send_refusal(conn, 429, "Too Many Requests", "Retry-After: 1\r\n",
                 "too many password checks, try again later\n");
    return 429;
  }
  send_refusal(conn, 401, "Unauthorized", "WWW-Authenticate: Basic realm=\"nfct_exporter\", charset=\"UTF-8\"\r\n",
               "unauthorized\n");
  return 401;
}

}  // namespace nfct
