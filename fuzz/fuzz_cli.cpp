// The command line: the input split at NUL bytes is argv[1..]. parse_cli() returns options
// or an exit code and never throws (CLI11 errors other than ParseError would escape).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "cli.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::vector<std::string> args{"nfct_exporter"};
  std::string cur;
  for (size_t i = 0; i < size; i++) {
    if (data[i] == 0) {
      args.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (size) args.push_back(cur);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  std::ostringstream out, err;
  auto r = nfct::parse_cli(static_cast<int>(args.size()), argv.data(), out, err);
  if (auto* code = std::get_if<int>(&r)) {
    // --help and --version exit 0 having printed something; a bad flag exits != 0 with a message.
    FUZZ_CHECK(*code == 0 ? !out.str().empty() : !err.str().empty());
  }
  return 0;
}
