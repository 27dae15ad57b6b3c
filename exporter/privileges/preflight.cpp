#include "preflight.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "capabilities.h"
#include "error.h"
#include "log.h"

namespace nfct {
namespace {

constexpr const char* kVmlinuxBtf = "/sys/kernel/btf/vmlinux";

void check_kernel_btf() {
  struct stat st {};
  if (::stat(kVmlinuxBtf, &st) == 0) return;
  const int err = errno;
  struct stat sys {};
  const bool sys_mounted = ::stat("/sys/kernel", &sys) == 0;
  throw FatalError(std::string("kernel BTF ") + kVmlinuxBtf + " is missing (" + std::strerror(err) + "): " +
                   (sys_mounted ? "this kernel was built without CONFIG_DEBUG_INFO_BTF; the BPF programs need it"
                                : "/sys is not mounted; in a container, mount the host's /sys (read-only is enough)"));
}

}  // namespace

void preflight(Config& cfg) {
  check_kernel_btf();
  const auto needs = startup_needs(cfg);
  // NFCT_SKIP_CAP_CHECK=1 is for measuring what the kernel refuses without a capability
  // (tests/integration/test_capabilities.py), not for production.
  const char* skip = std::getenv("NFCT_SKIP_CAP_CHECK");
  if (!(skip && std::string(skip) == "1")) {
    for (const auto& w : check_capabilities(needs)) spdlog::warn("{}", w);
    // Optional features whose capability is missing are off rather than failing on every
    // scrape (ctnetlink needs CAP_NET_ADMIN, entering namespaces CAP_SYS_ADMIN).
    if ((cfg.table_stats.enabled || cfg.zone_entries.enabled) &&
        !(has_capability(Cap::NetAdmin) && has_capability(Cap::SysAdmin))) {
      cfg.table_stats.enabled = false;
      cfg.zone_entries.enabled = false;
    }
  }
  const auto keep = choose_capabilities(needs, held_capabilities());
  if (auto ok = keep_only_capabilities(keep); !ok) throw FatalError("dropping capabilities: " + ok.error());
  spdlog::debug("capabilities for start-up: {}", effective_capabilities());
}

void drop_startup_capabilities(const Config& cfg) {
  const auto needs = running_needs(cfg);
  const auto keep = choose_capabilities(needs, held_capabilities());
  if (auto ok = keep_only_capabilities(keep); !ok) throw FatalError("dropping capabilities: " + ok.error());
  spdlog::info("running with capabilities {}", effective_capabilities());
  // Why each one is still held, so that an operator can tell which setting keeps it.
  for (const auto& [cap, whats] : kept_for(needs, keep)) {
    if (whats.empty()) continue;
    std::string list;
    for (const auto& w : whats) list += (list.empty() ? "" : "; ") + w;
    spdlog::info("keeping {} for {}", cap_name(cap), list);
  }
}

}  // namespace nfct
