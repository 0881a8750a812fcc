// The C++ layer (include/oas.hpp) against the emulator: digests and ranges,
// round trips (single and multipart uploads, an Uploader, retrievals,
// downloads to a file, by range and to a descriptor, an inventory), the
// fields of real server errors, move semantics, progress and log callbacks,
// and (with exceptions) that a user's exception never crosses the C frames.
// Built twice from this one source: with exceptions (cpp_test) and with
// -fno-exceptions (cpp_test_noexc). Run through tests/c/with_emulator.sh.
#include "cpp_test.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <mutex>
#include <sys/wait.h>
#include <thread>
#include <utility>

std::string second_tu_version();  // second_tu.cpp: oas.hpp in another translation unit

namespace {

using t::MIB;
using t::MODE;
#ifdef OAS_RESULT_NOT_FOUND
constexpr oas::ResultCode NOT_FOUND = OAS_RESULT_NOT_FOUND;
#else
constexpr oas::ResultCode NOT_FOUND = OAS_RESULT_SERVER;  // C API 0.1 had no NOT_FOUND
#endif

// Own names per process: the native and valgrind runs of both builds overlap.
std::string unique(const char* what) {
  return std::string("cpp-") + what + "-" + MODE + "-" + std::to_string(static_cast<long>(getpid()));
}

oas::ClientOptions env_options() {
  oas::ClientOptions o = t::emulator_options();  // 1 MiB parts
  o.upload_threshold = 2 * MIB;                  // so 2 MiB + 5 goes up in three 1 MiB parts
  return o;
}

// Every progress call of one transfer.
struct ProgressLog {
  std::mutex m;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  oas::ProgressFn fn() {
    return [this](std::uint64_t done, std::uint64_t total) {
      std::lock_guard<std::mutex> lock(m);
      calls.emplace_back(done, total);
      return true;
    };
  }
  // Called at least once, `done` never going back, ending at `total`.
  void check(std::uint64_t total, int line) {
    std::lock_guard<std::mutex> lock(m);
    if (calls.empty()) return t::fail(__FILE__, line, "no progress call");
    for (std::size_t i = 1; i < calls.size(); i++)
      if (calls[i].first < calls[i - 1].first) t::fail(__FILE__, line, "progress went back");
    if (calls.back().first != total || calls.back().second != total)
      t::fail(__FILE__, line, "last progress " + std::to_string(calls.back().first) + "/" +
                                  std::to_string(calls.back().second) + ", expected " + std::to_string(total));
  }
};

void utils() {
  CHECK_EQ(oas::version_number(), OAS_VERSION_MAJOR * 10000u + OAS_VERSION_MINOR * 100u + OAS_VERSION_PATCH);
  CHECK(!oas::version().empty());
  CHECK_EQ(second_tu_version(), std::string(oas::version()));
  CHECK_EQ(oas::result_str(OAS_RESULT_CANCELLED), std::string_view(oas_result_str(OAS_RESULT_CANCELLED)));

  const oas::Digests empty = MUST(oas::compute_hash(std::string_view()));
  CHECK_EQ(empty.etag, std::string("D41D8CD98F00B204E9800998ECF8427E"));
  CHECK_EQ(empty.tree_etag, std::string());

  const std::string data = t::bytes(2 * MIB + 5);
  const std::string_view view(data);
  t::TempFile f(data);
  const oas::Digests whole = MUST(oas::compute_hash(data));
  CHECK_EQ(whole.etag.size(), std::size_t(32));
  CHECK(whole.tree_etag != whole.etag);  // more than one leaf
  CHECK_EQ(MUST(oas::compute_etag(data)), whole.etag);
  CHECK_EQ(MUST(oas::compute_tree_etag(data)), whole.tree_etag);
  const oas::Digests from_file = MUST(oas::compute_hash_from_file(f.path()));
  CHECK_EQ(from_file.etag, whole.etag);
  CHECK_EQ(from_file.tree_etag, whole.tree_etag);
  CHECK_EQ(MUST(oas::compute_etag_from_file(f.path())), whole.etag);

  // Streaming, in chunks that do not line up with the 1 MiB leaves.
  oas::StreamingEtag h = MUST(oas::StreamingEtag::create());
  for (std::size_t off = 0; off < data.size(); off += 100003) MUST(h.update(view.substr(off, 100003)));
  const oas::Digests streamed = MUST(h.finish());
  CHECK_EQ(streamed.etag, whole.etag);
  CHECK_EQ(streamed.tree_etag, whole.tree_etag);
  CHECK_EQ(MUST(h.finish()).etag, empty.etag);  // finish() resets

  // Parts: ranges, their digests from the file and a descriptor, combined.
  const std::vector<oas::ByteRange> ranges = MUST(oas::calc_ranges(MIB, data.size()));
  CHECK_EQ(ranges.size(), std::size_t(3));
  CHECK_EQ(ranges.back().start, 2 * MIB);
  CHECK_EQ(ranges.back().end, 2 * MIB + 4);
  CHECK_EQ(MUST(oas::calc_num_part(MIB, data.size())), std::uint64_t(3));
  CHECK(MUST(oas::calc_ranges(MIB, 0)).empty());
  const int fd = ::open(f.path().c_str(), O_RDONLY);
  CHECK(fd >= 0);
  std::vector<std::string> trees;
  std::uint64_t sum = 0;
  for (const oas::ByteRange& r : ranges) {
    const std::uint64_t n = oas::range_size(r);
    sum += n;
    trees.push_back(MUST(oas::compute_tree_etag_from_file(f.path(), r.start, n)));
    CHECK_EQ(MUST(oas::compute_etag_from_fd(fd, r.start, n)), MUST(oas::compute_etag(view.substr(r.start, n))));
    CHECK_EQ(MUST(oas::compute_tree_etag_from_fd(fd, r.start, n)), trees.back());
  }
  CHECK_EQ(sum, std::uint64_t(data.size()));
  CHECK_EQ(oas::range_size(5, 4), std::uint64_t(0));
  CHECK_EQ(MUST(oas::combine_tree_etags(trees)), whole.tree_etag);
  CHECK_EQ(MUST(oas::combine_tree_etags({})), std::string());
  CHECK_EQ(MUST(oas::compute_hash_from_fd(fd)).etag, whole.etag);
  ::close(fd);
  CHECK_EQ(MUST(oas::calc_part_size(64 * MIB)), 64 * MIB);

  // Errors from the C side keep their code, kind and message.
  FAILS(oas::calc_num_part(0, 5), OAS_RESULT_INVALID_ARGUMENT);
  FAILS(oas::calc_ranges(0, 5), OAS_RESULT_INVALID_ARGUMENT);
  FAILS(oas::calc_part_size(1), OAS_RESULT_INVALID_ARGUMENT);
  FAILS(oas::compute_hash_from_file(f.path(), data.size(), 1), OAS_RESULT_INVALID_ARGUMENT);
  if (auto e = FAILS(oas::compute_hash_from_file("/nonexistent/oas-cpp"), OAS_RESULT_IO))
    CHECK(e->kind() == oas::ErrorKind::Client);
  if (auto e = FAILS(oas::combine_tree_etags({"not a tree etag"}), OAS_RESULT_INVALID_ARGUMENT))
    CHECK_EQ(e->http_status(), std::uint16_t(0));
  FAILS(oas::compute_etag_from_fd(-1), OAS_RESULT_INVALID_ARGUMENT);

  // A NUL byte inside a string_view is refused, never cut short for C.
  const std::string with_nul = f.path() + std::string(1, '\0') + "tail";
  if (auto e = FAILS(oas::compute_hash_from_file(with_nul), OAS_RESULT_INVALID_ARGUMENT)) {
    CHECK(e->message().find("`path`") != std::string::npos);
    CHECK(e->kind() == oas::ErrorKind::Client);
    const oas::Error copy = *e;  // errors are plain values
    CHECK_EQ(std::string(copy.what()), copy.message());
    CHECK_EQ(copy.code_str(), oas::result_str(OAS_RESULT_INVALID_ARGUMENT));
  }
}

void client_errors() {
  oas::ClientOptions o;
  {
    // Unset endpoint and credentials are resolved from the environment or the
    // credentials file: with no source at all, INVALID_ARGUMENT.
    const char *names[] = {"OAS_ENDPOINT", "OAS_ACCESS_ID", "OAS_ACCESS_KEY"};
    std::string saved[3];
    bool had[3];
    for (int i = 0; i < 3; i++) {
      const char *v = std::getenv(names[i]);
      had[i] = v != nullptr;
      saved[i] = v ? v : "";
      unsetenv(names[i]);
    }
    setenv("OAS_CREDENTIALS_FILE", "/nonexistent/oas-test-credentials", 1);
    FAILS(oas::Client::create(o), OAS_RESULT_INVALID_ARGUMENT);
    unsetenv("OAS_CREDENTIALS_FILE");
    for (int i = 0; i < 3; i++)
      if (had[i]) setenv(names[i], saved[i].c_str(), 1);
  }
  o = env_options();
  o.endpoint = "ftp://127.0.0.1:1";
  if (auto e = FAILS(oas::Client::create(o), OAS_RESULT_INVALID_ARGUMENT)) CHECK(e->kind() == oas::ErrorKind::Client);
  o = env_options();
  o.workers = 0;
  FAILS(oas::Client::create(o), OAS_RESULT_INVALID_ARGUMENT);
  o = env_options();
  o.user_agent = std::string("cpp\0test", 8);
  FAILS(oas::Client::create(o), OAS_RESULT_INVALID_ARGUMENT);
}

// A retrieval of `archive` downloaded whole, by range and to a descriptor.
void download_checks(const oas::Client& c, const oas::Vault& v, const std::string& archive, const std::string& data) {
  const oas::Digests digests = MUST(oas::compute_hash(data));
  oas::Job job = MUST(v.retrieve_archive(archive, "cpp retrieve"));
  MUST(job.wait());
  CHECK(job.completed());
  MUST(job.outcome());
  CHECK_EQ(job.status_code(), std::string("Succeeded"));
  CHECK_EQ(job.action(), std::string("ArchiveRetrieval"));
  CHECK_EQ(job.archive_id(), archive);
  CHECK_EQ(job.vault_id(), v.id());
  CHECK_EQ(job.description(), std::string("cpp retrieve"));
  CHECK_EQ(job.archive_size().value_or(0), std::uint64_t(data.size()));
  CHECK_EQ(job.tree_etag(), digests.tree_etag);
  CHECK(!job.inventory_size());

  t::TempFile out;
  ProgressLog progress;
  oas::DownloadOptions opts;
  opts.progress = progress.fn();
  opts.range_size = 2 * MIB;  // two ranges, the second short
  MUST(job.download_to_file(out.path(), 0, false, opts));
  CHECK(t::read_file(out.path()) == data);
  progress.check(data.size(), __LINE__);
  CHECK_EQ(job.size_completed(), std::uint64_t(data.size()));

#if OAS_HPP_C_API_2
  // The job's progress is readable from its own progress callback.
  std::atomic<std::uint64_t> probed{0};
  oas::DownloadOptions probe;
  probe.progress = [&](std::uint64_t, std::uint64_t) {
    probed = job.size_completed();
    return true;
  };
  t::TempFile out2;
  MUST(job.download_to_file(out2.path(), 0, false, probe));
  CHECK(probed > 0 && probed <= data.size());
#endif

  t::TempFile part;
  MUST(job.download_by_range(oas::ByteRange{MIB, 2 * MIB - 1}, part.path()));
  CHECK(t::read_file(part.path()) == data.substr(MIB, MIB));
  t::TempFile tail;
  const int fd = ::open(tail.path().c_str(), O_WRONLY | O_TRUNC);
  MUST(job.download_by_range_fd(oas::ByteRange{2 * MIB, data.size() - 1}, fd));
  ::close(fd);
  CHECK(t::read_file(tail.path()) == data.substr(2 * MIB));
  FAILS(job.download_by_range(oas::ByteRange{1, 2}, part.path()), OAS_RESULT_INVALID_ARGUMENT);

  // A ranged retrieval, found again instead of paying for a second one.
  oas::Job ranged = MUST(v.retrieve_archive(archive, std::nullopt, oas::ByteRange{0, 2 * MIB - 1}));
  const std::optional<oas::ByteRange> r = ranged.retrieval_byte_range();
  CHECK(r && r->start == 0 && r->end == 2 * MIB - 1);
  oas::Job reused = MUST(oas::Job::retrieve_archive_reuse(c, v.id(), archive, std::nullopt, oas::ByteRange{0, 2 * MIB - 1}));
  CHECK_EQ(reused.id(), ranged.id());
#if OAS_HPP_C_API_2
  CHECK_EQ(MUST(v.retrieve_archive_reuse(archive)).id(), job.id());
#endif
  CHECK_EQ(MUST(oas::Job::describe(c, v.id(), job.id())).archive_id(), archive);
  oas::Job again = MUST(v.get_job(job.id()));
  MUST(again.update_status());
  CHECK(again.completed());

  // A job from the list downloads like any other (the items share the list).
  std::vector<oas::Job> jobs = MUST(v.list_all_jobs());
  CHECK(jobs.size() >= 2);
  bool found = false;
  for (oas::Job& j : jobs) {
    if (j.id() != job.id()) continue;
    found = true;
    t::TempFile copy;
    MUST(j.download_by_range(oas::ByteRange{0, MIB - 1}, copy.path()));
    CHECK(t::read_file(copy.path()) == data.substr(0, MIB));
  }
  CHECK(found);
}

void round_trip(const oas::Client& c) {
  oas::Vault v = MUST(oas::Vault::create(c, unique("rt")));
  CHECK_EQ(v.name(), unique("rt"));
  CHECK(!v.id().empty());
  CHECK(!v.creation_date().empty());
  const std::string small = t::bytes(100 * 1024 + 3, 1), big = t::bytes(2 * MIB + 5, 2);
  t::TempFile small_file(small), big_file(big);
  std::vector<std::string> ids;

  // One request.
  ProgressLog p1;
  oas::UploadOptions o1;
  o1.progress = p1.fn();
  ids.push_back(MUST(v.upload_archive(small_file.path(), "cpp small", o1)));
  p1.check(small.size(), __LINE__);
  // Multipart (threshold 2 MiB, 1 MiB parts: three).
  ProgressLog p2;
  oas::UploadOptions o2;
  o2.progress = p2.fn();
  ids.push_back(MUST(v.upload_archive(big_file.path(), std::nullopt, o2)));
  p2.check(big.size(), __LINE__);
  // Multipart through an Uploader.
  oas::Uploader up = MUST(v.initiate_uploader(big_file.path(), "cpp uploader"));
  CHECK(!up.id().empty());
  CHECK_EQ(up.description(), std::string("cpp uploader"));
  CHECK(!up.creation_date().empty());
  CHECK_EQ(up.part_size(), MIB);
  CHECK_EQ(up.size_total(), std::uint64_t(big.size()));
  oas::UploadOptions o3;
  std::atomic<std::uint64_t> probed{0};
  o3.progress = [&](std::uint64_t, std::uint64_t) {
    probed = up.size_completed();  // any thread, also this callback's
    return true;
  };
  ids.push_back(MUST(up.start(o3)));
  CHECK_EQ(up.size_completed(), std::uint64_t(big.size()));
  CHECK(probed > 0);
  // From a descriptor (always multipart).
  const int fd = ::open(small_file.path().c_str(), O_RDONLY);
  ids.push_back(MUST(v.upload_fd(fd, "cpp fd")));
  ::close(fd);

  download_checks(c, v, ids[1], big);

  // The inventory lists the four archives.
  oas::Job inv_job = MUST(v.retrieve_inventory("cpp inventory"));
  MUST(inv_job.wait());
  CHECK(inv_job.inventory_size().has_value());
  CHECK(!inv_job.retrieval_byte_range());
  t::TempFile inv_file;
  MUST(inv_job.download_to_file(inv_file.path()));
  oas::Inventory inv = MUST(oas::Inventory::open(inv_file.path()));
  CHECK_EQ(inv.vault_id(), v.id());
  CHECK(!inv.date().empty());
  const std::vector<oas::InventoryArchive> listed = MUST(inv.read_all());
  const std::string big_tree = MUST(oas::compute_tree_etag(big));
  CHECK_EQ(listed.size(), ids.size());
  for (const oas::InventoryArchive& a : listed) {
    CHECK(std::find(ids.begin(), ids.end(), a.id) != ids.end());
    CHECK(a.size == small.size() || a.size == big.size());
    if (a.size == big.size()) CHECK_EQ(a.tree_etag, big_tree);
  }
  MUST(v.refresh());
  CHECK(!v.last_inventory_date().empty());

  // Listing and finding vaults.
  std::vector<oas::Vault> vaults = MUST(oas::Vault::list_all(c));
  auto it = std::find_if(vaults.begin(), vaults.end(), [&](const oas::Vault& x) { return x.name() == v.name(); });
  CHECK(it != vaults.end());
  if (it != vaults.end()) {
    CHECK_EQ(it->id(), v.id());
    FAILS(it->refresh(), OAS_RESULT_INVALID_STATE);
  }
  CHECK_EQ(MUST(oas::Vault::get_by_name(c, v.name())).id(), v.id());
  FAILS(oas::Vault::create(c, "Not A Valid Name!"), OAS_RESULT_INVALID_ARGUMENT);

  for (const std::string& id : ids) MUST(v.delete_archive(id));
  MUST(v.delete_vault());
  FAILS(oas::Vault::get_by_id(c, v.id()), NOT_FOUND);
}

void server_errors(const oas::Client& c) {
  if (auto e = FAILS(oas::Vault::get_by_id(c, "cppnosuchvault"), NOT_FOUND)) {
    CHECK(e->kind() == oas::ErrorKind::Server);
    CHECK_EQ(e->http_status(), std::uint16_t(404));
    CHECK_EQ(e->server_code(), std::string("VaultNotExists"));
    CHECK(!e->server_type().empty());
    CHECK(!e->request_id().empty());
    CHECK(e->details().find("VaultNotExists") != std::string::npos);
    CHECK(e->details().find(e->request_id()) != std::string::npos);
#if OAS_HPP_C_API_2
    CHECK(!e->server_message().empty());
    CHECK(!e->headers().empty());
    CHECK_EQ(e->header("X-OAS-Request-Id").value_or("missing"), e->request_id());
    CHECK(!e->header("no-such-header").has_value());
#endif
  }
  oas::Vault v = MUST(oas::Vault::create(c, unique("err")));
  if (auto e = FAILS(v.get_job("cppnosuchjob"), NOT_FOUND)) CHECK_EQ(e->server_code(), std::string("JobNotExists"));
  FAILS(v.recover_uploader("cppnosuchupload"), NOT_FOUND);

#if OAS_HPP_EXCEPTIONS
  // value() throws the oas::Error, catchable as std::runtime_error.
  bool caught = false;
  try {
    (void)oas::Vault::get_by_id(c, "cppnosuchvault").value();
  } catch (const std::runtime_error& ex) {
    const auto* oe = dynamic_cast<const oas::Error*>(&ex);
    CHECK(oe != nullptr);
    caught = oe != nullptr && oe->http_status() == 404 && oe->code() == NOT_FOUND;
  }
  CHECK(caught);
  caught = false;
  try {
    oas::Vault::delete_by_id(c, "cppnosuchvault").value();
  } catch (const oas::Error& ex) {
    caught = ex.server_code() == "VaultNotExists";
  }
  CHECK(caught);
#else
  // Without exceptions value() on a failure aborts (in a child that makes
  // no library call, so forking a threaded process is safe).
  const oas::Result<oas::Vault> failed = oas::Vault::get_by_id(c, "cppnosuchvault");
  CHECK(!failed.ok());
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);  // the abort message is expected
    if (devnull >= 0) ::dup2(devnull, 2);
    (void)failed.value();
    _exit(0);
  }
  int status = 0;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
