#include "netns_enter.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include "unique_fd.h"

namespace nfct {

Expected<bool> run_in_netns(const std::string& path, uint64_t inode, const std::function<void()>& work) {
  std::string error;
  std::thread worker([&] {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      error = "cannot open " + path + ": " + std::strerror(errno);
      return;
    }
    // Checked on the open descriptor, so the file checked is the file entered.
    struct stat st {};
    if (inode != 0 && (::fstat(fd.get(), &st) != 0 || st.st_ino != inode)) {
      error = path + " is no longer network namespace " + std::to_string(inode);
      return;
    }
    if (::setns(fd.get(), CLONE_NEWNET) != 0) {
      error = "cannot enter " + path + ": " + std::strerror(errno);
      return;
    }
    // An exception must not leave this thread: std::terminate.
    try {
      work();
    } catch (const std::exception& e) {
      error = "in " + path + ": " + e.what();
    } catch (...) {
      error = "in " + path + ": unknown exception";
    }
  });
  worker.join();
  if (!error.empty()) return Error{error};
  return true;
}

}  // namespace nfct
