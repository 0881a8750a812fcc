// Checks shared by the C++ tests. The same sources build with and without
// exceptions, so the checks read Results with ok()/error() only; what is
// specific to one mode sits under `#if OAS_HPP_EXCEPTIONS`.
#ifndef OAS_CPP_TEST_HPP
#define OAS_CPP_TEST_HPP

#include "oas.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <optional>
#include <unistd.h>
#include <vector>

namespace t {

inline int failures = 0;

constexpr std::uint64_t MIB = 1024 * 1024;
// Which build this is (names of the vaults it makes, so that runs differ).
#if OAS_HPP_EXCEPTIONS
inline const char* const MODE = "exc";
#else
inline const char* const MODE = "noexc";
#endif

inline void fail(const char* file, int line, const std::string& what) {
  std::fprintf(stderr, "%s:%d: %s\n", file, line, what.c_str());
  failures++;
}

#define CHECK(cond)                                                         \
  do {                                                                      \
    if (!(cond)) t::fail(__FILE__, __LINE__, std::string("CHECK failed: ") + #cond); \
  } while (0)

#define CHECK_EQ(a, b)                                                                     \
  do {                                                                                     \
    const auto& a_ = (a);                                                                  \
    const auto& b_ = (b);                                                                  \
    if (!(a_ == b_)) t::fail(__FILE__, __LINE__, std::string(#a " == " #b " failed: ") +   \
                                                   t::show(a_) + " vs " + t::show(b_));    \
  } while (0)

inline std::string show(const std::string& s) { return "\"" + s + "\""; }
inline std::string show(std::string_view s) { return "\"" + std::string(s) + "\""; }
inline std::string show(const char* s) { return "\"" + std::string(s) + "\""; }
inline std::string show(bool b) { return b ? "true" : "false"; }
template <class N>
std::string show(const N& n) {
  return std::to_string(n);
}

// The value of a Result that must succeed; on failure reports the error and
// ends the test (later steps would only fail for the same reason).
template <class T>
T must_(oas::Result<T> r, const char* what, const char* file, int line) {
  if (!r.ok()) {
    fail(file, line, std::string(what) + " failed: " + r.error().details());
    std::fprintf(stderr, "%d failure(s)\n", failures);
    std::exit(1);
  }
  if constexpr (!std::is_void_v<T>) return std::move(r).value();
}
#define MUST(expr) t::must_((expr), #expr, __FILE__, __LINE__)

// A Result that must fail with `code`; returns its error (or an empty
// optional after reporting, when it succeeded or failed differently).
template <class T>
std::optional<oas::Error> fails_(const oas::Result<T>& r, oas::ResultCode code, const char* what, const char* file,
                                 int line) {
  if (r.ok()) {
    fail(file, line, std::string(what) + " succeeded, expected code " + std::to_string(code));
    return std::nullopt;
  }
  if (r.error().code() != code) {
    fail(file, line, std::string(what) + ": code " + std::to_string(r.error().code()) + ", expected " +
                         std::to_string(code) + ": " + r.error().details());
    return std::nullopt;
  }
  if (r.error().message().empty()) fail(file, line, std::string(what) + ": empty message");
  return r.error();
}
#define FAILS(expr, code) t::fails_((expr), (code), #expr, __FILE__, __LINE__)

// Pseudo-random bytes (xorshift), so the data does not compress.
inline std::string bytes(std::size_t n, std::uint64_t seed = 0x9E3779B97F4A7C15ull) {
  std::string s(n, '\0');
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x >> 24);
  }
  return s;
}

// A temporary file, removed (with a download journal) on destruction.
class TempFile {
 public:
  explicit TempFile(const std::string& content = {}) {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/oas-cpp-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    const int fd = mkstemp(buf.data());
    if (fd < 0) {
      std::perror("mkstemp");
      std::exit(2);
    }
    path_ = buf.data();
    std::size_t off = 0;
    while (off < content.size()) {
      const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
      if (n <= 0) {
        std::perror("write");
        std::exit(2);
      }
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::remove(path_.c_str());
    std::remove((path_ + ".oas").c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// Exits (2) unless the emulator of a fixture is given (tests/c/with_emulator.sh).
inline void require_emulator() {
  if (!std::getenv("OAS_ENDPOINT") || !std::getenv("OAS_ACCESS_ID") || !std::getenv("OAS_ACCESS_KEY")) {
    std::fprintf(stderr, "run through tests/c/with_emulator.sh (OAS_ENDPOINT & co. unset)\n");
    std::exit(2);
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
}

// Options for that emulator: 1 MiB parts, 2 workers, short retry delays.
inline oas::ClientOptions emulator_options() {
  oas::ClientOptions o;
  o.endpoint = std::getenv("OAS_ENDPOINT");
  o.access_id = std::getenv("OAS_ACCESS_ID");
  o.access_key = std::getenv("OAS_ACCESS_KEY");
  o.part_size = MIB;
  o.workers = 2;
  o.retry_base_delay = std::chrono::milliseconds(10);
  return o;
}

inline int finish(const char* name) {
  if (failures == 0) {
    std::printf("%s: all checks passed\n", name);
    return 0;
  }
  std::fprintf(stderr, "%s: %d failure(s)\n", name, failures);
  return 1;
}

}  // namespace t

#endif
