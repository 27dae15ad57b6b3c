// HTTP basic auth against bcrypt hashes (basic_auth_users of the web config), with a
// cache of successful checks and a CPU budget for bcrypt so that a flood of wrong
// passwords cannot take the CPU that scrapes need.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

struct crypt_data;

namespace nfct {

class BasicAuth {
 public:
  enum class Result {
    Exempt,       // an unauthenticated path
    Ok,           // the password was verified with bcrypt just now
    Cached,       // the same user and password were verified before
    Missing,      // no (usable) Authorization: Basic header
    Wrong,        // unknown user or wrong password
    RateLimited,  // the bcrypt budget is spent: not checked, try again later
  };
  static constexpr int kResults = 6;

  struct Options {
    // A token bucket of bcrypt time: it holds at most `bcrypt_burst` and refills at
    // `bcrypt_cpu_share` seconds per second; a check may start while it is positive and
    // takes its own duration out. So bcrypt averages at most that share of one CPU, one
    // check at a time, and a few checks in a row (a user who mistyped) are not held up.
    // Checks beyond the budget are RateLimited at once rather than queued, so that a
    // flood holds no HTTP worker thread either.
    double bcrypt_cpu_share = 0.25;
    std::chrono::nanoseconds bcrypt_burst = std::chrono::seconds(1);
    size_t cache_entries = 256;  // successful (user, password) pairs remembered
  };

  BasicAuth(std::map<std::string, std::string> users, std::vector<std::string> unauthenticated_paths,
            Options opts);
  BasicAuth(std::map<std::string, std::string> users, std::vector<std::string> unauthenticated_paths)
      : BasicAuth(std::move(users), std::move(unauthenticated_paths), Options{}) {}
  ~BasicAuth();
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  // `authorization`: the header's value, or nullptr when the request has none.
  // Thread-safe; never throws.
  Result check(std::string_view path, const char* authorization);

  static bool allowed(Result r) { return r == Result::Exempt || r == Result::Ok || r == Result::Cached; }
  static const char* name(Result r);
  // How many checks ended with each result, indexed by Result.
  std::array<uint64_t, kResults> counts() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  Result verify(const std::string& user, const std::string& password);
  bool bcrypt_matches(const std::string& hash, const std::string& password);
  Result count(Result r);

  const std::map<std::string, std::string> users_;
  const std::set<std::string> exempt_;
  const Options opts_;

  std::mutex cache_mu_;
  std::set<Digest> cache_;
  std::deque<Digest> cache_order_;  // oldest first, for eviction

  std::mutex bcrypt_mu_;  // one bcrypt at a time; held only with try_lock; guards the bucket
  std::chrono::nanoseconds bucket_;
  std::chrono::steady_clock::time_point refilled_;
  std::unique_ptr<crypt_data> crypt_buf_;  // ~32 KiB of crypt_r() state, under bcrypt_mu_

  std::array<std::atomic<uint64_t>, kResults> counts_{};
};

// RFC 7617 credentials from an Authorization header value ("Basic base64(user:password)");
// false when it is not that.
bool parse_basic_authorization(std::string_view header, std::string& user, std::string& password);

}  // namespace nfct
