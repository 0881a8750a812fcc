// Helpers shared by the C++ examples: client options the library completes
// (environment or credentials file), an error report with every detail
// oas::Error keeps, a live progress bar on stderr with throughput, and a
// generated test file. Not part of the library.
#ifndef OAS_EXAMPLE_UTIL_HPP
#define OAS_EXAMPLE_UTIL_HPP

#include <oas.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace ex {

using Clock = std::chrono::steady_clock;

// Prints why `what` failed, with every detail that is present.
inline int report(const char* what, const oas::Error& e) {
  std::fprintf(stderr, "\nerror: %s failed: %s (oas_result %u)\n", what, std::string(e.code_str()).c_str(),
               static_cast<unsigned>(e.code()));
  std::fprintf(stderr, "  message:    %s\n", e.message().c_str());
  if (e.http_status() != 0) std::fprintf(stderr, "  HTTP:       %u\n", static_cast<unsigned>(e.http_status()));
  if (!e.server_code().empty())
    std::fprintf(stderr, "  server:     %s (%s)\n", e.server_code().c_str(), e.server_type().c_str());
  if (!e.request_id().empty()) std::fprintf(stderr, "  request id: %s\n", e.request_id().c_str());
  if (!e.upload_id().empty()) std::fprintf(stderr, "  upload id:  %s (resumable)\n", e.upload_id().c_str());
  return 1;
}

// Options whose endpoint and credentials are left empty, for the library to
// find (README, "Configuration"): environment OAS_ENDPOINT (or OAS_REGION),
// OAS_ACCESS_ID, OAS_ACCESS_KEY; ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET; or
// the oascmd credentials file ~/.oascredentials (or $OAS_CREDENTIALS_FILE).
// When none has them, oas::Client::create fails naming every source tried.
inline oas::ClientOptions options_from_env() { return oas::ClientOptions{}; }

// A progress bar for one transfer. Its callback runs on a worker thread of
// the transfer, never two calls at once; it redraws at most ten times a
// second (and at 100%), so a fast transfer is not slowed by the terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label) : label_(std::move(label)), started_(Clock::now()) {}

  oas::ProgressFn callback() {
    return [this](std::uint64_t done, std::uint64_t total) {
      done_ = done;
      total_ = total;
      const auto now = Clock::now();
      if (now - last_draw_ >= std::chrono::milliseconds(100) || done == total) {
        last_draw_ = now;
        draw(false);
      }
      return true;  // go on
    };
  }

  // Ends the line and prints the average throughput.
  void finish() {
    draw(true);
    const double secs = seconds();
    std::fprintf(stderr, "%-9s %.1f MB in %.2f s: %.1f MB/s\n", label_.c_str(), done_ / 1e6, secs,
                 secs > 0 ? done_ / 1e6 / secs : 0.0);
  }

 private:
  double seconds() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }
  void draw(bool final) const {
    const int width = 30;
    const int filled = total_ ? static_cast<int>(static_cast<double>(done_) * width / static_cast<double>(total_)) : 0;
    std::string bar(static_cast<std::size_t>(width), '.');
    for (int i = 0; i < filled && i < width; i++) bar[static_cast<std::size_t>(i)] = '#';
    const double secs = seconds();
    std::fprintf(stderr, "\r%-9s [%s] %5.1f%%  %8.1f / %.1f MB  %7.1f MB/s%s", label_.c_str(), bar.c_str(),
                 total_ ? 100.0 * static_cast<double>(done_) / static_cast<double>(total_) : 0.0, done_ / 1e6,
                 total_ / 1e6, secs > 0 ? done_ / 1e6 / secs : 0.0, final ? "\n" : "");
    std::fflush(stderr);
  }

  std::string label_;
  Clock::time_point started_, last_draw_{};
  double done_ = 0, total_ = 0;
};

// A file of `size` pseudo-random bytes in $TMPDIR, removed on destruction.
class GeneratedFile {
 public:
  explicit GeneratedFile(std::uint64_t size) {
    const char* dir = std::getenv("TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/oas-example-XXXXXX";
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');
    const int fd = mkstemp(name.data());
    if (fd < 0) {
      std::perror("creating a temporary file");
      std::exit(1);
    }
    ::close(fd);
    path_ = name.data();
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    std::vector<char> buf(1 << 16);
    std::uint64_t x = 0x9E3779B97F4A7C15ull, left = size;
    while (left > 0) {
      const std::size_t n = left < buf.size() ? static_cast<std::size_t>(left) : buf.size();
      for (std::size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = static_cast<char>(x >> 24);
      }
      out.write(buf.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
    if (!out.flush()) {
      std::perror("writing the generated file");
      std::exit(1);
    }
  }
  GeneratedFile(const GeneratedFile&) = delete;
  GeneratedFile& operator=(const GeneratedFile&) = delete;
  ~GeneratedFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ex

#endif
