// The accept step of civetweb's server, owned by the exporter.
//
// Civetweb 1.15 is thread-per-connection: its master thread accept()s, queues the socket,
// and a worker thread then reads the request head for up to request_timeout_ms. Nothing
// in its API runs before a worker is tied to the connection, and init_connection cannot
// refuse one, so idle clients can occupy every worker. The exporter therefore defines
// accept() itself (http_accept.cpp): libcivetweb's call resolves to the executable's
// definition (ELF symbol interposition), which admits the connection through a
// ConnectionLimits and closes the excess at once, before it reaches civetweb's queue.
// Admitted connections are released by civetweb's connection_close(d) callbacks.
#pragma once

#include <CivetServer.h>

#include <chrono>

#include "http_limits.h"

namespace nfct {

// Routes every accept() through `limits` (nullptr: pass everything). Install before the
// server starts and clear only after it stopped: a connection admitted without the gate
// would never be released. `header_timeout` is civetweb's request and keep-alive timeout,
// used to tell connections that timed out from ones the client closed.
void set_accept_gate(ConnectionLimits* limits, std::chrono::milliseconds header_timeout);

// True when civetweb's accept() calls reach the gate: the executable exports accept() and
// the dynamic linker binds libcivetweb to it. False e.g. when civetweb is linked statically.
bool accept_gate_effective();

// Civetweb serves from its constructor on, before the exporter has added its handlers: a
// request in that window got civetweb's 404. Until set_serving(true), requests wait in
// begin_request (a few microseconds at start-up). Set false before a server starts.
void set_serving(bool serving);

// Adds the callbacks that release admitted connections and count timeouts.
void add_connection_callbacks(CivetCallbacks& callbacks);

}  // namespace nfct
