/*
 * liboas: header-only C++17 layer over the C API of include/oas.h.
 *
 * Nothing C++ is compiled into liboas: this header only adds idiom (RAII,
 * std::string / std::string_view / std::optional / std::vector,
 * std::function callbacks, an error type) on top of the C calls, and links
 * against the same liboas.so. It is not generated; the C header is.
 *
 * ERRORS: ONE API FOR BUILDS WITH AND WITHOUT EXCEPTIONS
 *   Every fallible call returns `oas::Result<T>` (`Result<void>` when there is
 *   no value), with or without exceptions. A Result holds either the value or
 *   an `oas::Error` (derived from std::runtime_error) with everything the
 *   library knows about the failure: result code, kind, HTTP status, server
 *   code / type / message, request id, response headers, upload id.
 *     - `r.ok()` / `if (r)`, `r.error()`, `*r`, `r->`, `r.value_or(x)`;
 *     - `r.value()`: the value; on failure it THROWS the oas::Error when the
 *       translation unit is built with exceptions (as oas::NotFoundError or
 *       oas::QuotaExceededError, both derived from oas::Error, for those two
 *       codes), and prints the error to stderr and calls std::abort() when it
 *       is built without (so check `ok()` first in -fno-exceptions code, and
 *       `error().not_found()` / `error().quota_exceeded()` there).
 *   Code written with `ok()` / `error()` compiles and behaves the same in
 *   both modes; code that prefers exceptions writes
 *   `auto id = vault.upload_archive(path).value();`. Result is [[nodiscard]],
 *   so an unchecked failure is a compiler warning, never silent.
 *   The mode is taken from the compiler (`__cpp_exceptions`); define
 *   OAS_HPP_NO_EXCEPTIONS before including this header to force the
 *   no-exceptions behaviour in a build that has exceptions. The two modes
 *   live in different inline namespaces (oas::v0_exc / oas::v0_noexc), so
 *   translation units built either way can be linked into one program.
 *   oas.hpp itself throws nothing else on purpose (std::bad_alloc aside).
 *
 * ARGUMENTS AND RESULTS
 *   Strings go in as std::string_view and are copied into NUL-terminated
 *   buffers for the C call (a view containing a NUL byte is refused with
 *   OAS_RESULT_INVALID_ARGUMENT before any request, instead of being cut).
 *   Optional strings are std::optional<std::string_view> (std::nullopt = NULL
 *   in C). Strings come out as std::string copies, owned by the caller; lists
 *   come out as std::vector; optional numbers and ranges as std::optional.
 *
 * OWNERSHIP
 *   Client, Vault, Uploader, Job, Inventory and StreamingEtag are move-only
 *   RAII handles: the destructor frees the C handle. A moved-from handle is
 *   empty but safe: its getters return "" / 0 / the "unknown" value, and its
 *   fallible calls return OAS_RESULT_NULL_ARGUMENT errors. Handles made from a
 *   client keep their own reference to it (the Client may be destroyed
 *   first). Items of a list (Vault::list_all, list_all_jobs,
 *   list_all_multipart_uploads) share ownership of the C list they came from;
 *   the list is freed with its last item.
 *
 * THREADS
 *   As for the C handles (each class says which calls may run concurrently):
 *   a Client may be shared by reference between threads; a Vault's getters
 *   may be called from any thread; an Uploader or Job runs one transfer at a
 *   time, while other threads may read its progress and stop it. Errors are
 *   plain values and may be passed between threads. Progress callbacks run on
 *   a worker thread of the transfer, never two at once; the log callback may
 *   run on any thread, several at once. Read and write callbacks (ReadFn,
 *   WriteFn, and the std::istream / std::ostream calls built on them) run on
 *   the calling thread. An exception thrown by a progress, read or write
 *   callback never crosses the library's C frames: it is caught in the
 *   trampoline, the transfer is stopped, and the exception is rethrown to the
 *   caller once the C call has returned (exceptions mode only, of course).
 */
#ifndef OAS_HPP
#define OAS_HPP

#include "oas.h"

#if __cplusplus < 201703L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 201703L)
#error "oas.hpp needs C++17 (e.g. -std=c++17)"
#endif

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#if defined(OAS_HPP_NO_EXCEPTIONS)
#define OAS_HPP_EXCEPTIONS 0
#elif defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define OAS_HPP_EXCEPTIONS 1
#else
#define OAS_HPP_EXCEPTIONS 0
#endif

/* Written for the C API 0.2 (oas.h of the same liboas). */
#if OAS_VERSION_MAJOR == 0 && OAS_VERSION_MINOR < 2
#error "oas.hpp needs oas.h 0.2 or later"
#endif
/* For code that must also build with older copies of this header. */
#define OAS_HPP_C_API_2 1

namespace oas {
#if OAS_HPP_EXCEPTIONS
inline namespace v0_exc {
#else
inline namespace v0_noexc {
#endif

/// Result code of the C API (`OAS_RESULT_*`, see oas.h).
using ResultCode = oas_result;

/// An inclusive byte range `start..=end` (the C `oas_byte_range`).
using ByteRange = oas_byte_range;

/// Broad category of a failure (the C `OAS_ERROR_KIND_*`).
enum class ErrorKind : std::uint32_t {
  None = OAS_ERROR_KIND_NONE,           ///< no error
  Client = OAS_ERROR_KIND_CLIENT,       ///< arguments, local files, operation state
  Server = OAS_ERROR_KIND_SERVER,       ///< the server answered with an error
  Transport = OAS_ERROR_KIND_TRANSPORT, ///< no usable answer from the network
  Integrity = OAS_ERROR_KIND_INTEGRITY, ///< data did not match its digest
  Cancelled = OAS_ERROR_KIND_CANCELLED, ///< stopped by the caller
  Internal = OAS_ERROR_KIND_INTERNAL,   ///< a bug in the library
};

/// Message levels of the log callback (the C `OAS_LOG_*`).
enum class LogLevel : std::uint32_t {
  Error = OAS_LOG_ERROR,
  Warn = OAS_LOG_WARN,
  Info = OAS_LOG_INFO,
  Debug = OAS_LOG_DEBUG,
  Trace = OAS_LOG_TRACE,
};

/// Static English text for a result code (never empty). Any thread.
inline std::string_view result_str(ResultCode code) noexcept { return oas_result_str(code); }

/// The library's version text, e.g. "0.2.0" (static). Any thread.
inline std::string_view version() noexcept { return oas_version(); }

/// The library's version number, major * 10000 + minor * 100 + patch. Any thread.
inline std::uint32_t version_number() noexcept { return oas_version_number(); }

/// One response header of a server error (name in lower case).
struct Header {
  std::string name;
  std::string value;
};

/// A failed call. Derived from std::runtime_error (`what()` is the message);
/// a plain value: copying is cheap and never throws, any thread may read it.
class Error : public std::runtime_error {
 public:
  /// An error made on the C++ side (e.g. a NUL byte in a string argument).
  Error(ResultCode code, std::string message) : Error(make(code, std::move(message))) {}

  /// The calling thread's last C error (`oas_last_error()`) for a C call
  /// that returned `code`, copied whole. Call it right after the failed C
  /// call, before the thread's next fallible `oas_*` call. For callers that
  /// mix C calls with this header.
  static Error from_last_error(ResultCode code) {
    const oas_error* e = oas_last_error();
    auto d = std::make_shared<Data>();
    d->code = e != nullptr ? oas_error_code(e) : code;
    d->kind = e != nullptr ? static_cast<ErrorKind>(oas_error_kind(e)) : kind_of(d->code);
    d->http_status = oas_error_http_status(e);
    d->message = text(oas_error_message(e));
    d->server_code = text(oas_error_server_code(e));
    d->server_type = text(oas_error_server_type(e));
    d->request_id = text(oas_error_request_id(e));
    d->server_message = text(oas_error_server_message(e));
    d->upload_id = text(oas_error_upload_id(e));
    const std::size_t n = oas_error_header_count(e);
    d->headers.reserve(n);
    for (std::size_t i = 0; i < n; i++)
      d->headers.push_back(Header{text(oas_error_header_name(e, i)), text(oas_error_header_value(e, i))});
    if (d->message.empty()) d->message = std::string(result_str(d->code));
    return Error(std::move(d));
  }

  /// The result code (`OAS_RESULT_*`), never OAS_RESULT_OK.
  ResultCode code() const noexcept { return d_->code; }
  /// Static text of the code (`oas_result_str`).
  std::string_view code_str() const noexcept { return result_str(d_->code); }
  /// The broad category.
  ErrorKind kind() const noexcept { return d_->kind; }
  /// HTTP status of a server error; 0 otherwise.
  std::uint16_t http_status() const noexcept { return d_->http_status; }
  /// The library's description naming what failed (never empty, no secrets).
  const std::string& message() const noexcept { return d_->message; }
  /// The server's error `code` (e.g. "InvalidDigest"); "" when not a server error.
  const std::string& server_code() const noexcept { return d_->server_code; }
  /// The server's error `type` ("client" / "server"); "" when absent.
  const std::string& server_type() const noexcept { return d_->server_type; }
  /// The server's own `message` text; "" when absent.
  const std::string& server_message() const noexcept { return d_->server_message; }
  /// The `x-oas-request-id` of the failed request; "" when absent.
  const std::string& request_id() const noexcept { return d_->request_id; }
  /// The multipart upload a failed or stopped upload_archive / upload_fd
  /// left on the server (resume it with Vault::recover_uploader); "" if none
  ///.
  const std::string& upload_id() const noexcept { return d_->upload_id; }
  /// True when what the call names does not exist (OAS_RESULT_NOT_FOUND: a
  /// 404 or `...NotExists` answer, or a lookup by name that found nothing).
  bool not_found() const noexcept { return d_->code == OAS_RESULT_NOT_FOUND; }
  /// True when the account reached a service quota (OAS_RESULT_QUOTA_EXCEEDED:
  /// the 11th vault of an account in a region, `TooManyVaults`).
  bool quota_exceeded() const noexcept { return d_->code == OAS_RESULT_QUOTA_EXCEEDED; }
  /// Every response header of a server error, in the order received (empty for other errors).
  const std::vector<Header>& headers() const noexcept { return d_->headers; }
  /// The value of response header `name` (compared case-insensitively).
  std::optional<std::string> header(std::string_view name) const {
    for (const Header& h : d_->headers)
      if (iequal(h.name, name)) return h.value;
    return std::nullopt;
  }
  /// One line with every detail that is present, for logs and reports.
  std::string details() const {
    std::string s = message();
    s += " (";
    s += code_str();
    s += ", code " + std::to_string(code());
    if (http_status() != 0) s += ", HTTP " + std::to_string(http_status());
    if (!server_code().empty()) s += ", server " + server_code() + "/" + server_type();
    if (!request_id().empty()) s += ", request id " + request_id();
    if (!upload_id().empty()) s += ", upload id " + upload_id();
    s += ")";
    return s;
  }

 private:
  struct Data {
    ResultCode code = OAS_RESULT_OK;
    ErrorKind kind = ErrorKind::None;
    std::uint16_t http_status = 0;
    std::string message, server_code, server_type, server_message, request_id, upload_id;
    std::vector<Header> headers;
  };

  explicit Error(std::shared_ptr<const Data> d) : std::runtime_error(d->message), d_(std::move(d)) {}

  static std::shared_ptr<const Data> make(ResultCode code, std::string message) {
    auto d = std::make_shared<Data>();
    d->code = code;
    d->kind = kind_of(code);
    d->message = message.empty() ? std::string(result_str(code)) : std::move(message);
    return d;
  }
  // The kind of a code, by its block, for errors made on the C++ side (the
  // C library derives it the same way, see oas.h `oas_error_kind_t`).
  static ErrorKind kind_of(ResultCode code) noexcept {
    switch (code / 100) {
      case 0: return code == 0 ? ErrorKind::None : ErrorKind::Internal;
      case 1: case 2: case 6: return ErrorKind::Client;
      case 3: return ErrorKind::Transport;
      case 4: return ErrorKind::Server;
      case 5: return ErrorKind::Integrity;
      case 7: return ErrorKind::Cancelled;
      default: return ErrorKind::Internal;
    }
  }
  static std::string text(const char* s) { return s != nullptr ? std::string(s) : std::string(); }
  static bool iequal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); i++) {
      char x = a[i], y = b[i];
      if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
      if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
      if (x != y) return false;
    }
    return true;
  }

