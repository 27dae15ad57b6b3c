// Error types. Recoverable errors travel as values (Expected); a start-up error that
// must stop the exporter is thrown as FatalError and caught once, in main().
#pragma once

#include <stdexcept>
#include <string>

namespace nfct {

class FatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace nfct
