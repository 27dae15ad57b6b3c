// Checking Prometheus text in the unit tests: prometheus-cpp's serialization of families,
// a strict parser of the text format 0.0.4 (for counters and gauges) into samples, and
// `promtool check metrics`. For the tests that compare a directly rendered family with
// its prometheus-cpp reference (table_stats, zone_entries).
#pragma once

#include <doctest/doctest.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace nfct::test {

inline std::string serialize(const std::vector<prometheus::MetricFamily>& f) {
  return prometheus::TextSerializer().Serialize(f);
}

// One sample of a page: name, labels (unescaped), value.
using TextSample = std::tuple<std::string, std::map<std::string, std::string>, double>;

struct ParsedText {
  std::vector<TextSample> samples;
  std::map<std::string, int> help, type;  // HELP and TYPE lines per family
  std::multiset<TextSample> sample_set() const { return {samples.begin(), samples.end()}; }
};

// Fails the test on anything the format does not allow here (an empty line, a comment
// other than HELP and TYPE, a label without quotes, an unknown escape, a repeated label
// name), so that a malformed line cannot pass as "equal".
inline ParsedText parse_text(const std::string& text) {
  ParsedText p;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) {
    REQUIRE_MESSAGE(!line.empty(), "empty line in the page");
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      auto& m = line[2] == 'H' ? p.help : p.type;
      m[line.substr(7, line.find(' ', 7) - 7)]++;
      continue;
    }
    REQUIRE_MESSAGE(line[0] != '#', line);
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') i++;
    TextSample s;
    std::get<0>(s) = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      i++;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        REQUIRE(eq != std::string::npos);
        std::string name = line.substr(i, eq - i);
        REQUIRE(eq + 1 < line.size());
        REQUIRE(line[eq + 1] == '"');
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; j++) {
          if (line[j] != '\\') {
            value += line[j];
            continue;
          }
          REQUIRE(j + 1 < line.size());
          const char e = line[++j];
          REQUIRE((e == '\\' || e == '"' || e == 'n'));
          value += e == 'n' ? '\n' : e;
        }
        REQUIRE_MESSAGE(j < line.size(), line);
        REQUIRE_MESSAGE(std::get<1>(s).emplace(name, value).second, line);  // a label name once
        i = j + 1;
        if (i < line.size() && line[i] == ',') i++;
      }
      REQUIRE_MESSAGE(i < line.size(), line);
      i++;
    }
    REQUIRE_MESSAGE(i < line.size(), line);
    REQUIRE(line[i] == ' ');
    const std::string v = line.substr(i + 1);
    std::get<2>(s) = v == "Nan" ? NAN : v == "+Inf" ? INFINITY : v == "-Inf" ? -INFINITY : std::stod(v);
    p.samples.push_back(std::move(s));
  }
  return p;
}

inline bool have_promtool() { return std::ifstream("/usr/bin/promtool").good(); }

// `promtool check metrics` of `text`: its exit status and output.
inline std::pair<int, std::string> promtool_check(const std::string& text) {
  char path[] = "/tmp/nfct_text_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << text;
  const std::string cmd = std::string("/usr/bin/promtool check metrics < ") + path + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  REQUIRE(f);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  const int status = pclose(f);
  std::remove(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The direct text `got` against prometheus-cpp's text of the same data, `expected`: the
// same samples (parsed), HELP and TYPE once per family, and the very same bytes.
inline void check_same_text(const std::string& got, const std::string& expected) {
  CAPTURE(got);
  const ParsedText pg = parse_text(got), pe = parse_text(expected);
  CHECK(pg.sample_set() == pe.sample_set());
  CHECK(pg.help == pe.help);
  CHECK(pg.type == pe.type);
  for (const auto& [name, n] : pg.help) CHECK_MESSAGE(n == 1, name);
  for (const auto& [name, n] : pg.type) CHECK_MESSAGE(n == 1, name);
  CHECK(got == expected);
}

}  // namespace nfct::test