  std::shared_ptr<const Data> d_;
};

/// The oas::Error that Result::value() throws for OAS_RESULT_NOT_FOUND (what
/// the call names does not exist), so that `catch (const oas::NotFoundError&)`
/// picks out that case; `catch (const oas::Error&)` still catches it. Without
/// exceptions, test `error().not_found()`.
class NotFoundError : public Error {
 public:
  explicit NotFoundError(const Error& e) : Error(e) {}
};

/// The oas::Error that Result::value() throws for OAS_RESULT_QUOTA_EXCEEDED
/// (a service quota, e.g. the 10 vaults per account and region). Without
/// exceptions, test `error().quota_exceeded()`.
class QuotaExceededError : public Error {
 public:
  explicit QuotaExceededError(const Error& e) : Error(e) {}
};

namespace detail {
[[noreturn]] inline void fatal(const char* what, const std::string& detail) noexcept {
  std::fprintf(stderr, "oas.hpp: %s: %s\n", what, detail.c_str());
  std::abort();
}
[[noreturn]] inline void raise(const Error& e) {
#if OAS_HPP_EXCEPTIONS
  if (e.not_found()) throw NotFoundError(e);
  if (e.quota_exceeded()) throw QuotaExceededError(e);
  throw e;
#else
  fatal("Result::value() on a failed call (built without exceptions: check ok() first)", e.details());
#endif
}
}  // namespace detail

/// A value of type T or the oas::Error of a failed call (see the top of this
/// file). Move-only when T is. Not synchronised: one thread at a time.
template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  /// A success holding `value`.
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  /// A failure holding `error`.
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  /// True on success.
  bool ok() const noexcept { return v_.index() == 0; }
  /// True on success.
  explicit operator bool() const noexcept { return ok(); }

  /// The value; on failure throws the Error (exceptions mode) or aborts.
  T& value() & {
    check();
    return *std::get_if<0>(&v_);
  }
  /// The value; on failure throws the Error (exceptions mode) or aborts.
  const T& value() const& {
    check();
    return *std::get_if<0>(&v_);
  }
  /// The value, moved out; on failure throws the Error (exceptions mode) or aborts.
  T value() && {
    check();
    return std::move(*std::get_if<0>(&v_));
  }
  /// The value, or `fallback` on failure.
  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
  }
  /// The value (moved out), or `fallback` on failure.
  template <class U>
  T value_or(U&& fallback) && {
    return ok() ? std::move(*std::get_if<0>(&v_)) : static_cast<T>(std::forward<U>(fallback));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error. Precondition: `!ok()` (aborts otherwise).
  const Error& error() const& {
    if (ok()) detail::fatal("Result::error()", "called on a successful result");
    return *std::get_if<1>(&v_);
  }

 private:
  void check() const {
    if (!ok()) detail::raise(*std::get_if<1>(&v_));
  }
  std::variant<T, Error> v_;
};

/// Success without a value, or the oas::Error of a failed call.
template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;
  /// A success.
  Result() noexcept = default;
  /// A failure holding `error`.
  Result(Error error) : e_(std::move(error)) {}
  bool ok() const noexcept { return !e_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  /// Nothing on success; on failure throws the Error (exceptions mode) or aborts.
  void value() const {
    if (e_) detail::raise(*e_);
  }
  /// The error. Precondition: `!ok()` (aborts otherwise).
  const Error& error() const& {
    if (!e_) detail::fatal("Result::error()", "called on a successful result");
    return *e_;
  }

 private:
  std::optional<Error> e_;
};

/// A progress callback: `(done, total)` bytes (`total` 0 when unknown).
/// Return true to go on, false to stop the transfer (it then fails with
/// OAS_RESULT_CANCELLED; a multipart upload stays resumable). Runs on a
/// worker thread of the transfer, never two calls at once, at least every
/// 1 MiB or 250 ms; the function object is borrowed for the duration of the
/// call that was given it.
using ProgressFn = std::function<bool(std::uint64_t done, std::uint64_t total)>;

/// The log callback: level, target (emitting module, e.g. "oas::uploader")
/// and message, both views valid during the call only. May run on any
/// thread, several calls at once: it must be thread-safe. An exception it
/// throws is caught and dropped (that message is lost).
using LogFn = std::function<void(LogLevel level, std::string_view target, std::string_view message)>;

/// A read callback of Vault::upload_callback: fills up to `len` bytes at
/// `buf` and returns how many it wrote (short reads are fine), 0 at the end
/// of the stream, or a negative value for an error (the upload then fails
/// with OAS_RESULT_IO). Runs on the thread that called upload_callback, one
/// call at a time. An exception it throws stops the upload and is rethrown
/// once the C call returned.
using ReadFn = std::function<std::int64_t(std::uint8_t* buf, std::size_t len)>;

/// A write callback of Job::download_to_callback: receives `len` bytes at
/// `buf` (valid during the call only) that have passed their check. Return
/// true to go on, false to stop the download (OAS_RESULT_CANCELLED). Runs on
/// the thread that called download_to_callback, one call at a time. An
/// exception it throws stops the download and is rethrown once the C call
/// returned.
using WriteFn = std::function<bool(const std::uint8_t* buf, std::size_t len)>;

/// Options of an upload (all unset = the client's).
struct UploadOptions {
  /// Multipart part size (a multiple of 1 MiB; fixed when an Uploader is initiated).
  std::optional<std::uint64_t> part_size;
  /// Largest file sent in one request.
  std::optional<std::uint64_t> upload_threshold;
  /// Bandwidth limit in bytes per second.
  std::optional<std::uint64_t> bandwidth_limit;
  /// Parallel workers.
  std::optional<std::uint32_t> workers;
  /// Progress of this upload; empty = none.
  ProgressFn progress;
};

/// How `Job::wait` (and a download with `block`) polls.
struct WaitOptions {
  /// First interval between polls (unset = the library's schedule).
  std::optional<std::chrono::milliseconds> first_interval;
  /// Longest interval between polls (unset = the library's).
  std::optional<std::chrono::milliseconds> max_interval;
  /// Give up after this long with OAS_RESULT_WAIT_TIMEOUT (unset = never).
  std::optional<std::chrono::milliseconds> timeout;
};

/// Options of a download (all unset = the client's). They apply to the one
/// call they are given to.
struct DownloadOptions {
  /// Size of the parallel ranges (a multiple of 1 MiB; unset = the client's
  /// download_range_size, whose 0 is the SDK's plan).
  std::optional<std::uint64_t> range_size;
  /// Bandwidth limit in bytes per second.
  std::optional<std::uint64_t> bandwidth_limit;
  /// Parallel workers.
  std::optional<std::uint32_t> workers;
  /// How a `block` download waits for the job.
  WaitOptions wait;
  /// Progress of this download; empty = none.
  ProgressFn progress;
};

/// Options of Vault::purge (all unset = the defaults).
struct PurgeOptions {
  /// Archives deleted in parallel (unset = the client's workers).
  std::optional<std::uint32_t> workers;
  /// A succeeded inventory job at most this old is reused (unset = 24 h).
  std::optional<std::chrono::seconds> max_inventory_age;
  /// How to wait for the inventory job (the real service takes hours).
  WaitOptions wait;
  /// Where the inventory is downloaded (unset = the system temp directory).
  std::optional<std::string> work_dir;
  /// Delete the archives but keep the vault.
  bool keep_vault = false;
  /// `(archives handled, archives listed)` after each archive, from a worker
  /// thread, never two calls at once, `done` growing; false stops the purge
  /// (OAS_RESULT_CANCELLED). Empty = none.
  ProgressFn progress;
};

