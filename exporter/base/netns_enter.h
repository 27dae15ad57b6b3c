// The one way the exporter runs code inside another network namespace.
//
// setns() changes only the calling thread's namespace, so `work` runs in a short-lived
// thread that enters the namespace and ends with it: no thread of the exporter ever
// leaves its own namespace. Sockets and BPF links made there stay bound to that
// namespace after the thread ends.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "expected.h"

namespace nfct {

// Runs `work` inside the network namespace at `path`, and returns when it is done.
// When `inode` is not 0 the file at `path` must be that namespace: a path can be reused
// (a name in /run/netns deleted and made again, a PID's /proc entry reused), and
// entering whatever it names now would hand the caller another namespace.
// An Error, with `work` not run, when the file cannot be opened, is not the namespace
// `inode`, or cannot be entered; an exception from `work` becomes an Error too.
Expected<bool> run_in_netns(const std::string& path, uint64_t inode, const std::function<void()>& work);

}  // namespace nfct
