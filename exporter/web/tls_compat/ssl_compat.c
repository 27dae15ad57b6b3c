/* Debian 12's civetweb 1.15 was built for the OpenSSL 1.1 API and loads the TLS library at
 * run time: dlopen("libssl.so"), then dlsym() of each function it uses. OpenSSL 3 no
 * longer exports SSL_get_peer_certificate (only a macro for SSL_get1_peer_certificate),
 * so civetweb's pointer to it stays NULL and every TLS connection crashes the worker that
 * accepted it (it asks for the client certificate after each handshake).
 *
 * This library's SONAME is "libssl.so": once the exporter has loaded it, glibc's dlopen()
 * finds it by that name and civetweb gets it instead of the real file. dlsym() on it
 * searches it first and then its dependency libssl.so.3, so it only has to add the one
 * missing function, with the same semantics (a new reference the caller frees). */
typedef struct ssl_st SSL;
typedef struct x509_st X509;

X509 *SSL_get1_peer_certificate(const SSL *s);

X509 *SSL_get_peer_certificate(const SSL *s) { return SSL_get1_peer_certificate(s); }