/// What Vault::purge did (the C `oas_purge_report`).
struct PurgeReport {
  std::uint64_t uploads_aborted = 0;        ///< multipart uploads in progress aborted
  std::uint64_t archives_listed = 0;        ///< archives the inventory lists
  std::uint64_t archives_deleted = 0;       ///< archives this call deleted
  std::uint64_t archives_already_gone = 0;  ///< archives deleted before (e.g. by an earlier run)
  std::uint64_t archives_failed = 0;        ///< deletes that failed after the retries (logged at WARN)
  bool vault_deleted = false;               ///< the vault itself is gone
};

/// Client configuration. Unset fields take the library's defaults (see
/// oas_client_options in oas.h). An empty endpoint, access id or access key
/// is completed by the library from the environment (OAS_ENDPOINT or
/// OAS_REGION, OAS_ACCESS_ID, OAS_ACCESS_KEY; ALIBABA_CLOUD_ACCESS_KEY_ID /
/// _SECRET) or the oascmd credentials file (~/.oascredentials), see README
/// "Configuration"; what is set always wins.
struct ClientOptions {
  std::string endpoint;    ///< `http://host[:port]` or `https://host[:port]`; empty = resolved (see region_endpoint)
  std::string access_id;   ///< access key id; empty = resolved
  std::string access_key;  ///< access key secret (never logged); empty = resolved
  std::optional<std::chrono::milliseconds> connect_timeout;  ///< default 10 s
  std::optional<std::chrono::milliseconds> read_timeout;     ///< default 100 s
  std::optional<std::uint32_t> retry_max_attempts;           ///< default 5
  std::optional<std::chrono::milliseconds> retry_base_delay; ///< default 200 ms
  std::optional<std::chrono::milliseconds> retry_max_delay;  ///< default 20 s
  std::optional<std::uint32_t> workers;                      ///< per transfer, default 16
  std::optional<std::uint64_t> upload_threshold;             ///< default 64 MiB
  std::optional<std::uint64_t> part_size;                    ///< default: the SDK rule
  std::optional<std::uint64_t> download_range_size;          ///< default: the SDK plan
  std::optional<std::uint64_t> bandwidth_limit;              ///< bytes/s per transfer, default none
  std::optional<std::string> proxy;                          ///< default none
  std::optional<std::string> ca_file;                        ///< extra PEM CA bundle
  std::optional<bool> verify_tls;                            ///< default true
  std::optional<std::string> user_agent;                     ///< default liboas/<version>
  /// `x-oas-version` value; default `0.2.5` (what the official SDKs send;
  /// the API manual's examples show `2014-01-01`).
  std::optional<std::string> protocol_version;
  /// Default OSS host of Vault::pull_from_oss / push_to_oss given an empty
  /// `oss_host` (default: the credentials file's `osshost` when that file
  /// completed the options).
  std::optional<std::string> oss_host;
};

/// Both digests of some data: upper-case hex; the tree etag of no data is "".
struct Digests {
  std::string etag;       ///< content etag (MD5 of the payload)
  std::string tree_etag;  ///< tree etag (spec §3)
};

/// One entry of an inventory.
struct InventoryArchive {
  std::string id;             ///< ArchiveId
  std::string description;    ///< ArchiveDescription
  std::string creation_date;  ///< CreationDate (RFC 1123)
  std::string tree_etag;      ///< TreeEtag
  std::uint64_t size = 0;     ///< Size in bytes
};

namespace detail {

// A string argument copied into a NUL-terminated buffer for C.
class CStr {
 public:
  CStr(std::string_view s, const char* name) : s_(s), name_(name), bad_(s.find('\0') != std::string_view::npos) {}
  const char* get() const noexcept { return s_.c_str(); }
  const char* bad() const noexcept { return bad_ ? name_ : nullptr; }

 private:
  std::string s_;
  const char* name_;
  bool bad_;
};

// An optional string argument: NULL in C when absent.
class OptCStr {
 public:
  OptCStr(std::optional<std::string_view> s, const char* name) : name_(name) {
    if (s) {
      bad_ = s->find('\0') != std::string_view::npos;
      s_.emplace(*s);
    }
  }
  const char* get() const noexcept { return s_ ? s_->c_str() : nullptr; }
  const char* bad() const noexcept { return bad_ ? name_ : nullptr; }

 private:
  std::optional<std::string> s_;
  const char* name_;
  bool bad_ = false;
};

// The error for the first argument holding a NUL byte, if any.
template <class... A>
std::optional<Error> nul_check(const A&... args) {
  const char* bad = nullptr;
  ((bad = bad != nullptr ? bad : args.bad()), ...);
  if (bad == nullptr) return std::nullopt;
  return Error(OAS_RESULT_INVALID_ARGUMENT, std::string("argument `") + bad + "` contains a NUL byte");
}

inline std::string str(const char* s) { return s != nullptr ? std::string(s) : std::string(); }

// Takes a string the library handed over (freed with oas_string_free).
inline std::string take(char* s) {
  std::string r = str(s);
  oas_string_free(s);
  return r;
}

inline Error last(ResultCode rc) { return Error::from_last_error(rc); }

// A move-only owner of a C handle (a shared_ptr inside, so list items can
// share their list; copying is deliberately not offered).
template <class T>
class Handle {
 public:
  Handle() noexcept = default;
  explicit Handle(std::shared_ptr<T> p) noexcept : p_(std::move(p)) {}
  Handle(Handle&&) noexcept = default;
  Handle& operator=(Handle&&) noexcept = default;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() = default;
  T* get() const noexcept { return p_.get(); }

 private:
  std::shared_ptr<T> p_;
};

// Catches what a user's callback throws inside a C callback (it must not
// unwind through the library's C frames) and keeps it, so that rethrow()
// can throw it to the caller once the C call has returned.
class Trap {
 public:
  // Runs `f()`; returns `stop` instead when it throws, or when an earlier
  // call threw (the callback is not called again).
  template <class R, class F>
  R guard(R stop, F&& f) noexcept {
#if OAS_HPP_EXCEPTIONS
    if (error_) return stop;
    try {
      return f();
    } catch (...) {
      error_ = std::current_exception();
      return stop;
    }
#else
    (void)stop;
    return f();
#endif
  }
  void rethrow() {
#if OAS_HPP_EXCEPTIONS
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
#endif
  }

 private:
#if OAS_HPP_EXCEPTIONS
  std::exception_ptr error_;
#endif
};

// The state behind one C callback of one call: the user's function (or
// none) and the Trap for what it throws; C gets userdata() as `userdata`.
// The user's exception is caught there (it must not unwind through the C
// frames), stops the transfer, and is rethrown by rethrow() after the C call
// returned.
template <class Fn>
class Bridge {
 public:
  explicit Bridge(const Fn& fn) noexcept : fn_(fn ? &fn : nullptr) {}
  Bridge(const Bridge&) = delete;
  Bridge& operator=(const Bridge&) = delete;
  void* userdata() noexcept { return fn_ != nullptr ? this : nullptr; }
  void rethrow() { trap_.rethrow(); }

 protected:
  bool empty() const noexcept { return fn_ == nullptr; }
  // Runs `f(user's function)` for the C callback given `userdata`; `stop`
  // when it throws or threw before.
  template <class R, class F>
  static R call(void* userdata, R stop, F&& f) noexcept {
    auto* self = static_cast<Bridge*>(userdata);
    return self->trap_.guard(stop, [&] { return f(*self->fn_); });
  }

 private:
  const Fn* fn_;
  Trap trap_;
};

// A ProgressFn as oas_progress_fn for one call.
class ProgressCall : public Bridge<ProgressFn> {
 public:
  using Bridge::Bridge;
  oas_progress_fn fn() const noexcept { return empty() ? nullptr : &trampoline; }

 private:
  static int trampoline(void* userdata, std::uint64_t done, std::uint64_t total) noexcept {
    return call(userdata, 1, [&](const ProgressFn& f) { return f(done, total) ? 0 : 1; });
  }
};

// A ReadFn as oas_read_fn for one call.
class ReadCall : public Bridge<ReadFn> {
 public:
  using Bridge::Bridge;
  oas_read_fn fn() const noexcept { return empty() ? nullptr : &trampoline; }

 private:
  static std::int64_t trampoline(void* userdata, std::uint8_t* buf, std::size_t len) noexcept {
    return call(userdata, std::int64_t{-1}, [&](const ReadFn& f) { return f(buf, len); });
  }
};

// A WriteFn as oas_write_fn for one call.
class WriteCall : public Bridge<WriteFn> {
 public:
  using Bridge::Bridge;
  oas_write_fn fn() const noexcept { return empty() ? nullptr : &trampoline; }

