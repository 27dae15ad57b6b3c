// Small helpers shared by the HTTP handlers.
#pragma once

#include <CivetServer.h>

#include <string>
#include <string_view>

namespace nfct {

// Writes a complete response with Content-Length; the body is omitted for HEAD.
// `extra_headers` are whole header lines, each ending in \r\n.
void send_response(mg_connection* conn, int status, std::string_view content_type, std::string_view body,
                   bool head = false, std::string_view extra_headers = {});

// Makes civetweb close the connection after this request instead of keeping it alive:
// for answers delimited by closing the connection (/events?follow=1).
void close_after_response(mg_connection* conn);

// A handler for GET and HEAD on exactly one path (civetweb matches handlers by prefix:
// "/metricsx" and "/metrics/x" reach the "/metrics" handler and get 404 here); every
// other method gets 405 with an Allow header.
class GetOnlyHandler : public CivetHandler {
 public:
  explicit GetOnlyHandler(std::string path) : path_(std::move(path)) {}
  virtual bool get(mg_connection* conn, bool head) = 0;
  bool handleGet(CivetServer*, mg_connection* conn) override { return dispatch(conn, false); }
  bool handleHead(CivetServer*, mg_connection* conn) override { return dispatch(conn, true); }
  bool handlePost(CivetServer*, mg_connection* conn) override { return not_allowed(conn); }
  bool handlePut(CivetServer*, mg_connection* conn) override { return not_allowed(conn); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return not_allowed(conn); }
  bool handleOptions(CivetServer*, mg_connection* conn) override { return not_allowed(conn); }
  bool handlePatch(CivetServer*, mg_connection* conn) override { return not_allowed(conn); }

 private:
  bool dispatch(mg_connection* conn, bool head);
  static bool not_allowed(mg_connection* conn);
  const std::string path_;
};

}  // namespace nfct
