// A C++17 program outside the liboas tree, built with
// find_package(liboas CONFIG) (tests/consumer/cmake/CMakeLists.txt) against
// liboas::liboas and liboas::liboas_static. Against the emulator named by
// OAS_ENDPOINT & co. it creates a vault, finds it in the list and deletes it.
//
//   app_shared|app_static <vault name>
#include <oas.h>
#ifdef OAS_CONSUMER_HPP
#include <oas.hpp> // the installed C++ header compiles from the installed tree
#endif

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

struct ClientFree {
  void operator()(const oas_client *c) const { oas_client_free(c); }
};
struct VaultFree {
  void operator()(oas_vault *v) const { oas_vault_free(v); }
};
struct ListFree {
  void operator()(oas_vault_list *l) const { oas_vault_list_free(l); }
};

int fail(const char *what, oas_result rc) {
  std::fprintf(stderr, "consumer: %s failed: %u (%s): %s\n", what, static_cast<unsigned>(rc),
               oas_result_str(rc), oas_error_message(oas_last_error()));
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  const char *endpoint = std::getenv("OAS_ENDPOINT");
  if (argc != 2 || endpoint == nullptr) {
    std::fprintf(stderr, "usage: OAS_ENDPOINT=... OAS_ACCESS_ID=... OAS_ACCESS_KEY=... %s <vault>\n", argv[0]);
    return 2;
  }
  const std::string name = argv[1];
  oas_client_options o;
  if (oas_result rc = oas_client_options_init(&o, sizeof o)) return fail("oas_client_options_init", rc);
  o.endpoint = endpoint;
  o.access_id = std::getenv("OAS_ACCESS_ID");
  o.access_key = std::getenv("OAS_ACCESS_KEY");

  const oas_client *raw_client = nullptr;
  if (oas_result rc = oas_client_new(&o, &raw_client)) return fail("oas_client_new", rc);
  std::unique_ptr<const oas_client, ClientFree> client(raw_client);

  oas_vault *raw_vault = nullptr;
  if (oas_result rc = oas_vault_create(client.get(), name.c_str(), &raw_vault)) return fail("oas_vault_create", rc);
  std::unique_ptr<oas_vault, VaultFree> vault(raw_vault);

  oas_vault_list *raw_list = nullptr;
  if (oas_result rc = oas_vault_list_all(client.get(), &raw_list)) return fail("oas_vault_list_all", rc);
  std::unique_ptr<oas_vault_list, ListFree> list(raw_list);
  std::size_t found = 0;
  for (std::size_t i = 0; i < oas_vault_list_len(list.get()); i++)
    if (name == oas_vault_name(oas_vault_list_get(list.get(), i))) found++;
  if (found != 1) {
    std::fprintf(stderr, "consumer: vault %s listed %zu times\n", name.c_str(), found);
    return 1;
  }
  if (oas_result rc = oas_vault_delete(vault.get())) return fail("oas_vault_delete", rc);
  std::printf("consumer %s: liboas %s, vault created, listed and deleted\n", name.c_str(), oas_version());
  return 0;
}
