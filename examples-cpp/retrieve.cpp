// retrieve (C++): get an archive back. Starts a retrieval job (or reuses a
// running or finished one for the same archive, so a restarted program does
// not pay twice), waits for it with a status line, downloads the output with
// a progress bar (parallel ranges, verified, resumable through `<OUT>.oas`)
// and checks it against the original file when there is one.
//
//   (service from ~/.oascredentials or OAS_ENDPOINT & co., as quickstart)
//   build/example_cpp_retrieve [--vault NAME] [--archive ID] [--source FILE] [--out PATH] [--size BYTES]
//
// Without --archive it first uploads a generated file of --size bytes
// (default 5 MB) and retrieves that, so it runs on its own. Without --out the
// download goes to a temporary file removed at the end. Real jobs take hours:
// interrupt and run again, and the same job is reused and the download
// continues where it stopped.
//
// ctest: EMULATOR emulator_slow_jobs ARGS --vault example-cpp-retrieve --size 5000003
#include "example_util.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>

namespace {

// Waits for the job, polling at growing intervals (1 s doubling to 5 min)
// while redrawing a status line every second.
void wait_visibly(oas::Job& job) {
  const auto started = ex::Clock::now();
  auto next_poll = started;
  auto interval = std::chrono::seconds(1);
  for (;;) {
    const auto now = ex::Clock::now();
    if (now >= next_poll) {
      job.update_status().value();
      if (job.completed()) break;
      next_poll = now + interval;
      interval = std::min<std::chrono::seconds>(interval * 2, std::chrono::seconds(300));
    }
    std::fprintf(stderr, "\rjob %s: %s, %.0f s elapsed, next check in %.0f s   ", job.id().c_str(),
                 job.status_code().c_str(), std::chrono::duration<double>(now - started).count(),
                 std::chrono::duration<double>(next_poll - now).count());
    std::fflush(stderr);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::fprintf(stderr, "\rjob %s: %s after %.0f s%30s\n", job.id().c_str(), job.status_code().c_str(),
               std::chrono::duration<double>(ex::Clock::now() - started).count(), "");
  job.outcome().value();  // throws JOB_FAILED with the status message
}

// Compares both digests of the download with the job's and the source's.
int verify(const std::string& out, const std::optional<std::string>& source, const oas::Job& job) {
  const oas::Digests got = oas::compute_hash_from_file(out).value();
  std::printf("download: etag %s, tree etag %s\n", got.etag.c_str(), got.tree_etag.c_str());
  // The library already checked the tree etag; this shows it to the user.
  if (!job.tree_etag().empty() && job.tree_etag() != got.tree_etag) {
    std::fprintf(stderr, "error: tree etag differs from the job's %s\n", job.tree_etag().c_str());
    return 1;
  }
  if (!source) return 0;
  const oas::Digests want = oas::compute_hash_from_file(*source).value();
  std::printf("source:   etag %s, tree etag %s\n", want.etag.c_str(), want.tree_etag.c_str());
  if (got.etag != want.etag || got.tree_etag != want.tree_etag) {
    std::fprintf(stderr, "error: the download differs from %s\n", source->c_str());
    return 1;
  }
  std::printf("verified: the download matches %s\n", source->c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string vault_name = "liboas-retrieve";
  std::optional<std::string> archive, source, out;
  std::uint64_t size = 5000000;
  for (int i = 1; i < argc; i += 2) {
    const char* arg = argv[i];
    const char* val = i + 1 < argc ? argv[i + 1] : nullptr;
    if (val && !std::strcmp(arg, "--vault")) vault_name = val;
    else if (val && !std::strcmp(arg, "--archive")) archive = val;
    else if (val && !std::strcmp(arg, "--source")) source = val;
    else if (val && !std::strcmp(arg, "--out")) out = val;
    else if (val && !std::strcmp(arg, "--size")) size = std::strtoull(val, nullptr, 10);
    else {
      std::fprintf(stderr, "usage: %s [--vault NAME] [--archive ID] [--source FILE] [--out PATH] [--size BYTES]\n",
                   argv[0]);
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);

  std::unique_ptr<ex::GeneratedFile> generated, tmp_out;
  const char* step = "oas::Client::create";
  try {
    const oas::Client client = oas::Client::create(ex::options_from_env()).value();
    step = "oas::Vault::create";
    const oas::Vault vault = oas::Vault::create(client, vault_name).value();

    if (!archive) {
      generated = std::make_unique<ex::GeneratedFile>(size);
      source = generated->path();
      step = "Vault::upload_archive";
      ex::ProgressBar bar("upload");
      oas::UploadOptions upload;
      upload.progress = bar.callback();
      archive = vault.upload_archive(*source, "liboas C++ retrieve example", upload).value();
      bar.finish();
      std::printf("uploaded archive %s\n", archive->c_str());
    }

    step = "oas::Job::retrieve_archive_reuse";
    oas::Job job =
        oas::Job::retrieve_archive_reuse(client, vault.id(), *archive, "liboas C++ retrieve example").value();
    std::printf("retrieval job %s (created %s) for archive %s\n", job.id().c_str(), job.creation_date().c_str(),
                archive->c_str());
    step = "waiting for the job";
    wait_visibly(job);
    std::printf("job %s: %s, %" PRIu64 " bytes ready\n", job.id().c_str(), job.status_message().c_str(),
                job.archive_size().value_or(0));

    if (!out) {
      tmp_out = std::make_unique<ex::GeneratedFile>(0);
      out = tmp_out->path();
    }
    step = "Job::download_to_file";
    ex::ProgressBar bar("download");
    oas::DownloadOptions download;
    download.progress = bar.callback();
    const oas::Result<void> done = job.download_to_file(*out, 0, false, download);
    if (!done.ok()) {
      if (access((*out + ".oas").c_str(), F_OK) == 0)
        std::fprintf(stderr, "\nrun again to resume from %s.oas\n", out->c_str());
      done.value();  // throws
    }
    bar.finish();
    std::printf("downloaded %s\n", out->c_str());
    step = "verifying";
    return verify(*out, source, job);
  } catch (const oas::Error& e) {
    return ex::report(step, e);
  }
}
