#include "http_util.h"

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

}  // namespace

void send_response(mg_connection* conn, int status, std::string_view content_type, std::string_view body,
                   bool head) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %.*s\r\nContent-Length: %zu\r\n"
            "Cache-Control: no-store\r\n\r\n",
            status, reason(status), static_cast<int>(content_type.size()), content_type.data(), body.size());
  if (!head && !body.empty()) mg_write(conn, body.data(), body.size());
}

bool GetOnlyHandler::dispatch(mg_connection* conn, bool head) {
  const mg_request_info* ri = mg_get_request_info(conn);
  if (!ri->local_uri || path_ != ri->local_uri) {
    send_response(conn, 404, "text/plain; charset=utf-8", "not found\n", head);
    return true;
  }
  return get(conn, head);
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
