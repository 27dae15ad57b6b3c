// Low-level pieces of the Prometheus text format 0.0.4, written exactly as prometheus-cpp
// 1.0's TextSerializer writes them, so that text rendered directly (counter_text.h) and
// text serialized from MetricFamily objects can be concatenated into one valid page and
// compared byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nfct::text {

// "# HELP name help\n# TYPE name type\n" (the help text is written as is, as
// prometheus-cpp does: it must not hold a newline).
void append_family_header(std::string& out, std::string_view name, std::string_view help,
                          std::string_view type);

// A label value between its quotes: backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view v);

// A sample value as prometheus-cpp prints a double: printf's %.16g ("1e+16",
// "1.844674407370955e+19", "0.1"), and "Nan", "+Inf", "-Inf".
void append_value(std::string& out, double v);

// An unsigned integer in decimal (a label value such as a namespace inode or zone id).
void append_uint(std::string& out, uint64_t v);

// `name="value"` with the value escaped; `,` before it unless it is the first label.
void append_label(std::string& out, std::string_view name, std::string_view value, bool first = false);

// One sample line, `name{labels} value\n`; `labels` is the text between the braces, as
// append_label() writes it (no braces when empty, as prometheus-cpp prints it).
void append_sample(std::string& out, std::string_view name, std::string_view labels, uint64_t value);
void append_sample(std::string& out, std::string_view name, std::string_view labels, double value);

// A counter read as an integer, printed as prometheus-cpp prints it after its conversion to
// double: the integer itself below 2^53 (exact and shorter than 17 digits), %.16g of the
// rounded double above.
void append_value(std::string& out, uint64_t v);

}  // namespace nfct::text
