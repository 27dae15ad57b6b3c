/* SONAME "libcrypto.so": civetweb dlopen()s libcrypto by the development name, which only
 * libssl-dev installs. Loaded by the exporter first, this library answers that name and
 * hands every lookup on to its dependency libcrypto.so.3. Nothing of its own. */
typedef int nfct_crypto_compat_unused;
