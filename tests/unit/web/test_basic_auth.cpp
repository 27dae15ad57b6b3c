// Basic auth against bcrypt hashes (exporter/basic_auth.h): header parsing, results, the
// cache of good passwords and the bcrypt CPU budget. No root needed.
#include <doctest/doctest.h>

#include <crypt.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "basic_auth.h"

using nfct::BasicAuth;
using Result = nfct::BasicAuth::Result;

namespace {

// A fresh bcrypt hash of `password` ($2b$, the given cost) made by libxcrypt.
std::string bcrypt(const std::string& password, int cost = 4) {
  const char* salt = crypt_gensalt("$2b$", cost, nullptr, 0);
  REQUIRE(salt);
  std::string setting = salt;
  const char* h = crypt(password.c_str(), setting.c_str());
  REQUIRE(h);
  REQUIRE(h[0] == '$');
  return h;
}

// "Basic base64(user:password)" without any library: the test's own encoder.
std::string basic(const std::string& user, const std::string& password) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string in = user + ":" + password, out;
  for (size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += i + 1 < in.size() ? a[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? a[v & 63] : '=';
  }
  return "Basic " + out;
}

}  // namespace

TEST_CASE("basic auth: Authorization header parsing") {
  std::string u, p;
  CHECK(nfct::parse_basic_authorization(basic("alice", "s3:cr:et"), u, p));
  CHECK(u == "alice");
  CHECK(p == "s3:cr:et");  // the user ends at the first colon
  CHECK(nfct::parse_basic_authorization("basic   YTpi", u, p));  // scheme case, extra spaces
  CHECK(u == "a");
  CHECK(p == "b");
  CHECK(nfct::parse_basic_authorization(basic("", ""), u, p));
  CHECK(u.empty());
  CHECK_FALSE(nfct::parse_basic_authorization("Bearer YTpi", u, p));
  CHECK_FALSE(nfct::parse_basic_authorization("Basic", u, p));
  CHECK_FALSE(nfct::parse_basic_authorization("Basic YWJj", u, p));   // "abc": no colon
  CHECK_FALSE(nfct::parse_basic_authorization("Basic YTpi=", u, p));  // bad length
  CHECK_FALSE(nfct::parse_basic_authorization("Basic YT!i", u, p));   // outside the alphabet
  CHECK_FALSE(nfct::parse_basic_authorization("Basic " + std::string(8192, 'A'), u, p));
}

TEST_CASE("basic auth: right, wrong, unknown, missing and exempt") {
  BasicAuth auth({{"alice", bcrypt("secret")}, {"bob", bcrypt("other")}}, {"/healthz"},
                 BasicAuth::Options{1.0, std::chrono::seconds(1), 16});
  CHECK(auth.check("/metrics", basic("alice", "secret").c_str()) == Result::Ok);
  CHECK(auth.check("/events", basic("alice", "secret").c_str()) == Result::Cached);
  CHECK(auth.check("/metrics", basic("bob", "other").c_str()) == Result::Ok);
  CHECK(auth.check("/metrics", basic("alice", "other").c_str()) == Result::Wrong);  // bob's password
  CHECK(auth.check("/metrics", basic("alice", "secreT").c_str()) == Result::Wrong);
  CHECK(auth.check("/metrics", basic("alice", std::string("secret\0x", 8)).c_str()) == Result::Wrong);
  CHECK(auth.check("/metrics", basic("carol", "secret").c_str()) == Result::Wrong);
  CHECK(auth.check("/metrics", nullptr) == Result::Missing);
  CHECK(auth.check("/metrics", "Basic !!!!") == Result::Missing);
  CHECK(auth.check("/healthz", nullptr) == Result::Exempt);
  CHECK(auth.check("/healthz/", nullptr) == Result::Missing);  // exact paths only
  const auto n = auth.counts();
  CHECK(n[static_cast<int>(Result::Ok)] == 2);
  CHECK(n[static_cast<int>(Result::Cached)] == 1);
  CHECK(n[static_cast<int>(Result::Wrong)] == 4);
  CHECK(n[static_cast<int>(Result::Missing)] == 3);
  CHECK(n[static_cast<int>(Result::Exempt)] == 1);
}

TEST_CASE("basic auth: the cache is bounded and keyed by the password") {
  BasicAuth auth({{"alice", bcrypt("secret")}, {"bob", bcrypt("other")}}, {}, BasicAuth::Options{1.0, std::chrono::seconds(1), 1});
  CHECK(auth.check("/", basic("alice", "secret").c_str()) == Result::Ok);
  CHECK(auth.check("/", basic("alice", "secret").c_str()) == Result::Cached);
  CHECK(auth.check("/", basic("bob", "other").c_str()) == Result::Ok);  // evicts alice (one entry)
  CHECK(auth.check("/", basic("bob", "other").c_str()) == Result::Cached);
  CHECK(auth.check("/", basic("alice", "secret").c_str()) == Result::Ok);
}

TEST_CASE("basic auth: wrong passwords beyond the bcrypt budget are refused unchecked; cached ones pass") {
  // A 1 % share and no burst: after a check that took t, nothing uncached is checked for 100 t.
  const std::string hash = bcrypt("secret", 8);
  BasicAuth limited({{"alice", hash}}, {}, BasicAuth::Options{0.01, std::chrono::nanoseconds(1), 16});
  REQUIRE(limited.check("/", basic("alice", "secret").c_str()) == Result::Ok);  // cached from here on
  const auto start = std::chrono::steady_clock::now();
  int wrong = 0, limited_n = 0;
  for (int i = 0; i < 50; i++) {
    Result r = limited.check("/", basic("alice", "guess" + std::to_string(i)).c_str());
    wrong += r == Result::Wrong;
    limited_n += r == Result::RateLimited;
    // The right password keeps passing from the cache in between, at no bcrypt cost.
    CHECK(limited.check("/", basic("alice", "secret").c_str()) == Result::Cached);
  }
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(wrong + limited_n == 50);
  CHECK(wrong == 0);  // the first check's debt (100 x its time) covers the whole loop
  CHECK(took < std::chrono::milliseconds(500));
  // A right password not yet cached is also subject to the budget: refused, not queued.
  BasicAuth second({{"alice", hash}, {"bob", bcrypt("other")}}, {}, BasicAuth::Options{0.01, std::chrono::nanoseconds(1), 16});
  CHECK(second.check("/", basic("bob", "wrong").c_str()) == Result::Wrong);
  CHECK(second.check("/", basic("alice", "secret").c_str()) == Result::RateLimited);
}

TEST_CASE("basic auth: concurrent checks are safe and agree") {
  BasicAuth auth({{"alice", bcrypt("secret")}}, {}, BasicAuth::Options{1.0, std::chrono::seconds(1), 16});
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; i++) {
        Result r = auth.check("/metrics", basic("alice", "secret").c_str());
        if (r != Result::Ok && r != Result::Cached && r != Result::RateLimited) bad++;
        Result w = auth.check("/metrics", basic("alice", "nope").c_str());
        if (w != Result::Wrong && w != Result::RateLimited) bad++;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(bad == 0);
}
