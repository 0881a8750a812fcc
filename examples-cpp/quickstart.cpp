// quickstart (C++): create (or open) a vault, upload a file with a live
// progress bar, print the archive id, and list the vaults of the account.
//
//   build/example_cpp_quickstart [--vault NAME] [--size BYTES] [FILE]
//
// The service and credentials come from ~/.oascredentials (the oascmd file)
// or OAS_ENDPOINT, OAS_ACCESS_ID, OAS_ACCESS_KEY (README, "Configuration").
//
// Without FILE it uploads a generated file of --size bytes (default 3 MB)
// and removes it afterwards. Files up to 64 MiB go up in one request, larger
// ones as a parallel multipart upload. The last stdout line is
// `archive id: <id>`, for scripts. Errors arrive as oas::Error exceptions
// (`.value()` throws them); see tests/cpp for the same calls without.
//
// ctest: EMULATOR emulator ARGS --vault example-cpp-quickstart --size 3000001
#include "example_util.hpp"

#include <cinttypes>
#include <cstring>
#include <memory>
#include <optional>

int main(int argc, char** argv) {
  std::string vault_name = "liboas-quickstart";
  std::uint64_t size = 3000000;
  std::optional<std::string> path;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--vault") && i + 1 < argc) {
      vault_name = argv[++i];
    } else if (!std::strcmp(argv[i], "--size") && i + 1 < argc) {
      size = std::strtoull(argv[++i], nullptr, 10);
    } else if (argv[i][0] != '-' && !path) {
      path = argv[i];
    } else {
      std::fprintf(stderr, "usage: %s [--vault NAME] [--size BYTES] [FILE]\n", argv[0]);
      return 2;
    }
  }
  // Results on stdout stay in order with the progress on stderr.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::unique_ptr<ex::GeneratedFile> generated;
  if (!path) {
    generated = std::make_unique<ex::GeneratedFile>(size);
    path = generated->path();
  }

  const char* step = "oas::Client::create";
  try {
    const oas::Client client = oas::Client::create(ex::options_from_env()).value();

    // Creating an existing vault is not an error: it returns that vault.
    step = "oas::Vault::create";
    const oas::Vault vault = oas::Vault::create(client, vault_name).value();
    std::printf("vault %s (id %s, created %s)\n", vault.name().c_str(), vault.id().c_str(),
                vault.creation_date().c_str());

    step = "Vault::upload_archive";
    ex::ProgressBar bar("upload");
    oas::UploadOptions upload;
    upload.progress = bar.callback();
    const std::string archive_id = vault.upload_archive(*path, "liboas C++ quickstart", upload).value();
    bar.finish();

    step = "oas::Vault::list_all";
    const std::vector<oas::Vault> vaults = oas::Vault::list_all(client).value();
    std::printf("%zu vault(s):\n", vaults.size());
    for (const oas::Vault& v : vaults)
      std::printf("  %-24s %s  %" PRId64 " archive(s), %" PRId64 " bytes (as of the last inventory)\n",
                  v.name().c_str(), v.id().c_str(), v.number_of_archives(), v.size());
    std::printf("archive id: %s\n", archive_id.c_str());
    return 0;
  } catch (const oas::Error& e) {
    return ex::report(step, e);
  }
}
