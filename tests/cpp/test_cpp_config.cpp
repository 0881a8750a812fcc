// The C++ layer for real accounts, against an emulator of its own (fixture
// emulator_cpp, --max-vaults 4; its runs hold a ctest resource lock, so the
// vaults there are theirs alone): region endpoints; the protocol_version and
// oss_host options; not-found and quota failures as distinct kinds
// (Error::not_found() / quota_exceeded(), and the NotFoundError /
// QuotaExceededError that value() throws); uploads from a ReadFn and a
// std::istream, downloads to a WriteFn and a std::ostream, with the
// exceptions of those callbacks stopping the transfer and coming back out of
// the call, never through the C frames; Vault::purge. Built with exceptions
// (cpp_test_config) and without (cpp_test_config_noexc).
#include "cpp_test.hpp"

#include <mutex>
#include <sstream>

namespace {

using t::MIB;
using t::MODE;

std::string unique(const char* what) { return std::string("cppcfg-") + what + "-" + MODE; }

oas::ClientOptions env_options() { return t::emulator_options(); }

#if OAS_HPP_EXCEPTIONS
struct Boom : std::runtime_error {
  using std::runtime_error::runtime_error;
};
#endif

void regions() {
  CHECK_EQ(MUST(oas::region_endpoint("cn-hangzhou")), std::string("http://cn-hangzhou.oas.aliyuncs.com"));
  CHECK_EQ(MUST(oas::region_endpoint("cn-qingdao", true, true)),
           std::string("https://cn-qingdao.oas-internal.aliyuncs.com"));
  if (auto e = FAILS(oas::region_endpoint("Not A Region"), OAS_RESULT_INVALID_ARGUMENT))
    CHECK(e->message().find("region") != std::string::npos);
  FAILS(oas::region_endpoint(std::string("cn\0x", 4)), OAS_RESULT_INVALID_ARGUMENT);
}

void options(const oas::Client& c) {
  // protocol_version reaches the library: values it refuses are refused.
  oas::ClientOptions o = env_options();
  o.protocol_version = "";
  if (auto e = FAILS(oas::Client::create(o), OAS_RESULT_INVALID_ARGUMENT))
    CHECK(e->message().find("protocol version") != std::string::npos);
  o.protocol_version = "0.2.5\r\nx-injected: 1";
  FAILS(oas::Client::create(o), OAS_RESULT_INVALID_ARGUMENT);
  o.protocol_version = "2014-01-01";
  const oas::Client manual = MUST(oas::Client::create(o));
  MUST(oas::Vault::list_all(manual));

  // oss_host is the default OSS host of an OSS job given an empty one.
  oas::Vault v = MUST(oas::Vault::create(c, unique("oss")));
  FAILS(v.pull_from_oss("", "bucket", "object"), OAS_RESULT_INVALID_ARGUMENT);
  o = env_options();
  o.oss_host = "oss-cn-hangzhou-internal.aliyuncs.com";
  const oas::Client with_oss = MUST(oas::Client::create(o));
  oas::Vault v2 = MUST(oas::Vault::get_by_id(with_oss, v.id()));
  oas::Job pull = MUST(v2.pull_from_oss("", "bucket", "object", "cpp pull"));
  CHECK_EQ(pull.action(), std::string("PullFromOSS"));
  MUST(v.delete_vault());
}

void errors(const oas::Client& c) {
  const auto missing = oas::Vault::get_by_id(c, "cppnosuchvault");
  if (auto e = FAILS(missing, OAS_RESULT_NOT_FOUND)) {
    CHECK(e->not_found());
    CHECK(!e->quota_exceeded());
  }
  if (auto e = FAILS(oas::Vault::get_by_name(c, "cppnosuchvault"), OAS_RESULT_NOT_FOUND)) CHECK(e->not_found());
  if (auto e = FAILS(oas::region_endpoint("Not A Region"), OAS_RESULT_INVALID_ARGUMENT))
    CHECK(!e->not_found() && !e->quota_exceeded());
#if OAS_HPP_EXCEPTIONS
  bool caught = false;
  try {
    (void)oas::Vault::get_by_id(c, "cppnosuchvault").value();
  } catch (const oas::NotFoundError& e) {
    caught = e.http_status() == 404 && e.server_code() == "VaultNotExists";
  }
  CHECK(caught);
  caught = false;
  try {
    oas::Vault::delete_by_name(c, "cppnosuchvault").value();
  } catch (const oas::Error& e) {  // still an oas::Error
    caught = dynamic_cast<const oas::NotFoundError*>(&e) != nullptr;
  }
  CHECK(caught);
  caught = false;
  try {
    (void)oas::region_endpoint("Not A Region").value();
  } catch (const oas::NotFoundError&) {
  } catch (const oas::QuotaExceededError&) {
  } catch (const oas::Error& e) {
    caught = e.code() == OAS_RESULT_INVALID_ARGUMENT;  // other codes: a plain oas::Error
  }
  CHECK(caught);
#endif

  // The emulator allows 4 vaults: the 5th is the quota error.
  std::vector<oas::Vault> made;
  std::optional<oas::Error> quota;
  for (int i = 0; i < 5 && !quota; i++) {
    auto r = oas::Vault::create(c, unique("quota") + std::to_string(i));
    if (r.ok())
      made.push_back(std::move(r).value());
    else
      quota = r.error();
  }
  CHECK_EQ(made.size(), std::size_t(4));
  CHECK(quota.has_value());
  if (quota) {
    CHECK_EQ(quota->code(), oas::ResultCode{OAS_RESULT_QUOTA_EXCEEDED});
    CHECK(quota->quota_exceeded());
    CHECK(!quota->not_found());
    CHECK(quota->kind() == oas::ErrorKind::Server);
    CHECK_EQ(quota->http_status(), std::uint16_t(403));
    CHECK_EQ(quota->server_code(), std::string("TooManyVaults"));
  }
#if OAS_HPP_EXCEPTIONS
  caught = false;
  try {
    (void)oas::Vault::create(c, unique("quota-extra")).value();
  } catch (const oas::QuotaExceededError& e) {
    caught = e.server_code() == "TooManyVaults";
  }
  CHECK(caught);
#endif
  for (const oas::Vault& v : made) MUST(v.delete_vault());
}

// Serves `data` in reads of at most 4099 bytes, as a pipe would.
oas::ReadFn reader(const std::string& data, std::size_t& off, int& calls) {
  return [&data, &off, &calls](std::uint8_t* buf, std::size_t len) -> std::int64_t {
    calls++;
    const std::size_t n = std::min<std::size_t>({len, data.size() - off, 4099});
    std::copy(data.data() + off, data.data() + off + n, reinterpret_cast<char*>(buf));
    off += n;
    return static_cast<std::int64_t>(n);
  };
}

void streams(const oas::Client& c) {
  oas::Vault v = MUST(oas::Vault::create(c, unique("streams")));
  const std::string data = t::bytes(3 * MIB + 17, 9);
  std::vector<std::string> ids;

  std::size_t off = 0;
  int calls = 0;
  ids.push_back(MUST(v.upload_callback(reader(data, off, calls), "cpp read callback")));
  CHECK_EQ(off, data.size());
  CHECK(calls > 1);
  std::istringstream in(data);
  ids.push_back(MUST(v.upload_stream(in, "cpp istream")));

  FAILS(v.upload_callback(oas::ReadFn{}), OAS_RESULT_NULL_ARGUMENT);
  FAILS(v.upload_callback([](std::uint8_t*, std::size_t) -> std::int64_t { return -1; }), OAS_RESULT_IO);
  std::istringstream bad(data);
  bad.setstate(std::ios::badbit);
  FAILS(v.upload_stream(bad), OAS_RESULT_IO);

  for (const std::string& id : ids) {
    oas::Job job = MUST(v.retrieve_archive(id));
    MUST(job.wait());
    // The whole output to a std::ostream.
    std::ostringstream out;
    MUST(job.download_to_stream(out));
    CHECK(out.str() == data);
    // A range to a write callback.
    std::string got;
    MUST(job.download_to_callback(
        [&got](const std::uint8_t* buf, std::size_t len) {
          got.append(reinterpret_cast<const char*>(buf), len);
          return true;
        },
        oas::ByteRange{MIB, 2 * MIB - 1}));
    CHECK(got == data.substr(MIB, MIB));
    // A callback that stops; an empty one; a stream that fails.
    FAILS(job.download_to_callback([](const std::uint8_t*, std::size_t) { return false; }), OAS_RESULT_CANCELLED);
    FAILS(job.download_to_callback(oas::WriteFn{}), OAS_RESULT_NULL_ARGUMENT);
    std::ostringstream broken;
    broken.setstate(std::ios::badbit);
    if (auto e = FAILS(job.download_to_stream(broken), OAS_RESULT_IO))
      CHECK(e->message().find("std::ostream") != std::string::npos);
  }

#if OAS_HPP_EXCEPTIONS
  // A callback's exception stops the transfer and comes back out of the call.
  int read_calls = 0;
  bool caught = false;
  try {
    (void)v.upload_callback([&read_calls](std::uint8_t*, std::size_t) -> std::int64_t {
      read_calls++;
      throw Boom("boom from read");
    });
  } catch (const Boom& b) {
    caught = std::string(b.what()) == "boom from read";
  }
  CHECK(caught);
  CHECK_EQ(read_calls, 1);
  oas::Job job = MUST(v.retrieve_archive(ids[0]));
  MUST(job.wait());
  int write_calls = 0;
  caught = false;
  try {
    (void)job.download_to_callback([&write_calls](const std::uint8_t*, std::size_t) -> bool {
      write_calls++;
      throw Boom("boom from write");
    });
  } catch (const Boom&) {
    caught = true;
  }
  CHECK(caught);
  CHECK_EQ(write_calls, 1);
  // An ostream that throws on failure: its exception comes back out too.
  std::ostringstream throwing;
  throwing.exceptions(std::ios::badbit);
  caught = false;
  try {
    throwing.setstate(std::ios::badbit);
  } catch (const std::ios_base::failure&) {
    caught = true;
  }
  CHECK(caught);
  caught = false;
  try {
    (void)job.download_to_stream(throwing);
  } catch (const std::ios_base::failure&) {
    caught = true;
  }
  CHECK(caught);
#endif

  for (oas::Uploader& u : MUST(v.list_all_multipart_uploads())) MUST(u.cancel());
  for (const std::string& id : ids) MUST(v.delete_archive(id));
  MUST(v.delete_vault());
}

struct PurgeProgress {
  std::mutex m;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
};

void purge(const oas::Client& c) {
  const std::string name = unique("purge");
  oas::Vault v = MUST(oas::Vault::create(c, name));
  for (int i = 0; i < 5; i++) {
    t::TempFile f(t::bytes(1000 + static_cast<std::size_t>(i), 20 + static_cast<std::uint64_t>(i)));
    MUST(v.upload_archive(f.path()));
  }
  t::TempFile big(t::bytes(3 * MIB, 30));
  oas::Uploader pending = MUST(v.initiate_uploader(big.path()));

  PurgeProgress p;
  oas::PurgeOptions o;
  o.workers = 3;
  o.wait.first_interval = std::chrono::milliseconds(50);
  o.wait.timeout = std::chrono::milliseconds(60000);
  o.progress = [&p](std::uint64_t done, std::uint64_t total) {
    std::lock_guard<std::mutex> lock(p.m);
    p.calls.emplace_back(done, total);
    return true;
  };
  o.keep_vault = true;
  const oas::PurgeReport kept = MUST(v.purge(o));
  CHECK_EQ(kept.uploads_aborted, std::uint64_t(1));
  CHECK_EQ(kept.archives_listed, std::uint64_t(5));
  CHECK_EQ(kept.archives_deleted, std::uint64_t(5));
  CHECK_EQ(kept.archives_already_gone, std::uint64_t(0));
  CHECK_EQ(kept.archives_failed, std::uint64_t(0));
  CHECK(!kept.vault_deleted);
  {
    std::lock_guard<std::mutex> lock(p.m);
    CHECK(!p.calls.empty());
    for (std::size_t i = 1; i < p.calls.size(); i++) CHECK(p.calls[i].first > p.calls[i - 1].first);
    if (!p.calls.empty()) CHECK(p.calls.back() == std::make_pair(std::uint64_t(5), std::uint64_t(5)));
  }
  MUST(oas::Vault::get_by_name(c, name));  // kept

  o.progress = nullptr;
  o.keep_vault = false;
#if OAS_HPP_EXCEPTIONS
  // The progress callback's exception stops the purge and comes back out.
  int calls = 0;
  o.progress = [&calls](std::uint64_t, std::uint64_t) -> bool {
    calls++;
    throw Boom("boom from purge progress");
  };
  bool caught = false;
  try {
    (void)v.purge(o);
  } catch (const Boom&) {
    caught = true;
  }
  CHECK(caught);
  CHECK_EQ(calls, 1);
  MUST(oas::Vault::get_by_name(c, name));  // still there
  o.progress = nullptr;
#endif
  // The rerun finds every archive gone and deletes the vault.
  const oas::PurgeReport done = MUST(v.purge(o));
  CHECK_EQ(done.archives_listed, std::uint64_t(5));
  CHECK_EQ(done.archives_deleted, std::uint64_t(0));
  CHECK_EQ(done.archives_already_gone, std::uint64_t(5));
  CHECK(done.vault_deleted);
  if (auto e = FAILS(oas::Vault::get_by_name(c, name), OAS_RESULT_NOT_FOUND)) CHECK(e->not_found());
  FAILS(v.purge(), OAS_RESULT_NOT_FOUND);

  oas::PurgeOptions bad;
  bad.workers = 300;
  FAILS(v.purge(bad), OAS_RESULT_INVALID_ARGUMENT);
  bad = oas::PurgeOptions{};
  bad.work_dir = std::string("/tmp\0x", 6);
  FAILS(v.purge(bad), OAS_RESULT_INVALID_ARGUMENT);
}

}  // namespace

int main() {
  t::require_emulator();
  const oas::Client c = MUST(oas::Client::create(env_options()));
  regions();
  options(c);
  streams(c);
  purge(c);
  errors(c);
  return t::finish(OAS_HPP_EXCEPTIONS ? "cpp_test_config" : "cpp_test_config_noexc");
}
