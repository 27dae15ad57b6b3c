#include "ct_names.h"

#include <array>

namespace nfct {
namespace {

constexpr std::array<std::string_view, 8> kStates = {
    "established", "related", "new", "reply", "related_reply", "", "", "untracked"};

constexpr std::array<std::string_view, 16> kBits = {
    "expected",     "seen_reply",   "assured", "confirmed",     "src_nat", "dst_nat",
    "seq_adjust",   "src_nat_done", "dst_nat_done", "dying",    "fixed_timeout",
    "template",     "nat_clash",    "helper",  "offload",       "hw_offload"};

constexpr std::array<std::string_view, 4> kZoneDirs = {"none", "original", "reply", "default"};

}  // namespace

std::optional<std::string_view> ct_state_name(uint8_t ctinfo) {
  if (ctinfo >= kStates.size() || kStates[ctinfo].empty()) return std::nullopt;
  return kStates[ctinfo];
}

std::optional<uint8_t> ct_state_from_name(std::string_view name) {
  for (uint8_t i = 0; i < kStates.size(); i++)
    if (!kStates[i].empty() && kStates[i] == name) return i;
  return std::nullopt;
}

std::optional<std::string_view> ct_status_bit_name(unsigned bit) {
  if (bit >= kBits.size()) return std::nullopt;
  return kBits[bit];
}

std::optional<std::string_view> zone_dir_name(uint8_t dir) {
  if (dir >= kZoneDirs.size()) return std::nullopt;
  return kZoneDirs[dir];
}

}  // namespace nfct