 private:
  static int trampoline(void* userdata, const std::uint8_t* buf, std::size_t len) noexcept {
    return call(userdata, 1, [&](const WriteFn& f) { return f(buf, len) ? 0 : 1; });
  }
};

// The C upload options for one call.
inline std::optional<Error> upload_options(const UploadOptions& o, ProgressCall& progress, oas_upload_options& c) {
  const ResultCode rc = oas_upload_options_init(&c, sizeof c);
  if (rc != OAS_RESULT_OK) return last(rc);
  c.part_size = o.part_size.value_or(0);
  c.upload_threshold = o.upload_threshold.value_or(0);
  c.bandwidth_limit = o.bandwidth_limit.value_or(0);
  c.workers = o.workers.value_or(0);
  c.progress = progress.fn();
  c.userdata = progress.userdata();
  return std::nullopt;
}

// Runs one upload call with the per-call options and the progress bridge:
// `call(options, archive_id_out)`; gives the archive id.
template <class F>
Result<std::string> upload_call(const UploadOptions& opts, F&& call) {
  ProgressCall progress(opts.progress);
  char* out = nullptr;
  oas_upload_options c;
  if (auto e = upload_options(opts, progress, c)) return *e;
  const ResultCode rc = call(&c, &out);
  progress.rethrow();
  if (rc != OAS_RESULT_OK) return last(rc);
  return take(out);
}

// The process-wide log callback's state. Never destroyed: the C library may
// still call the trampoline from its threads while the program exits.
struct LogSlot {
  std::mutex set_mutex;  // serialises set_log_callback
  std::mutex mutex;      // guards fn
  std::shared_ptr<const LogFn> fn;
};
inline LogSlot& log_slot() {
  static LogSlot* slot = new LogSlot();
  return *slot;
}
inline void log_trampoline(void* userdata, std::uint32_t level, const char* target, const char* message) noexcept {
  auto* slot = static_cast<LogSlot*>(userdata);
  std::shared_ptr<const LogFn> fn;
  {
    std::lock_guard<std::mutex> lock(slot->mutex);
    fn = slot->fn;
  }
  if (!fn || !*fn) return;
#if OAS_HPP_EXCEPTIONS
  try {
    (*fn)(static_cast<LogLevel>(level), target != nullptr ? target : "", message != nullptr ? message : "");
  } catch (...) {
    // Dropped: a log call has nobody to report to, and must not unwind into C.
  }
#else
  (*fn)(static_cast<LogLevel>(level), target != nullptr ? target : "", message != nullptr ? message : "");
#endif
}

inline std::uint64_t ms(const std::optional<std::chrono::milliseconds>& d) noexcept {
  return d && d->count() > 0 ? static_cast<std::uint64_t>(d->count()) : 0;
}

// Digest helper: fills the requested buffers with `call(etag_buf, tree_buf)`.
template <class F>
Result<Digests> digests(bool want_etag, bool want_tree, F&& call) {
  char etag[OAS_DIGEST_BUF_LEN] = {0};
  char tree[OAS_DIGEST_BUF_LEN] = {0};
  const ResultCode rc = call(want_etag ? etag : nullptr, want_tree ? tree : nullptr);
  if (rc != OAS_RESULT_OK) return last(rc);
  return Digests{etag, tree};
}

inline Result<std::string> etag_only(Result<Digests> r) {
  if (!r) return r.error();
  return std::move(r->etag);
}
inline Result<std::string> tree_only(Result<Digests> r) {
  if (!r) return r.error();
  return std::move(r->tree_etag);
}

}  // namespace detail

/// Installs the process-wide log callback for messages at `level` and more
/// severe, replacing any previous one; an empty `fn` turns logging off. Any
/// thread, any time. The callback runs on library threads (see LogFn); the
/// function object is kept by the library layer until it is replaced.
/// Errors: OAS_RESULT_INVALID_ARGUMENT for a level outside Error..Trace (the
/// previous callback then stays).
inline Result<void> set_log_callback(LogFn fn, LogLevel level = LogLevel::Info) {
  detail::LogSlot& slot = detail::log_slot();
  std::lock_guard<std::mutex> serial(slot.set_mutex);
  std::shared_ptr<const LogFn> next;
  if (fn) {
    next = std::make_shared<const LogFn>(std::move(fn));
    const ResultCode rc = oas_set_log_callback(&detail::log_trampoline, &slot, static_cast<std::uint32_t>(level));
    if (rc != OAS_RESULT_OK) return detail::last(rc);
  } else {
    const ResultCode rc = oas_set_log_callback(nullptr, nullptr, 0);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
  }
  std::lock_guard<std::mutex> lock(slot.mutex);
  slot.fn = std::move(next);
  return {};
}

/// The endpoint of an OAS region: "cn-hangzhou" gives
/// `http://cn-hangzhou.oas.aliyuncs.com`; `internal` the intranet domain
/// `cn-hangzhou.oas-internal.aliyuncs.com`, `https` the `https://` scheme.
/// For ClientOptions::endpoint. Errors: OAS_RESULT_INVALID_ARGUMENT (not a
/// region id: lower-case letters, digits and single inner hyphens). Any thread.
inline Result<std::string> region_endpoint(std::string_view region, bool internal = false, bool https = false) {
  detail::CStr r(region, "region");
  if (auto e = detail::nul_check(r)) return *e;
  char* out = nullptr;
  const ResultCode rc = oas_region_endpoint(r.get(), internal, https, &out);
  if (rc != OAS_RESULT_OK) return detail::last(rc);
  return detail::take(out);
}

/// A thread-safe client: endpoint, credentials, options and one connection
/// pool. Share it by reference between threads. Move-only; handles made from
/// it keep their own reference, so it may be destroyed before them.
class Client {
 public:
  /// Creates a client (no connection yet). Any thread. Errors:
  /// OAS_RESULT_INVALID_ARGUMENT (bad endpoint, workers, attempts, proxy,
  /// CA file content, protocol version or user agent; no source completing
  /// an empty endpoint or credentials: the message names every source
  /// tried), OAS_RESULT_IO (unreadable CA file or credentials file).
  static Result<Client> create(const ClientOptions& o = {}) {
    detail::CStr endpoint(o.endpoint, "endpoint"), id(o.access_id, "access_id"), key(o.access_key, "access_key");
    detail::OptCStr proxy(o.proxy, "proxy"), ca(o.ca_file, "ca_file"), ua(o.user_agent, "user_agent");
    detail::OptCStr version(o.protocol_version, "protocol_version"), oss(o.oss_host, "oss_host");
    if (auto e = detail::nul_check(endpoint, id, key, proxy, ca, ua, version, oss)) return *e;
    oas_client_options c;
    ResultCode rc = oas_client_options_init(&c, sizeof c);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    // An empty string is passed as NULL: the library resolves it.
    c.endpoint = o.endpoint.empty() ? nullptr : endpoint.get();
    c.access_id = o.access_id.empty() ? nullptr : id.get();
    c.access_key = o.access_key.empty() ? nullptr : key.get();
    if (o.connect_timeout) c.connect_timeout_ms = detail::ms(o.connect_timeout);
    if (o.read_timeout) c.read_timeout_ms = detail::ms(o.read_timeout);
    if (o.retry_max_attempts) c.retry_max_attempts = *o.retry_max_attempts;
    if (o.retry_base_delay) c.retry_base_delay_ms = detail::ms(o.retry_base_delay);
    if (o.retry_max_delay) c.retry_max_delay_ms = detail::ms(o.retry_max_delay);
    if (o.workers) c.workers = *o.workers;
    if (o.upload_threshold) c.upload_threshold = *o.upload_threshold;
    if (o.part_size) c.part_size = *o.part_size;
    if (o.download_range_size) c.download_range_size = *o.download_range_size;
    if (o.bandwidth_limit) c.bandwidth_limit = *o.bandwidth_limit;
    if (o.verify_tls) c.verify_tls = *o.verify_tls ? 1 : 0;
    c.proxy = proxy.get();
    c.ca_file = ca.get();
    c.user_agent = ua.get();
    c.protocol_version = version.get();
    c.oss_host = oss.get();
    const oas_client* out = nullptr;
    const ResultCode rc2 = oas_client_new(&c, &out);
    if (rc2 != OAS_RESULT_OK) return detail::last(rc2);
    return Client(std::shared_ptr<const oas_client>(out, &oas_client_free));
  }

  Client(Client&&) noexcept = default;
  Client& operator=(Client&&) noexcept = default;

  /// The C handle, borrowed (valid while this object owns it), to mix C calls.
  const oas_client* c_handle() const noexcept { return h_.get(); }

 private:
  explicit Client(std::shared_ptr<const oas_client> p) noexcept : h_(std::move(p)) {}
  detail::Handle<const oas_client> h_;
};

class Uploader;
class Job;

/// One multipart upload (the SDK's Uploader). start() / resume() run on one
/// thread at a time; while they run, any thread may call the getters
/// (size_completed() is live), stop() and cancel(). Move-only.
class Uploader {
 public:
  Uploader(Uploader&&) noexcept = default;
  Uploader& operator=(Uploader&&) noexcept = default;

  /// Uploads every part of the file given to Vault::initiate_uploader and
  /// completes the upload; returns the archive id. `opts.progress` runs on a
  /// worker thread. Errors: OAS_RESULT_CANCELLED (progress returned false or
  /// stop(); resumable), OAS_RESULT_UPLOAD_FAILED, OAS_RESULT_INVALID_STATE
  /// (a recovered uploader: use resume(); the file changed size; already
  /// completed or aborted), OAS_RESULT_IO, OAS_RESULT_TRANSPORT,
  /// OAS_RESULT_SERVER. The part size was fixed by Vault::initiate_uploader;
  /// the other fields of `opts` apply to this call.
  Result<std::string> start(const UploadOptions& opts = {}) const {
    return detail::upload_call(
        opts, [&](const oas_upload_options* c, char** out) { return oas_uploader_start(h_.get(), c, out); });
  }

  /// Continues the upload from the file at `path`: the parts the server
  /// holds are re-hashed from the file and checked (a difference is
  /// OAS_RESULT_HASH_MISMATCH naming the range), the rest are sent, and the
  /// upload is completed; returns the archive id. Errors as start().
  Result<std::string> resume(std::string_view path, const UploadOptions& opts = {}) const {
    detail::CStr p(path, "path");
    if (auto e = detail::nul_check(p)) return *e;
    return detail::upload_call(opts, [&](const oas_upload_options* c, char** out) {
      return oas_uploader_resume(h_.get(), p.get(), c, out);
    });
  }

  /// Asks a running start() / resume() to stop (it returns
  /// OAS_RESULT_CANCELLED within about a second; the upload stays
  /// resumable). Any thread.
  void stop() const noexcept { oas_uploader_stop(h_.get()); }

  /// Aborts the upload on the server (the SDK's cancel), stopping a running
  /// transfer first; may be called from the progress callback. The upload id
  /// is unusable afterwards. Any thread.
  Result<void> cancel() const {
    const ResultCode rc = oas_uploader_cancel(h_.get());
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return {};
  }

  /// MultipartUploadId (save it to resume after a crash). Any thread.
  std::string id() const { return detail::str(oas_uploader_id(h_.get())); }
  /// ArchiveDescription. Any thread.
  std::string description() const { return detail::str(oas_uploader_description(h_.get())); }
  /// CreationDate (RFC 1123). Any thread.
  std::string creation_date() const { return detail::str(oas_uploader_creation_date(h_.get())); }
  /// PartSizeInBytes. Any thread.
  std::uint64_t part_size() const noexcept { return oas_uploader_part_size(h_.get()); }
  /// Archive size once the file is known, else 0. Any thread.
  std::uint64_t size_total() const noexcept { return oas_uploader_size_total(h_.get()); }
  /// Bytes uploaded so far, live during start() / resume(). Any thread.
  std::uint64_t size_completed() const noexcept { return oas_uploader_size_completed(h_.get()); }

