#include "events_handler.h"

#include <nlohmann/json.hpp>

#include <cstring>

#include "event_format.h"
#include "events_query.h"
#include "json_text.h"

namespace nfct {
namespace {

const char* content_type(EventFormat f) {
  switch (f) {
    case EventFormat::Json: return "application/json";
    case EventFormat::Ndjson: return "application/x-ndjson";
    case EventFormat::Text: return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

// One event in a line-oriented format, newline included.
std::string render_line(const Event& e, EventFormat f) {
  return (f == EventFormat::Text ? event_to_text(e) : json_text(event_to_json(e))) + "\n";
}

std::string dropped_notice(uint64_t n, EventFormat f) {
  if (f == EventFormat::Text) return "# dropped " + std::to_string(n) + " events (client too slow)\n";
  return json_text(nlohmann::ordered_json{{"dropped", n}}) + "\n";
}

constexpr const char* kSamplingOffNotice =
    "# sampling is off (events.sample_rate: 0): no event is sampled\n";

}  // namespace

std::string EventsHandler::sampling_header() const {
  return "X-Nfct-Sample-Rate: " + std::to_string(sample_rate_) + (sample_rate_ ? "" : " (off)") + "\r\n";
}

bool EventsHandler::get(mg_connection* conn, bool head) {
  const mg_request_info* ri = mg_get_request_info(conn);
  auto parsed = parse_events_query(ri->query_string ? ri->query_string : "");
  if (auto* err = std::get_if<QueryError>(&parsed)) {
    send_response(conn, 400, "application/json", query_error_body(*err), head);
    return true;
  }
  const auto& q = std::get<EventsQuery>(parsed);
  if (q.follow) return follow(conn, q, head);

  auto events = store_.recent(q.limit, q.filter);
  std::string body;
  if (q.format == EventFormat::Json) {
    auto arr = nlohmann::ordered_json::array();
    for (const auto& e : events) arr.push_back(event_to_json(e));
    body = json_text(arr) + "\n";
  } else {
    if (!sample_rate_ && q.format == EventFormat::Text) body = kSamplingOffNotice;
    for (const auto& e : events) body += render_line(e, q.format);
  }
  send_response(conn, 200, content_type(q.format), body, head, sampling_header());
  return true;
}

bool EventsHandler::follow(mg_connection* conn, const EventsQuery& q, bool head) {
  // Each stream holds an HTTP worker thread: keep some for /metrics and /healthz.
  if (followers_.fetch_add(1) >= max_followers_) {
    followers_--;
    nlohmann::ordered_json body{{"error", "too many follow=1 streams"},
                                {"parameter", "follow"},
                                {"message", "at most " + std::to_string(max_followers_) + " streams at once"}};
    send_response(conn, 503, "application/json", json_text(body) + "\n", head);
    return true;
  }
  struct Release {
    std::atomic<size_t>& n;
    ~Release() { n--; }
  } release{followers_};

  // Subscribe before answering, so that every event sampled after the request started
  // is seen. The response is delimited by closing the connection.
  auto sub = store_.subscribe(q.filter);
  close_after_response(conn);
  mg_printf(conn,
            "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nCache-Control: no-store\r\nConnection: close\r\n%s\r\n",
            content_type(q.format), sampling_header().c_str());
  if (head) return true;
  if (!sample_rate_ && q.format == EventFormat::Text)
    mg_write(conn, kSamplingOffNotice, std::strlen(kSamplingOffNotice));
  size_t sent = 0;
  auto last_write = std::chrono::steady_clock::now();
  while (!stopping_ && !sub->closed()) {
    auto batch = sub->wait(std::chrono::milliseconds(500));
    std::string out;
    // A client that went away is only noticed by writing to it: a quiet stream sends
    // an empty line as keep-alive, so that its thread is freed within seconds.
    if (batch.empty() && std::chrono::steady_clock::now() - last_write >= kKeepAlive) out = "\n";
    if (uint64_t d = sub->take_dropped()) out += dropped_notice(d, q.format);
    for (const auto& e : batch) {
      out += render_line(e, q.format);
      if (q.limit_given && ++sent >= q.limit) break;
    }
    if (!out.empty()) {
      if (mg_write(conn, out.data(), out.size()) <= 0) break;  // client gone
      last_write = std::chrono::steady_clock::now();
    }
    if (q.limit_given && sent >= q.limit) break;
  }
  sub->close();
  return true;
}

void EventsHandler::stop() {
  stopping_ = true;
  store_.close_all();
}

}  // namespace nfct
