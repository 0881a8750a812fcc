// liboas from C++ objects with static and thread storage duration, through
// the plain C API (docs/abi.md: no global init or shutdown): a namespace-scope
// object whose constructor makes a client before main and whose destructor
// uses and frees it after main; a function-local static first reached from
// several threads at once; and a thread_local object, so a client is freed
// while its thread exits. Every client makes a real request to the emulator
// (OAS_ENDPOINT & co. from tests/c/with_emulator.sh). A failure after main
// ends the process with _exit(1).
#include "oas.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

std::atomic<int> failures{0};

void fail(const char *where, oas_result rc) {
  std::fprintf(stderr, "%s returned %u (%s): %s\n", where, static_cast<unsigned>(rc),
               oas_result_str(rc), oas_error_message(oas_last_error()));
  failures++;
}

const oas_client *make_client() {
  const char *endpoint = std::getenv("OAS_ENDPOINT");
  if (endpoint == nullptr) {
    std::fprintf(stderr, "OAS_ENDPOINT not set: run through tests/c/with_emulator.sh\n");
    _exit(2);
  }
  oas_client_options o;
  if (oas_result rc = oas_client_options_init(&o, sizeof o)) fail("oas_client_options_init", rc);
  o.endpoint = endpoint;
  o.access_id = std::getenv("OAS_ACCESS_ID");
  o.access_key = std::getenv("OAS_ACCESS_KEY");
  const oas_client *c = nullptr;
  if (oas_result rc = oas_client_new(&o, &c)) fail("oas_client_new", rc);
  return c;
}

void use_client(const oas_client *c) {
  if (c == nullptr) {
    failures++;
    return;
  }
  oas_vault_list *list = nullptr;
  if (oas_result rc = oas_vault_list_all(c, &list)) fail("oas_vault_list_all", rc);
  oas_vault_list_free(list);
}

// Owns one client for its whole life and uses it at both ends.
struct ClientHolder {
  const oas_client *client;
  const char *name;
  explicit ClientHolder(const char *n) : client(make_client()), name(n) { use_client(client); }
  ~ClientHolder() {
    use_client(client);
    oas_client_free(client);
  }
  ClientHolder(const ClientHolder &) = delete;
  ClientHolder &operator=(const ClientHolder &) = delete;
};

// Reports the checks made after main (by the destructors of the statics
// constructed before it, which run first).
struct AfterMainReport {
  ~AfterMainReport() {
    if (failures != 0) {
      std::fprintf(stderr, "test_static_client: %d check(s) failed after main\n", failures.load());
      _exit(1);
    }
    std::fprintf(stderr, "test_static_client: checks after main passed\n");
  }
};
AfterMainReport report_after_main; // destroyed last: constructed first

ClientHolder global_client("namespace-scope static"); // before main, destroyed after it

ClientHolder &shared_client() {
  static ClientHolder local("function-local static"); // first caller constructs it
  return local;
}

void worker() {
  // A thread_local object: its client is freed while the thread exits.
  thread_local ClientHolder per_thread("thread_local");
  use_client(per_thread.client);
  use_client(shared_client().client);
  use_client(global_client.client);
}

}  // namespace

int main() {
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; i++) threads.emplace_back(worker);
  for (auto &t : threads) t.join();
  use_client(shared_client().client);
  if (failures != 0) {
    std::fprintf(stderr, "test_static_client: %d check(s) failed in main\n", failures.load());
    return 1;
  }
  std::printf("test_static_client (main): all checks passed\n");
  return 0;
}