  /// The C handle, borrowed (valid while this object owns it).
  const oas_uploader* c_handle() const noexcept { return h_.get(); }

 private:
  friend class Vault;
  explicit Uploader(std::shared_ptr<const oas_uploader> p) noexcept : h_(std::move(p)) {}
  static Uploader own(oas_uploader* p) {
    return Uploader(std::shared_ptr<const oas_uploader>(
        p, [](const oas_uploader* u) { oas_uploader_free(const_cast<oas_uploader*>(u)); }));
  }

 private:
  detail::Handle<const oas_uploader> h_;
};

/// A job of a vault (the SDK's Job): archive or inventory retrieval, pull
/// from / push to OSS. One thread at a time, except cancel() and the
/// getters size_completed(), which any thread may call while a wait or
/// download runs. Move-only.
class Job {
 public:
  Job(Job&&) noexcept = default;
  Job& operator=(Job&&) noexcept = default;

  /// Describes job `job_id` of vault `vault_id` (one DescribeJob request).
  /// Errors: argument errors, OAS_RESULT_SERVER / NOT_FOUND (e.g.
  /// JobNotExists), OAS_RESULT_TRANSPORT, OAS_RESULT_PROTOCOL. Any thread.
  static Result<Job> describe(const Client& client, std::string_view vault_id, std::string_view job_id) {
    detail::CStr v(vault_id, "vault_id"), j(job_id, "job_id");
    if (auto e = detail::nul_check(v, j)) return *e;
    oas_job* out = nullptr;
    const ResultCode rc = oas_job_describe(client.c_handle(), v.get(), j.get(), &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return own(out);
  }

  /// An unexpired retrieval of `archive_id` over the same range that is
  /// running or succeeded, or a new one, so a restarted program does not
  /// pay twice. `range` unset = the whole archive (start a multiple of 1 MiB,
  /// end + 1 a multiple of 1 MiB or the archive size). Any thread.
  static Result<Job> retrieve_archive_reuse(const Client& client, std::string_view vault_id,
                                            std::string_view archive_id,
                                            std::optional<std::string_view> description = std::nullopt,
                                            std::optional<ByteRange> range = std::nullopt) {
    detail::CStr v(vault_id, "vault_id"), a(archive_id, "archive_id");
    detail::OptCStr d(description, "description");
    if (auto e = detail::nul_check(v, a, d)) return *e;
    oas_job* out = nullptr;
    const ResultCode rc = oas_job_retrieve_archive_reuse(client.c_handle(), v.get(), a.get(), d.get(),
                                                         range ? &*range : nullptr, &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return own(out);
  }

  /// JobId.
  std::string id() const { return detail::str(oas_job_id(h_.get())); }
  /// Action: ArchiveRetrieval, InventoryRetrieval, PullFromOSS, PushToOSS.
  std::string action() const { return detail::str(oas_job_action(h_.get())); }
  /// ArchiveId ("" for inventories and unfinished pulls).
  std::string archive_id() const { return detail::str(oas_job_archive_id(h_.get())); }
  /// CreationDate (RFC 1123).
  std::string creation_date() const { return detail::str(oas_job_creation_date(h_.get())); }
  /// CompletionDate (RFC 1123; "" while running).
  std::string completion_date() const { return detail::str(oas_job_completion_date(h_.get())); }
  /// JobDescription.
  std::string description() const { return detail::str(oas_job_description(h_.get())); }
  /// StatusCode: InProgress, Succeeded, Failed.
  std::string status_code() const { return detail::str(oas_job_status_code(h_.get())); }
  /// StatusMessage.
  std::string status_message() const { return detail::str(oas_job_status_message(h_.get())); }
  /// TreeEtag of the retrieved range ("" when not tree-aligned or unknown).
  std::string tree_etag() const { return detail::str(oas_job_tree_etag(h_.get())); }
  /// ArchiveTreeEtag (the SDK's `etag`).
  std::string etag() const { return detail::str(oas_job_etag(h_.get())); }
  /// ArchiveContentEtag, when the server sent it.
  std::string content_etag() const { return detail::str(oas_job_content_etag(h_.get())); }
  /// The job's vault id.
  std::string vault_id() const { return detail::str(oas_job_vault_id(h_.get())); }
  /// ArchiveSizeInBytes, once known.
  std::optional<std::uint64_t> archive_size() const noexcept { return known(oas_job_archive_size(h_.get())); }
  /// InventorySizeInBytes, once known (inventory jobs).
  std::optional<std::uint64_t> inventory_size() const noexcept { return known(oas_job_inventory_size(h_.get())); }
  /// Completed as last read: true once finished, successfully or not.
  bool completed() const noexcept { return oas_job_completed(h_.get()); }
  /// Bytes of the current or last download so far; any thread, also from
  /// the download's own progress callback.
  std::uint64_t size_completed() const noexcept { return oas_job_size_completed(h_.get()); }
  /// RetrievalByteRange (inclusive); unset for inventory and OSS jobs.
  std::optional<ByteRange> retrieval_byte_range() const {
    ByteRange r{0, 0};
    const ResultCode rc = oas_job_retrieval_byte_range(h_.get(), &r);
    if (rc != OAS_RESULT_OK) return std::nullopt;
    return r;
  }

  /// Reads the status from the server (one DescribeJob request).
  Result<void> update_status() {
    const ResultCode rc = oas_job_update_status(h_.get());
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return {};
  }

  /// The outcome as last read, without a request: success, or
  /// OAS_RESULT_JOB_NOT_READY while it runs, OAS_RESULT_JOB_FAILED (message
  /// = status message) when it failed.
  Result<void> outcome() const {
    const ResultCode rc = oas_job_outcome(h_.get());
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return {};
  }

  /// Polls until the job finishes (see WaitOptions). Success when it
  /// succeeded; OAS_RESULT_JOB_FAILED, OAS_RESULT_WAIT_TIMEOUT,
  /// OAS_RESULT_CANCELLED (cancel() from another thread), request errors.
  Result<void> wait(const WaitOptions& opts = {}) {
    const ResultCode rc = oas_job_wait(h_.get(), detail::ms(opts.first_interval), detail::ms(opts.max_interval),
                                       detail::ms(opts.timeout));
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return {};
  }

  /// Stops the wait or download running on this job on another thread (it
  /// returns OAS_RESULT_CANCELLED; a download to a file resumes from its
  /// journal on the next call). Any thread; a no-op when nothing runs.
  void cancel() const noexcept { oas_job_cancel(h_.get()); }

  /// Downloads `range` (inclusive, relative to the output; start a multiple
  /// of 1 MiB, end + 1 a multiple of 1 MiB or the output size) into the file
  /// `path` (created or truncated; removed on failure), `chunk_size` bytes
  /// at a time (0 = 1 MiB). With `block`, waits for the job first. Verified
  /// against the server's tree etags. Errors: argument errors,
  /// OAS_RESULT_JOB_NOT_READY (without block), OAS_RESULT_JOB_FAILED,
  /// OAS_RESULT_INVALID_STATE (OSS jobs), OAS_RESULT_HASH_MISMATCH,
  /// OAS_RESULT_DOWNLOAD_FAILED, OAS_RESULT_CANCELLED, OAS_RESULT_IO,
  /// transport and server errors.
  Result<void> download_by_range(ByteRange range, std::string_view path, std::size_t chunk_size = 0,
                                 bool block = false, const DownloadOptions& opts = {}) {
    detail::CStr p(path, "path");
    if (auto e = detail::nul_check(p)) return *e;
    return download(opts, [&](const void* c) {
      return oas_job_download_by_range(h_.get(), &range, p.get(), chunk_size, block,
                                       static_cast<const oas_download_options*>(c));
    });
  }

  /// As download_by_range, writing to the open descriptor `fd` from its
  /// current position (not closed; pipes and sockets get only checked bytes).
  Result<void> download_by_range_fd(ByteRange range, int fd, std::size_t chunk_size = 0, bool block = false,
                                    const DownloadOptions& opts = {}) {
    return download(opts, [&](const void* c) {
      return oas_job_download_by_range_fd(h_.get(), &range, fd, chunk_size, block,
                                          static_cast<const oas_download_options*>(c));
    });
  }

  /// Downloads the whole output to `path` in parallel ranges with the
  /// progress journal `<path>.oas`: an interrupted or cancelled download
  /// resumes on the next call. Verified, fsynced. Errors as download_by_range.
  Result<void> download_to_file(std::string_view path, std::size_t chunk_size = 0, bool block = false,
                                const DownloadOptions& opts = {}) {
    detail::CStr p(path, "path");
    if (auto e = detail::nul_check(p)) return *e;
    return download(opts, [&](const void* c) {
      return oas_job_download_to_file(h_.get(), p.get(), chunk_size, block,
                                      static_cast<const oas_download_options*>(c));
    });
  }

  /// Downloads `range` of the output (as download_by_range), or the whole
  /// output when unset, to the write callback `write` (see WriteFn): each
  /// range is fetched and checked (tree etag where tree-aligned, length
  /// always) before any of it reaches `write`, so what it receives has
  /// passed its check, and nothing of a range that fails. `chunk_size` (0 =
  /// 1 MiB) bounds each call's `len`. Errors as download_by_range;
  /// OAS_RESULT_CANCELLED when `write` returned false, OAS_RESULT_NULL_ARGUMENT
  /// for an empty `write`.
  Result<void> download_to_callback(const WriteFn& write, std::optional<ByteRange> range = std::nullopt,
                                    std::size_t chunk_size = 0, bool block = false,
                                    const DownloadOptions& opts = {}) {
    detail::WriteCall writer(write);
    auto r = download(opts, [&](const void* c) {
      return oas_job_download_to_callback(h_.get(), range ? &*range : nullptr, writer.fn(), writer.userdata(),
                                          chunk_size, block, static_cast<const oas_download_options*>(c));
    });
    writer.rethrow();
    return r;
  }

  /// As download_to_callback, writing the checked bytes to `out`. A stream
  /// that fails (`!out`) stops the download with OAS_RESULT_IO; an exception
  /// the stream throws is rethrown.
  Result<void> download_to_stream(std::ostream& out, std::optional<ByteRange> range = std::nullopt,
                                  std::size_t chunk_size = 0, bool block = false, const DownloadOptions& opts = {}) {
    bool failed = false;
    auto r = download_to_callback(
        [&](const std::uint8_t* buf, std::size_t len) {
          out.write(reinterpret_cast<const char*>(buf), static_cast<std::streamsize>(len));
          failed = !out;
          return !failed;
        },
        range, chunk_size, block, opts);
    if (failed) return Error(OAS_RESULT_IO, "writing the download to the std::ostream failed");
    return r;
  }

  /// The C handle, borrowed (valid while this object owns it).
  oas_job* c_handle() const noexcept { return h_.get(); }

 private:
  friend class Vault;
  explicit Job(std::shared_ptr<oas_job> p) noexcept : h_(std::move(p)) {}
  static Job own(oas_job* p) { return Job(std::shared_ptr<oas_job>(p, &oas_job_free)); }
  static std::optional<std::uint64_t> known(std::int64_t v) noexcept {
    if (v < 0) return std::nullopt;
    return static_cast<std::uint64_t>(v);
  }

  // Runs one download call with the per-call options and progress bridge.
  template <class F>
  Result<void> download(const DownloadOptions& o, F&& call) {
    detail::ProgressCall progress(o.progress);
    oas_download_options c;
    ResultCode rc = oas_download_options_init(&c, sizeof c);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    c.range_size = o.range_size.value_or(0);
    c.bandwidth_limit = o.bandwidth_limit.value_or(0);
    c.workers = o.workers.value_or(0);
    c.wait_first_interval_ms = detail::ms(o.wait.first_interval);
    c.wait_max_interval_ms = detail::ms(o.wait.max_interval);
    c.wait_timeout_ms = detail::ms(o.wait.timeout);
    c.progress = progress.fn();
    c.userdata = progress.userdata();
    rc = call(static_cast<const void*>(&c));
    progress.rethrow();
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return {};
  }

  detail::Handle<oas_job> h_;
};

/// A vault (the SDK's Vault): the entry point of every operation. Getters
/// may be called from any thread; refresh() needs exclusive use. Move-only.
class Vault {
 public:
  Vault(Vault&&) noexcept = default;
  Vault& operator=(Vault&&) noexcept = default;

  /// Creates the vault `name` (or finds it when it exists) and describes it.
  /// A name outside the service's rules is OAS_RESULT_INVALID_ARGUMENT
  /// before any request. Any thread.
  static Result<Vault> create(const Client& client, std::string_view name) {
    return by_string(client, name, "name", &oas_vault_create);
  }
  /// The vault with id `vault_id` (an unknown id is a 404 server error).
  static Result<Vault> get_by_id(const Client& client, std::string_view vault_id) {
    return by_string(client, vault_id, "vault_id", &oas_vault_get_by_id);
  }
  /// The vault named `name` (found by listing all vaults; none is an error
  /// "Vault not exists: <name>").
  static Result<Vault> get_by_name(const Client& client, std::string_view name) {
    return by_string(client, name, "name", &oas_vault_get_by_name);
  }
  /// Deletes the (empty) vault with id `vault_id`.
  static Result<void> delete_by_id(const Client& client, std::string_view vault_id) {
    return client_call(client, vault_id, "vault_id", &oas_vault_delete_by_id);
  }
  /// Deletes the (empty) vault named `name`.
  static Result<void> delete_by_name(const Client& client, std::string_view name) {
    return client_call(client, name, "name", &oas_vault_delete_by_name);
  }
  /// Every vault of the account. The items share one C list (see the top of
  /// this file); refresh() is not available on them.
  static Result<std::vector<Vault>> list_all(const Client& client) {
    oas_vault_list* list = nullptr;
    const ResultCode rc = oas_vault_list_all(client.c_handle(), &list);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    std::shared_ptr<oas_vault_list> owner(list, &oas_vault_list_free);
    std::vector<Vault> out;
    const std::size_t n = oas_vault_list_len(list);
    out.reserve(n);
    for (std::size_t i = 0; i < n; i++)
      out.push_back(Vault(std::shared_ptr<oas_vault>(owner, const_cast<oas_vault*>(oas_vault_list_get(list, i))),
                          false));
    return out;
  }

  /// Deletes this (empty) vault on the server (the SDK's delete()); the
  /// object stays valid for its getters.
  Result<void> delete_vault() const { return check(oas_vault_delete(h_.get())); }

  /// Reads the description again (exclusive use). Vaults from list_all()
  /// cannot be refreshed (OAS_RESULT_INVALID_STATE): use get_by_id().
  Result<void> refresh() {
    if (!owned_ && h_.get() != nullptr)
      return Error(OAS_RESULT_INVALID_STATE, "a vault from Vault::list_all cannot be refreshed: use Vault::get_by_id");
    return check(oas_vault_refresh(h_.get()));
  }

  /// VaultId. Any thread.
  std::string id() const { return detail::str(oas_vault_id(h_.get())); }
  /// VaultName. Any thread.
  std::string name() const { return detail::str(oas_vault_name(h_.get())); }
  /// CreationDate (RFC 1123). Any thread.
  std::string creation_date() const { return detail::str(oas_vault_creation_date(h_.get())); }
  /// LastInventoryDate (RFC 1123; "" before the first inventory). Any thread.
  std::string last_inventory_date() const { return detail::str(oas_vault_last_inventory_date(h_.get())); }
  /// NumberOfArchives as of the last inventory (-1 for an empty handle).
  std::int64_t number_of_archives() const noexcept { return oas_vault_number_of_archives(h_.get()); }
  /// SizeInBytes as of the last inventory (-1 for an empty handle).
  std::int64_t size() const noexcept { return oas_vault_size(h_.get()); }

  /// Uploads the file at `path` (one request up to the upload threshold,
  /// parallel multipart above) and returns the archive id. Errors:
  /// OAS_RESULT_INVALID_ARGUMENT (empty path or file, bad part size),
  /// OAS_RESULT_IO, OAS_RESULT_CANCELLED (progress returned false; a
  /// multipart upload stays resumable: Error::upload_id()),
  /// OAS_RESULT_UPLOAD_FAILED, transport and server errors. Any thread.
  Result<std::string> upload_archive(std::string_view path, std::optional<std::string_view> description = std::nullopt,
                                     const UploadOptions& opts = {}) const {
    detail::CStr p(path, "path");
    if (auto e = detail::nul_check(p)) return *e;
    return upload(description, opts, [&](const char* d, const oas_upload_options* c, char** out) {
      return oas_vault_upload_archive(h_.get(), p.get(), d, c, out);
    });
  }

  /// Uploads everything readable from descriptor `fd` (read to its end, not
  /// closed) as one archive, always multipart; memory stays within one part
  /// per worker. Otherwise as upload_archive.
  Result<std::string> upload_fd(int fd, std::optional<std::string_view> description = std::nullopt,
                                const UploadOptions& opts = {}) const {
    return upload(description, opts, [&](const char* d, const oas_upload_options* c, char** out) {
      return oas_vault_upload_fd(h_.get(), fd, d, c, out);
    });
  }

  /// Uploads everything `read` delivers, up to its end (see ReadFn), as one
  /// archive: a stream of unknown length, always multipart, with the digests,
  /// retries and memory bound of upload_fd. An empty `read` is
  /// OAS_RESULT_NULL_ARGUMENT; a negative return OAS_RESULT_IO (the upload's
  /// id is then in Error::upload_id()). Otherwise as upload_archive.
  Result<std::string> upload_callback(const ReadFn& read, std::optional<std::string_view> description = std::nullopt,
                                      const UploadOptions& opts = {}) const {
    detail::ReadCall reader(read);
    auto r = upload(description, opts, [&](const char* d, const oas_upload_options* c, char** out) {
      return oas_vault_upload_callback(h_.get(), reader.fn(), reader.userdata(), d, c, out);
    });
    reader.rethrow();
    return r;
  }

  /// Uploads what can be read from `in` up to its end, as upload_callback.
  /// A stream that goes bad (`in.bad()`) fails the upload with
  /// OAS_RESULT_IO; an exception the stream throws is rethrown.
  Result<std::string> upload_stream(std::istream& in, std::optional<std::string_view> description = std::nullopt,
                                    const UploadOptions& opts = {}) const {
    return upload_callback(
        [&in](std::uint8_t* buf, std::size_t len) -> std::int64_t {
          in.read(reinterpret_cast<char*>(buf), static_cast<std::streamsize>(len));
          if (in.bad()) return -1;
          return static_cast<std::int64_t>(in.gcount());
        },
        description, opts);
  }

  /// Empties and deletes the vault (see oas_vault_purge): aborts its
  /// multipart uploads, takes the newest inventory (reusing a recent one,
  /// else retrieving one and waiting as `opts.wait` says), deletes every
  /// archive it lists in parallel, then deletes the vault unless
  /// `opts.keep_vault` or a delete failed. The real service deletes a vault
  /// only once a later inventory shows it empty, so a first purge usually
  /// ends with `vault_deleted` false; calling it again later picks up where
  /// it stopped. Errors: OAS_RESULT_CANCELLED (progress returned false),
  /// OAS_RESULT_WAIT_TIMEOUT, OAS_RESULT_JOB_FAILED, OAS_RESULT_NOT_FOUND,
  /// argument, transport and server errors.
  Result<PurgeReport> purge(const PurgeOptions& opts = {}) const {
    detail::OptCStr dir(opts.work_dir, "work_dir");
    if (auto e = detail::nul_check(dir)) return *e;
    detail::ProgressCall progress(opts.progress);
    oas_purge_options c;
    const ResultCode rc = oas_purge_options_init(&c, sizeof c);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    c.workers = opts.workers.value_or(0);
    c.max_inventory_age_s =
        opts.max_inventory_age && opts.max_inventory_age->count() > 0
            ? static_cast<std::uint64_t>(opts.max_inventory_age->count())
            : 0;
    c.wait_first_interval_ms = detail::ms(opts.wait.first_interval);
    c.wait_max_interval_ms = detail::ms(opts.wait.max_interval);
    c.wait_timeout_ms = detail::ms(opts.wait.timeout);
    c.work_dir = dir.get();
    c.keep_vault = opts.keep_vault ? 1 : 0;
    c.progress = progress.fn();
    c.userdata = progress.userdata();
    oas_purge_report r{};
    r.size = sizeof r;
    const ResultCode rc2 = oas_vault_purge(h_.get(), &c, &r);
    progress.rethrow();
    if (rc2 != OAS_RESULT_OK) return detail::last(rc2);
    PurgeReport out;
    out.uploads_aborted = r.uploads_aborted;
    out.archives_listed = r.archives_listed;
    out.archives_deleted = r.archives_deleted;
    out.archives_already_gone = r.archives_already_gone;
    out.archives_failed = r.archives_failed;
    out.vault_deleted = r.vault_deleted != 0;
    return out;
  }

  /// Starts a multipart upload for the file at `path`; send it with
  /// Uploader::start(). Its part size is `opts.part_size`, else
  /// the client's, else the SDK rule (needs at least 64 MiB).
  Result<Uploader> initiate_uploader(std::string_view path, std::optional<std::string_view> description = std::nullopt,
                                     const UploadOptions& opts = {}) const {
    detail::CStr p(path, "path");
    detail::OptCStr d(description, "description");
    if (auto e = detail::nul_check(p, d)) return *e;
    oas_uploader* out = nullptr;
    detail::ProgressCall none(ProgressFn{});
    oas_upload_options c;
    if (auto e = detail::upload_options(opts, none, c)) return *e;
    const ResultCode rc = oas_vault_initiate_uploader(h_.get(), p.get(), d.get(), &c, &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Uploader::own(out);
  }

  /// The multipart upload `upload_id` of this vault, to continue with
  /// Uploader::resume().
  Result<Uploader> recover_uploader(std::string_view upload_id) const {
    detail::CStr u(upload_id, "upload_id");
    if (auto e = detail::nul_check(u)) return *e;
    oas_uploader* out = nullptr;
    const ResultCode rc = oas_vault_recover_uploader(h_.get(), u.get(), &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Uploader::own(out);
  }

  /// Every multipart upload in progress in this vault (items share one C list).
  Result<std::vector<Uploader>> list_all_multipart_uploads() const {
    oas_uploader_list* list = nullptr;
    const ResultCode rc = oas_vault_list_all_multipart_uploads(h_.get(), &list);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    std::shared_ptr<oas_uploader_list> owner(list, &oas_uploader_list_free);
    std::vector<Uploader> out;
    const std::size_t n = oas_uploader_list_len(list);
    out.reserve(n);
    for (std::size_t i = 0; i < n; i++)
      out.push_back(Uploader(std::shared_ptr<const oas_uploader>(owner, oas_uploader_list_get(list, i))));
    return out;
  }

  /// Every job the service still lists for this vault (items share one C list).
  Result<std::vector<Job>> list_all_jobs() const {
    oas_job_list* list = nullptr;
    const ResultCode rc = oas_vault_list_all_jobs(h_.get(), &list);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    std::shared_ptr<oas_job_list> owner(list, &oas_job_list_free);
    std::vector<Job> out;
    const std::size_t n = oas_job_list_len(list);
    out.reserve(n);
    for (std::size_t i = 0; i < n; i++) out.push_back(Job(std::shared_ptr<oas_job>(owner, oas_job_list_get(list, i))));
    return out;
  }

  /// Deletes the archive `archive_id` of this vault.
  Result<void> delete_archive(std::string_view archive_id) const {
    detail::CStr a(archive_id, "archive_id");
    if (auto e = detail::nul_check(a)) return *e;
    return check(oas_vault_delete_archive(h_.get(), a.get()));
  }

  /// The job `job_id` of this vault (Describe Job).
  Result<Job> get_job(std::string_view job_id) const {
    detail::CStr j(job_id, "job_id");
    if (auto e = detail::nul_check(j)) return *e;
    oas_job* out = nullptr;
    const ResultCode rc = oas_vault_get_job(h_.get(), j.get(), &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Job::own(out);
  }

  /// Starts an archive-retrieval job (the SDK's retrieve_archive); `range`
  /// unset = the whole archive (start a multiple of 1 MiB, end + 1 a multiple
  /// of 1 MiB or the archive size; description up to 128 characters).
  Result<Job> retrieve_archive(std::string_view archive_id, std::optional<std::string_view> description = std::nullopt,
                               std::optional<ByteRange> range = std::nullopt) const {
    detail::CStr a(archive_id, "archive_id");
    detail::OptCStr d(description, "description");
    if (auto e = detail::nul_check(a, d)) return *e;
    oas_job* out = nullptr;
    const ResultCode rc = oas_vault_retrieve_archive(h_.get(), a.get(), d.get(), range ? &*range : nullptr, &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Job::own(out);
  }

  /// As retrieve_archive, but returns an unexpired retrieval of the same
  /// archive and range that is running or succeeded when there is one.
  Result<Job> retrieve_archive_reuse(std::string_view archive_id,
                                     std::optional<std::string_view> description = std::nullopt,
                                     std::optional<ByteRange> range = std::nullopt) const {
    detail::CStr a(archive_id, "archive_id");
    detail::OptCStr d(description, "description");
    if (auto e = detail::nul_check(a, d)) return *e;
    oas_job* out = nullptr;
    const ResultCode rc =
        oas_vault_retrieve_archive_reuse(h_.get(), a.get(), d.get(), range ? &*range : nullptr, &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Job::own(out);
  }

  /// Starts an inventory-retrieval job (the SDK's retrieve_inventory).
  Result<Job> retrieve_inventory(std::optional<std::string_view> description = std::nullopt) const {
    detail::OptCStr d(description, "description");
    if (auto e = detail::nul_check(d)) return *e;
    oas_job* out = nullptr;
    const ResultCode rc = oas_vault_retrieve_inventory(h_.get(), d.get(), &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Job::own(out);
  }

  /// Starts a pull-from-oss job: OSS object `bucket`/`object` at `oss_host`
  /// becomes a new archive (Job::archive_id() once it succeeded).
  Result<Job> pull_from_oss(std::string_view oss_host, std::string_view bucket, std::string_view object,
                            std::optional<std::string_view> description = std::nullopt) const {
    detail::CStr h(oss_host, "oss_host"), b(bucket, "bucket"), o(object, "object");
    detail::OptCStr d(description, "description");
    if (auto e = detail::nul_check(h, b, o, d)) return *e;
    oas_job* out = nullptr;
    const ResultCode rc = oas_vault_pull_from_oss(h_.get(), h.get(), b.get(), o.get(), d.get(), &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Job::own(out);
  }

  /// Starts a push-to-oss job copying archive `archive_id` to the OSS object
  /// `bucket`/`object` at `oss_host`.
  Result<Job> push_to_oss(std::string_view archive_id, std::string_view oss_host, std::string_view bucket,
                          std::string_view object, std::optional<std::string_view> description = std::nullopt) const {
    detail::CStr a(archive_id, "archive_id"), h(oss_host, "oss_host"), b(bucket, "bucket"), o(object, "object");
    detail::OptCStr d(description, "description");
    if (auto e = detail::nul_check(a, h, b, o, d)) return *e;
    oas_job* out = nullptr;
    const ResultCode rc = oas_vault_push_to_oss(h_.get(), a.get(), h.get(), b.get(), o.get(), d.get(), &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Job::own(out);
  }

  /// The C handle, borrowed (valid while this object owns it).
  const oas_vault* c_handle() const noexcept { return h_.get(); }

 private:
  Vault(std::shared_ptr<oas_vault> p, bool owned) noexcept : h_(std::move(p)), owned_(owned) {}
  static Result<void> check(ResultCode rc) {
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return {};
  }
  // Runs one upload call of this vault with its description:
  // `call(description, options, archive_id_out)`.
  template <class F>
  Result<std::string> upload(std::optional<std::string_view> description, const UploadOptions& opts, F&& call) const {
    detail::OptCStr d(description, "description");
    if (auto e = detail::nul_check(d)) return *e;
    return detail::upload_call(
        opts, [&](const oas_upload_options* c, char** out) { return call(d.get(), c, out); });
  }
  static Result<Vault> by_string(const Client& client, std::string_view s, const char* name,
                                 ResultCode (*fn)(const oas_client*, const char*, oas_vault**)) {
    detail::CStr arg(s, name);
    if (auto e = detail::nul_check(arg)) return *e;
    oas_vault* out = nullptr;
    const ResultCode rc = fn(client.c_handle(), arg.get(), &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Vault(std::shared_ptr<oas_vault>(out, &oas_vault_free), true);
  }
  static Result<void> client_call(const Client& client, std::string_view s, const char* name,
                                  ResultCode (*fn)(const oas_client*, const char*)) {
    detail::CStr arg(s, name);
    if (auto e = detail::nul_check(arg)) return *e;
    return check(fn(client.c_handle(), arg.get()));
  }

  detail::Handle<oas_vault> h_;
  bool owned_ = true;
};

/// An open inventory (the JSON written by downloading an inventory job),
/// read as a stream. One thread at a time (it may move between threads).
/// Move-only.
class Inventory {
 public:
  Inventory(Inventory&&) noexcept = default;
  Inventory& operator=(Inventory&&) noexcept = default;

  /// Opens the inventory at `path` and reads its VaultId and InventoryDate.
  /// Errors: argument errors, OAS_RESULT_IO, OAS_RESULT_PROTOCOL (not an
  /// inventory). Any thread.
  static Result<Inventory> open(std::string_view path) {
    detail::CStr p(path, "path");
    if (auto e = detail::nul_check(p)) return *e;
    oas_inventory* out = nullptr;
    const ResultCode rc = oas_inventory_open(p.get(), &out);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return Inventory(std::shared_ptr<oas_inventory>(out, &oas_inventory_free));
  }

  /// VaultId of the inventory.
  std::string vault_id() const { return detail::str(oas_inventory_vault_id(h_.get())); }
  /// InventoryDate (RFC 1123).
  std::string date() const { return detail::str(oas_inventory_date(h_.get())); }

  /// The next archive (copied out), or unset at the end of the list. A read
  /// error or malformed entry (OAS_RESULT_IO / PROTOCOL) ends the iteration.
  Result<std::optional<InventoryArchive>> next() {
    const oas_inventory_archive* a = nullptr;
    const ResultCode rc = oas_inventory_next(h_.get(), &a);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    if (a == nullptr) return std::optional<InventoryArchive>();
    return std::optional<InventoryArchive>(InventoryArchive{
        detail::str(oas_inventory_archive_id(a)), detail::str(oas_inventory_archive_description(a)),
        detail::str(oas_inventory_archive_creation_date(a)), detail::str(oas_inventory_archive_tree_etag(a)),
        oas_inventory_archive_size(a)});
  }

  /// Every remaining archive.
  Result<std::vector<InventoryArchive>> read_all() {
    std::vector<InventoryArchive> out;
    for (;;) {
      auto r = next();
      if (!r) return r.error();
      if (!*r) return out;
      out.push_back(std::move(**r));
    }
  }

  /// The C handle, borrowed (valid while this object owns it).
  oas_inventory* c_handle() const noexcept { return h_.get(); }

 private:
  explicit Inventory(std::shared_ptr<oas_inventory> p) noexcept : h_(std::move(p)) {}
  detail::Handle<oas_inventory> h_;
};

/// A streaming digest computation: both etags of data fed in chunks, from
/// one pass. One thread at a time (it may move between threads). Move-only.
class StreamingEtag {
 public:
  StreamingEtag(StreamingEtag&&) noexcept = default;
  StreamingEtag& operator=(StreamingEtag&&) noexcept = default;

  /// A new hasher with no data (fails only when memory runs out).
  static Result<StreamingEtag> create() {
    oas_etag* e = oas_etag_new();
    if (e == nullptr) return detail::last(OAS_RESULT_INTERNAL);
    return StreamingEtag(std::shared_ptr<oas_etag>(e, &oas_etag_free));
  }

  /// Feeds `len` bytes at `data` (chunks of any size, in order).
  Result<void> update(const void* data, std::size_t len) {
    const ResultCode rc = oas_etag_update(h_.get(), static_cast<const std::uint8_t*>(data), len);
    if (rc != OAS_RESULT_OK) return detail::last(rc);
    return {};
  }
  /// Feeds the bytes of `data`.
  Result<void> update(std::string_view data) { return update(data.data(), data.size()); }

  /// Both digests of everything fed so far; then the hasher is empty again.
  Result<Digests> finish() {
    return detail::digests(true, true, [&](char* e, char* t) { return oas_etag_finish(h_.get(), e, t); });
  }

  /// The C handle, borrowed (valid while this object owns it).
  oas_etag* c_handle() const noexcept { return h_.get(); }

 private:
  explicit StreamingEtag(std::shared_ptr<oas_etag> p) noexcept : h_(std::move(p)) {}
  detail::Handle<oas_etag> h_;
};

// ---- Digests and ranges (the SDK's oas.ease.utils). All thread-safe. ----

/// Both digests of a buffer (compute_hash_from_string).
inline Result<Digests> compute_hash(const void* data, std::size_t len) {
  return detail::digests(true, true, [&](char* e, char* t) {
    return oas_etag_compute_buffer(static_cast<const std::uint8_t*>(data), len, e, t);
  });
}
/// Both digests of the bytes of `data`.
inline Result<Digests> compute_hash(std::string_view data) { return compute_hash(data.data(), data.size()); }
/// Content etag of the bytes of `data` (compute_etag_from_string).
inline Result<std::string> compute_etag(std::string_view data) {
  return detail::etag_only(detail::digests(true, false, [&](char* e, char* t) {
    return oas_etag_compute_buffer(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), e, t);
  }));
}
/// Tree etag of the bytes of `data` (compute_tree_etag_from_string).
inline Result<std::string> compute_tree_etag(std::string_view data) {
  return detail::tree_only(detail::digests(false, true, [&](char* e, char* t) {
    return oas_etag_compute_buffer(reinterpret_cast<const std::uint8_t*>(data.data()), data.size(), e, t);
  }));
}

namespace detail {
inline Result<Digests> file_digests(std::string_view path, std::uint64_t offset, std::optional<std::uint64_t> size,
                                    bool want_etag, bool want_tree) {
  CStr p(path, "path");
  if (auto e = nul_check(p)) return *e;
  return digests(want_etag, want_tree, [&](char* e, char* t) {
    return oas_etag_compute_file(p.get(), offset, size.value_or(OAS_SIZE_TO_END), e, t);
  });
}
inline Result<Digests> fd_digests(int fd, std::uint64_t offset, std::optional<std::uint64_t> size, bool want_etag,
                                  bool want_tree) {
  return digests(want_etag, want_tree, [&](char* e, char* t) {
    return oas_etag_compute_fd(fd, offset, size.value_or(OAS_SIZE_TO_END), e, t);
  });
}
}  // namespace detail

/// Both digests of `size` bytes (unset = to the end) of the file at `path`
/// from `offset`, in one read (compute_hash_from_file). A range past the end
/// of the file is OAS_RESULT_INVALID_ARGUMENT.
inline Result<Digests> compute_hash_from_file(std::string_view path, std::uint64_t offset = 0,
                                              std::optional<std::uint64_t> size = std::nullopt) {
  return detail::file_digests(path, offset, size, true, true);
}
/// Content etag of a file range (compute_etag_from_file).
inline Result<std::string> compute_etag_from_file(std::string_view path, std::uint64_t offset = 0,
                                                  std::optional<std::uint64_t> size = std::nullopt) {
  return detail::etag_only(detail::file_digests(path, offset, size, true, false));
}
/// Tree etag of a file range (compute_tree_etag_from_file).
inline Result<std::string> compute_tree_etag_from_file(std::string_view path, std::uint64_t offset = 0,
                                                       std::optional<std::uint64_t> size = std::nullopt) {
  return detail::tree_only(detail::file_digests(path, offset, size, false, true));
}
/// Both digests of a range of an open regular file (compute_hash_from_file_obj);
/// positional reads: the descriptor's position does not move; not closed.
inline Result<Digests> compute_hash_from_fd(int fd, std::uint64_t offset = 0,
                                            std::optional<std::uint64_t> size = std::nullopt) {
  return detail::fd_digests(fd, offset, size, true, true);
}
/// Content etag of a range of an open file (compute_etag_from_file_obj).
inline Result<std::string> compute_etag_from_fd(int fd, std::uint64_t offset = 0,
                                                std::optional<std::uint64_t> size = std::nullopt) {
  return detail::etag_only(detail::fd_digests(fd, offset, size, true, false));
}
/// Tree etag of a range of an open file (compute_tree_etag_from_file_obj).
inline Result<std::string> compute_tree_etag_from_fd(int fd, std::uint64_t offset = 0,
                                                     std::optional<std::uint64_t> size = std::nullopt) {
  return detail::tree_only(detail::fd_digests(fd, offset, size, false, true));
}

/// Tree etag of the whole from the tree etags of consecutive parts, in
/// ascending range order (compute_combine_tree_etag_from_list); "" for none.
/// An element that is not 32 hex digits is OAS_RESULT_INVALID_ARGUMENT.
inline Result<std::string> combine_tree_etags(const std::vector<std::string>& tree_etags) {
  std::vector<const char*> ptrs;
  ptrs.reserve(tree_etags.size());
  for (const std::string& s : tree_etags) {
    if (s.find('\0') != std::string::npos)
      return Error(OAS_RESULT_INVALID_ARGUMENT, "argument `tree_etags` holds an element with a NUL byte");
    ptrs.push_back(s.c_str());
  }
  return detail::tree_only(detail::digests(false, true, [&](char*, char* t) {
    return oas_tree_etag_combine(ptrs.empty() ? nullptr : ptrs.data(), ptrs.size(), t);
  }));
}

/// Bytes in the inclusive range `start..=end` (0 when end < start).
inline std::uint64_t range_size(std::uint64_t start, std::uint64_t end) noexcept { return oas_range_size(start, end); }
/// Bytes of the inclusive range `r`.
inline std::uint64_t range_size(ByteRange r) noexcept { return oas_range_size(r.start, r.end); }

/// Parts of `part_size` bytes needed for `total` bytes (part_size 0 is
/// OAS_RESULT_INVALID_ARGUMENT).
inline Result<std::uint64_t> calc_num_part(std::uint64_t part_size, std::uint64_t total) {
  std::uint64_t n = 0;
  const ResultCode rc = oas_calc_num_part(part_size, total, &n);
  if (rc != OAS_RESULT_OK) return detail::last(rc);
  return n;
}

/// `total` bytes split into consecutive inclusive ranges of `part_size`
/// bytes (the last may be shorter; none for 0).
inline Result<std::vector<ByteRange>> calc_ranges(std::uint64_t part_size, std::uint64_t total) {
  std::size_t n = 0;
  ResultCode rc = oas_calc_ranges(part_size, total, nullptr, 0, &n);
  if (rc != OAS_RESULT_OK && rc != OAS_RESULT_BUFFER_TOO_SMALL) return detail::last(rc);
  std::vector<ByteRange> out(n);
  if (n == 0) return out;
  rc = oas_calc_ranges(part_size, total, out.data(), out.size(), &n);
  if (rc != OAS_RESULT_OK) return detail::last(rc);
  out.resize(n);
  return out;
}

/// The multipart part size for `total` bytes with the SDK's rules (spec §7;
/// `total` 64 MiB to 40 000 GiB, else OAS_RESULT_INVALID_ARGUMENT).
inline Result<std::uint64_t> calc_part_size(std::uint64_t total, std::uint64_t requested = 0) {
  std::uint64_t n = 0;
  const ResultCode rc = oas_calc_part_size(total, requested, &n);
  if (rc != OAS_RESULT_OK) return detail::last(rc);
  return n;
}

}  // inline namespace
}  // namespace oas

#endif /* OAS_HPP */
