#include "text_format.h"

#include <charconv>
#include <cmath>

namespace nfct::text {

void append_family_header(std::string& out, std::string_view name, std::string_view help,
                          std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void append_label_value(std::string& out, std::string_view v) {
  size_t start = 0;
  for (size_t i = 0; i < v.size(); i++) {
    const char c = v[i];
    if (c != '\\' && c != '"' && c != '\n') continue;
    out.append(v.data() + start, i - start);
    out += '\\';
    out += c == '\n' ? 'n' : c;
    start = i + 1;
  }
  out.append(v.data() + start, v.size() - start);
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "Nan";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
    return;
  }
  // to_chars with chars_format::general and a precision is specified as printf's %.*g;
  // prometheus-cpp's stream has precision max_digits10 - 1 = 16.
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 16);
  out.append(buf, static_cast<size_t>(r.ptr - buf));  // (buf, r.ptr) would be the slow iterator-range append
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));  // (buf, r.ptr) would be the slow iterator-range append
}

void append_label(std::string& out, std::string_view name, std::string_view value, bool first) {
  if (!first) out += ',';
  out += name;
  out += "=\"";
  append_label_value(out, value);
  out += '"';
}

namespace {
template <class V>
void sample(std::string& out, std::string_view name, std::string_view labels, V value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}
}  // namespace

void append_sample(std::string& out, std::string_view name, std::string_view labels, uint64_t value) {
  sample(out, name, labels, value);
}

void append_sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  sample(out, name, labels, value);
}

void append_value(std::string& out, uint64_t v) {
  constexpr uint64_t kExact = uint64_t{1} << 53;  // every integer below is a double, < 1e16
  if (v >= kExact) {
    append_value(out, static_cast<double>(v));
    return;
  }
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));  // (buf, r.ptr) would be the slow iterator-range append
}

}  // namespace nfct::text