#endif
  MUST(oas::Vault::delete_by_name(c, v.name()));
}

void moves(const oas::Client& c) {
  oas::Vault a = MUST(oas::Vault::create(c, unique("mv")));
  const std::string id = a.id();
  oas::Vault b = std::move(a);
  CHECK_EQ(b.id(), id);
  // A moved-from handle is empty but safe.
  CHECK_EQ(a.id(), std::string());
  CHECK_EQ(a.name(), std::string());
  CHECK_EQ(a.number_of_archives(), std::int64_t(-1));
  FAILS(a.upload_archive("/dev/null"), OAS_RESULT_NULL_ARGUMENT);
  FAILS(a.list_all_jobs(), OAS_RESULT_NULL_ARGUMENT);
  FAILS(a.refresh(), OAS_RESULT_NULL_ARGUMENT);
  FAILS(a.delete_vault(), OAS_RESULT_NULL_ARGUMENT);
  // Move-assignment frees the handle it replaces (a leak or double free
  // would fail the valgrind and ASan runs).
  b = MUST(oas::Vault::get_by_id(c, id));
  a = std::move(b);
  CHECK_EQ(a.id(), id);
  CHECK_EQ(b.id(), std::string());

  // A moved-from client; a vault that outlives its client.
  oas::Client c1 = MUST(oas::Client::create(env_options()));
  oas::Client c2 = std::move(c1);
  FAILS(oas::Vault::get_by_id(c1, id), OAS_RESULT_NULL_ARGUMENT);
  std::optional<oas::Client> scoped(std::move(c2));
  oas::Vault survivor = MUST(oas::Vault::get_by_id(*scoped, id));
  scoped.reset();
  MUST(survivor.refresh());
  CHECK_EQ(survivor.id(), id);

  // List items keep their list alive after the vector is gone.
  std::vector<oas::Vault> kept;
  {
    std::vector<oas::Vault> all = MUST(oas::Vault::list_all(c));
    for (oas::Vault& x : all)
      if (x.id() == id) kept.push_back(std::move(x));
  }
  CHECK_EQ(kept.size(), std::size_t(1));
  if (!kept.empty()) CHECK_EQ(kept[0].name(), unique("mv"));

  // The other handles and Result.
  oas::StreamingEtag h = MUST(oas::StreamingEtag::create());
  oas::StreamingEtag h2 = std::move(h);
  FAILS(h.update("x"), OAS_RESULT_NULL_ARGUMENT);
  FAILS(h.finish(), OAS_RESULT_NULL_ARGUMENT);
  MUST(h2.update("abc"));
  CHECK_EQ(MUST(h2.finish()).etag, MUST(oas::compute_etag("abc")));

  const std::string data = t::bytes(10000, 3);
  t::TempFile f(data);
  oas::Uploader u = MUST(a.initiate_uploader(f.path()));
  oas::Uploader u2 = std::move(u);
  CHECK_EQ(u.id(), std::string());
  CHECK_EQ(u.size_completed(), std::uint64_t(0));
  u.stop();
  FAILS(u.start(), OAS_RESULT_NULL_ARGUMENT);
  FAILS(u.cancel(), OAS_RESULT_NULL_ARGUMENT);
  const std::string archive = MUST(u2.start());

  oas::Result<oas::Job> rj = a.retrieve_archive(archive);
  oas::Result<oas::Job> rj2 = std::move(rj);
  CHECK(rj2.ok());
  oas::Job j = MUST(std::move(rj2));
  oas::Job j2 = std::move(j);
  FAILS(j.update_status(), OAS_RESULT_NULL_ARGUMENT);
  FAILS(j.download_to_file(f.path()), OAS_RESULT_NULL_ARGUMENT);
  CHECK(!j.archive_size());
  CHECK(!j.retrieval_byte_range());
  CHECK_EQ(j.id(), std::string());
  j.cancel();
  MUST(j2.wait());

  t::TempFile inv_file("{\"VaultId\":\"V\",\"InventoryDate\":\"D\",\"ArchiveList\":[]}");
  oas::Inventory inv = MUST(oas::Inventory::open(inv_file.path()));
  oas::Inventory inv2 = std::move(inv);
  FAILS(inv.next(), OAS_RESULT_NULL_ARGUMENT);
  CHECK(MUST(inv2.read_all()).empty());

  MUST(a.delete_archive(archive));
  MUST(a.delete_vault());
}

