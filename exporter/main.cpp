// nfct_exporter: thin entry point. Everything it calls lives in the core library.
#include <iostream>

#include "error.h"
#include "exporter_app.h"

int main(int argc, char** argv) {
  try {
    return nfct::run_exporter(argc, argv);
  } catch (const nfct::FatalError& e) {
    std::cerr << "nfct_exporter: " << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "nfct_exporter: unexpected error: " << e.what() << std::endl;
    return 2;
  }
}
