#include "http_util.h"

#include "log.h"

namespace nfct {
namespace {

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

bool keeps_alive(mg_connection* conn) {
  const char* v = mg_get_option(mg_get_context(conn), "enable_keep_alive");
  return v && std::string_view(v) == "yes";
}

}  // namespace

void send_response(mg_connection* conn, int status, std::string_view content_type, std::string_view body,
                   bool head, std::string_view extra_headers) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\n%s%.*s\r\n",
            status, reason(status), static_cast<int>(content_type.size()), content_type.data(), body.size(),
            // Say so when the connection ends after this answer: an HTTP/1.1 client would
            // otherwise send its next request on it and see that fail (wrk counts an error).
            keeps_alive(conn) ? "" : "Connection: close\r\n",
            static_cast<int>(extra_headers.size()), extra_headers.empty() ? "" : extra_headers.data());
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

void close_after_response(mg_connection* conn) {
  // civetweb 1.15 has no call for this. After a handler returns it keeps the connection
  // only when should_keep_alive() agrees, which obeys the request's Connection header and
  // otherwise keeps HTTP/1.1 connections. So the request is made to say "close": its
  // Connection header value (the struct is the connection's own, not const memory), or,
  // without one, its HTTP version.
  auto* ri = const_cast<mg_request_info*>(mg_get_request_info(conn));
  bool had_header = false;
  for (int i = 0; i < ri->num_headers; i++) {
    if (ri->http_headers[i].name && mg_strcasecmp(ri->http_headers[i].name, "Connection") == 0) {
      ri->http_headers[i].value = "close";
      had_header = true;
    }
  }
  if (!had_header) ri->http_version = "1.0";
}

bool GetOnlyHandler::dispatch(mg_connection* conn, bool head) {
  const mg_request_info* ri = mg_get_request_info(conn);
  if (!ri->local_uri || path_ != ri->local_uri) {
    send_response(conn, 404, "text/plain; charset=utf-8", "not found\n", head);
    return true;
  }
  // Nothing may escape into civetweb: an exception there ends the process (std::terminate).
  // A handler that failed answers 500; one that failed in the middle of a streamed answer
  // can only have its connection closed, which civetweb does when the handler returns.
  try {
    return get(conn, head);
  } catch (const std::exception& e) {
    spdlog::error("{} {}: handler failed: {}", ri->request_method, path_, e.what());
  } catch (...) {
    spdlog::error("{} {}: handler failed with an unknown exception", ri->request_method, path_);
  }
  try {
    send_response(conn, 500, "text/plain; charset=utf-8", "internal server error\n", head);
  } catch (...) {
  }
  return true;
}

bool GetOnlyHandler::not_allowed(mg_connection* conn) {
  constexpr std::string_view body = "method not allowed\n";
  mg_printf(conn,
            "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Type: text/plain; "
            "charset=utf-8\r\nContent-Length: %zu\r\n\r\n%s",
            body.size(), body.data());
  return true;
}

}  // namespace nfct