// The log callback's record: static, since library threads may still be
// finishing a call when a test function returns.
struct LogSeen {
  std::mutex m;
  int count = 0;
  std::vector<std::string> targets;
};
LogSeen g_log;

int log_count() {
  std::lock_guard<std::mutex> lock(g_log.m);
  return g_log.count;
}

void callbacks(const oas::Client& c) {
  oas::Vault v = MUST(oas::Vault::create(c, unique("cb")));
  const std::string big = t::bytes(2 * MIB + 5, 4), small = t::bytes(5000, 5);
  t::TempFile big_file(big), small_file(small);
  std::vector<std::string> ids;

  // Progress returning false stops a multipart upload; it stays resumable.
  oas::UploadOptions stop;
  stop.progress = [](std::uint64_t done, std::uint64_t) { return done < MIB; };
  oas::Uploader up = MUST(v.initiate_uploader(big_file.path()));
  if (auto e = FAILS(up.start(stop), OAS_RESULT_CANCELLED)) CHECK(e->kind() == oas::ErrorKind::Cancelled);
  std::vector<oas::Uploader> pending = MUST(v.list_all_multipart_uploads());
  CHECK(std::any_of(pending.begin(), pending.end(), [&](const oas::Uploader& u) { return u.id() == up.id(); }));
  oas::Uploader recovered = MUST(v.recover_uploader(up.id()));
  ProgressLog resumed;
  oas::UploadOptions ro;
  ro.progress = resumed.fn();
  ids.push_back(MUST(recovered.resume(big_file.path(), ro)));
  resumed.check(big.size(), __LINE__);
  CHECK_EQ(recovered.size_completed(), std::uint64_t(big.size()));

  // upload_archive stopped the same way.
  const auto stopped = v.upload_archive(big_file.path(), std::nullopt, stop);
  FAILS(stopped, OAS_RESULT_CANCELLED);
#if OAS_HPP_C_API_2
  if (!stopped.ok()) {
    CHECK(!stopped.error().upload_id().empty());
    if (!stopped.error().upload_id().empty())
      ids.push_back(MUST(MUST(v.recover_uploader(stopped.error().upload_id())).resume(big_file.path())));
  }
#endif

  // stop() from another thread (the progress callback's worker), then
  // cancel() aborts the upload for good.
  oas::Uploader up3 = MUST(v.initiate_uploader(big_file.path()));
  oas::UploadOptions o3;
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> on_caller{false};
  o3.progress = [&](std::uint64_t, std::uint64_t) {
    if (std::this_thread::get_id() == caller) on_caller = true;
    up3.stop();
    return true;
  };
  FAILS(up3.start(o3), OAS_RESULT_CANCELLED);
  CHECK(!on_caller);  // documented: a worker thread of the transfer
  MUST(up3.cancel());
  FAILS(up3.resume(big_file.path()), OAS_RESULT_INVALID_STATE);

  // A download stopped from its progress callback, then resumed.
  oas::Job job = MUST(v.retrieve_archive(ids[0]));
  MUST(job.wait());
  t::TempFile out;
  oas::DownloadOptions dstop;
  dstop.range_size = MIB;
  dstop.workers = 1;
  dstop.progress = [](std::uint64_t done, std::uint64_t) { return done < MIB; };
  FAILS(job.download_to_file(out.path(), 0, false, dstop), OAS_RESULT_CANCELLED);
  MUST(job.download_to_file(out.path()));
  CHECK(t::read_file(out.path()) == big);

  // The log callback: installed, kept when a bad level is refused, removed.
  MUST(oas::set_log_callback(
      [](oas::LogLevel level, std::string_view target, std::string_view message) {
        std::lock_guard<std::mutex> lock(g_log.m);
        g_log.count++;
        g_log.targets.emplace_back(target);
        if (level < oas::LogLevel::Error || level > oas::LogLevel::Info || message.empty()) g_log.count += 1000000;
      },
      oas::LogLevel::Info));
  ids.push_back(MUST(v.upload_archive(small_file.path())));
  const int after_first = log_count();
  CHECK(after_first > 0 && after_first < 1000000);
  {
    std::lock_guard<std::mutex> lock(g_log.m);
    CHECK(std::any_of(g_log.targets.begin(), g_log.targets.end(),
                      [](const std::string& s) { return s.rfind("oas", 0) == 0; }));
  }
  FAILS(oas::set_log_callback([](oas::LogLevel, std::string_view, std::string_view) {}, static_cast<oas::LogLevel>(9)),
        OAS_RESULT_INVALID_ARGUMENT);
  ids.push_back(MUST(v.upload_archive(small_file.path())));
  const int after_second = log_count();
  CHECK(after_second > after_first);  // the first callback stayed
  MUST(oas::set_log_callback(nullptr));
  ids.push_back(MUST(v.upload_archive(small_file.path())));
  CHECK_EQ(log_count(), after_second);

#if OAS_HPP_EXCEPTIONS
  // A user's exception never unwinds through the library: it stops the
  // transfer and comes back out of the call, after the C frames returned.
  struct Boom : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  int calls = 0;
  oas::UploadOptions boom;
  boom.progress = [&calls](std::uint64_t, std::uint64_t) -> bool {
    calls++;
    throw Boom("boom from progress");
  };
  oas::Uploader up4 = MUST(v.initiate_uploader(big_file.path()));
  bool caught = false;
  try {
    (void)up4.start(boom);
  } catch (const Boom& b) {
    caught = std::string(b.what()) == "boom from progress";
  }
  CHECK(caught);
  CHECK_EQ(calls, 1);  // once it threw, it is not called again
  ids.push_back(MUST(MUST(v.recover_uploader(up4.id())).resume(big_file.path())));

  caught = false;
  try {
    (void)v.upload_archive(big_file.path(), std::nullopt, boom);
  } catch (const Boom&) {
    caught = true;
  }
  CHECK(caught);

  t::TempFile out2;
  oas::DownloadOptions dboom;
  dboom.progress = boom.progress;
  caught = false;
  try {
    (void)job.download_to_file(out2.path(), 0, false, dboom);
  } catch (const Boom&) {
    caught = true;
  }
  CHECK(caught);
  MUST(job.download_to_file(out2.path()));
  CHECK(t::read_file(out2.path()) == big);

  // A throwing log callback loses its message, nothing else.
  MUST(oas::set_log_callback([](oas::LogLevel, std::string_view, std::string_view) { throw Boom("boom from log"); },
                             oas::LogLevel::Trace));
  ids.push_back(MUST(v.upload_archive(small_file.path())));
  MUST(oas::set_log_callback(nullptr));
#endif

  for (const std::string& id : ids) MUST(v.delete_archive(id));
  for (oas::Uploader& u : MUST(v.list_all_multipart_uploads())) MUST(u.cancel());
  MUST(v.delete_vault());
}

template <class F>
void timed(const char* name, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu = std::clock();
  f();
  std::printf("%-14s %.2f s (%.2f s CPU)\n", name,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
              static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC);
}

}  // namespace

int main() {
  t::require_emulator();
  const oas::Client c = MUST(oas::Client::create(env_options()));
  timed("utils", utils);
  timed("client_errors", client_errors);
  timed("round_trip", [&] { round_trip(c); });
  timed("server_errors", [&] { server_errors(c); });
  timed("moves", [&] { moves(c); });
  timed("callbacks", [&] { callbacks(c); });
  return t::finish(OAS_HPP_EXCEPTIONS ? "cpp_test" : "cpp_test_noexc");
}
