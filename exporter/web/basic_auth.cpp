#include "basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace nfct {
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Strict standard base64 with padding; false on anything else.
bool base64_decode(std::string_view in, std::string& out) {
  if (in.empty() || in.size() % 4) return false;
  size_t pad = 0;
  if (in.back() == '=') pad++;
  if (in.size() >= 2 && in[in.size() - 2] == '=') pad++;
  out.clear();
  uint32_t acc = 0;
  for (size_t i = 0; i < in.size(); i++) {
    int v;
    if (i >= in.size() - pad) {
      v = 0;
    } else {
      v = base64_value(in[i]);
      if (v < 0) return false;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (i % 4 == 3) {
      out.push_back(static_cast<char>(acc >> 16));
      out.push_back(static_cast<char>((acc >> 8) & 0xff));
      out.push_back(static_cast<char>(acc & 0xff));
      acc = 0;
    }
  }
  out.resize(out.size() - pad);
  return true;
}

}  // namespace

bool parse_basic_authorization(std::string_view h, std::string& user, std::string& password) {
  // The scheme is case-insensitive (RFC 7235), then one or more spaces.
  if (h.size() < 6 || strncasecmp(h.data(), "basic ", 6) != 0) return false;
  h.remove_prefix(6);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  std::string decoded;
  if (h.size() > 4096 || !base64_decode(h, decoded)) return false;
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  user = decoded.substr(0, colon);
  password = decoded.substr(colon + 1);
  return true;
}

BasicAuth::BasicAuth(std::map<std::string, std::string> users, std::vector<std::string> unauthenticated_paths,
                     Options opts)
    : users_(std::move(users)),
      exempt_(unauthenticated_paths.begin(), unauthenticated_paths.end()),
      opts_(opts),
      bucket_(opts.bcrypt_burst),
      refilled_(std::chrono::steady_clock::now()),
      crypt_buf_(std::make_unique<crypt_data>()) {}

BasicAuth::~BasicAuth() = default;

const char* BasicAuth::name(Result r) {
  switch (r) {
    case Result::Exempt: return "exempt";
    case Result::Ok: return "ok";
    case Result::Cached: return "cached";
    case Result::Missing: return "missing";
    case Result::Wrong: return "wrong";
    case Result::RateLimited: return "rate_limited";
  }
  return "unknown";
}

std::array<uint64_t, BasicAuth::kResults> BasicAuth::counts() const {
  std::array<uint64_t, kResults> out{};
  for (int i = 0; i < kResults; i++) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

BasicAuth::Result BasicAuth::count(Result r) {
  counts_[static_cast<int>(r)].fetch_add(1, std::memory_order_relaxed);
  return r;
}

BasicAuth::Result BasicAuth::check(std::string_view path, const char* authorization) {
  if (exempt_.count(std::string(path))) return count(Result::Exempt);
  std::string user, password;
  if (!authorization || !parse_basic_authorization(authorization, user, password)) return count(Result::Missing);
  return count(verify(user, password));
}

BasicAuth::Result BasicAuth::verify(const std::string& user, const std::string& password) {
  if (users_.empty()) return Result::Wrong;
  auto it = users_.find(user);
  // An unknown user costs a bcrypt like a known one (against the first user's hash, whose
  // result is ignored), so that response times do not tell which users exist.
  const std::string& hash = it != users_.end() ? it->second : users_.begin()->second;

  // The cache key is a digest of user, password and the hash they were checked against:
  // the cache never holds a password, and a pair is only ever "known good".
  Digest d{};
  {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    unsigned int len = 0;
    const char zero = 0;
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), nullptr) == 1 &&
              EVP_DigestUpdate(md, user.data(), user.size()) == 1 && EVP_DigestUpdate(md, &zero, 1) == 1 &&
              EVP_DigestUpdate(md, password.data(), password.size()) == 1 &&
              EVP_DigestUpdate(md, &zero, 1) == 1 && EVP_DigestUpdate(md, hash.data(), hash.size()) == 1 &&
              EVP_DigestFinal_ex(md, d.data(), &len) == 1 && len == d.size();
    EVP_MD_CTX_free(md);
    if (!ok) return Result::Wrong;  // no digest, no check: refuse
  }
  if (it != users_.end()) {
    std::lock_guard lock(cache_mu_);
    if (cache_.count(d)) return Result::Cached;
  }

  std::unique_lock lock(bcrypt_mu_, std::try_to_lock);
  if (!lock.owns_lock()) return Result::RateLimited;  // another check is running
  const auto start = std::chrono::steady_clock::now();
  bucket_ = std::min<std::chrono::nanoseconds>(
      opts_.bcrypt_burst,
      bucket_ + std::chrono::duration_cast<std::chrono::nanoseconds>((start - refilled_) * opts_.bcrypt_cpu_share));
  refilled_ = start;
  if (bucket_.count() <= 0) return Result::RateLimited;
  const bool match = bcrypt_matches(hash, password);
  const auto end = std::chrono::steady_clock::now();
  // Wall time, not CPU time: a check slowed down by a busy machine costs more budget.
  bucket_ -= std::chrono::duration_cast<std::chrono::nanoseconds>(end - start);
  lock.unlock();

  if (it == users_.end() || !match) return Result::Wrong;
  std::lock_guard cache_lock(cache_mu_);
  if (cache_.insert(d).second) {
    cache_order_.push_back(d);
    if (cache_order_.size() > opts_.cache_entries) {
      cache_.erase(cache_order_.front());
      cache_order_.pop_front();
    }
  }
  return Result::Ok;
}

bool BasicAuth::bcrypt_matches(const std::string& hash, const std::string& password) {
  // crypt_r() with the stored hash as the setting; libxcrypt returns a failure token
  // starting with '*' (never equal to a hash) when the setting is unusable.
  std::memset(crypt_buf_.get(), 0, sizeof(crypt_data));
  const char* out = crypt_r(password.c_str(), hash.c_str(), crypt_buf_.get());
  if (!out || std::strlen(out) != hash.size()) return false;
  // A password with a NUL byte was cut short by crypt_r(): never a match.
  if (password.find('\0') != std::string::npos) return false;
  return CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
}

}  // namespace nfct
