/* A program outside the liboas tree: it knows only the installed header and
 * library (scripts/consumer-test.sh builds it with pkg-config, shared and
 * static). Against the emulator named by OAS_ENDPOINT & co. it creates a
 * vault, uploads a generated file, finds the vault in the list, and deletes
 * the archive and the vault.
 *
 *   app <vault name> <scratch file>
 */
#include <oas.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, oas_result rc) {
  fprintf(stderr, "consumer: %s failed: %u (%s): %s\n", what, (unsigned)rc, oas_result_str(rc),
          oas_error_message(oas_last_error()));
  return 1;
}

int main(int argc, char **argv) {
  const char *endpoint = getenv("OAS_ENDPOINT");
  oas_client_options o;
  const oas_client *c = NULL;
  oas_vault *v = NULL;
  oas_vault_list *list = NULL;
  char *archive = NULL;
  FILE *f;
  size_t i, found = 0;
  oas_result rc;
  int status = 1;

  if (argc != 3 || endpoint == NULL) {
    fprintf(stderr, "usage: OAS_ENDPOINT=... OAS_ACCESS_ID=... OAS_ACCESS_KEY=... %s <vault> <file>\n", argv[0]);
    return 2;
  }
  /* The header and the library that the loader picked must be the same
   * release. */
  if (oas_version_number() != (uint32_t)(OAS_VERSION_MAJOR * 10000 + OAS_VERSION_MINOR * 100 + OAS_VERSION_PATCH)) {
    fprintf(stderr, "consumer: library %s does not match the header\n", oas_version());
    return 1;
  }
  f = fopen(argv[2], "wb");
  if (f == NULL) {
    perror(argv[2]);
    return 1;
  }
  for (i = 0; i < 300000; i++) fputc((int)(i % 251), f);
  fclose(f);

  if ((rc = oas_client_options_init(&o, sizeof o)) != OAS_RESULT_OK) return fail("oas_client_options_init", rc);
  o.endpoint = endpoint;
  o.access_id = getenv("OAS_ACCESS_ID");
  o.access_key = getenv("OAS_ACCESS_KEY");
  if ((rc = oas_client_new(&o, &c)) != OAS_RESULT_OK) return fail("oas_client_new", rc);
  if ((rc = oas_vault_create(c, argv[1], &v)) != OAS_RESULT_OK) {
    fail("oas_vault_create", rc);
    goto done;
  }
  rc = oas_vault_upload_archive(v, argv[2], "consumer test", NULL, &archive);
  if (rc != OAS_RESULT_OK) {
    fail("oas_vault_upload_archive", rc);
    goto done;
  }
  if ((rc = oas_vault_list_all(c, &list)) != OAS_RESULT_OK) {
    fail("oas_vault_list_all", rc);
    goto done;
  }
  for (i = 0; i < oas_vault_list_len(list); i++)
    if (strcmp(oas_vault_name(oas_vault_list_get(list, i)), argv[1]) == 0) found++;
  if (found != 1) {
    fprintf(stderr, "consumer: vault %s listed %zu times\n", argv[1], found);
    goto done;
  }
  if ((rc = oas_vault_delete_archive(v, archive)) != OAS_RESULT_OK) {
    fail("oas_vault_delete_archive", rc);
    goto done;
  }
  if ((rc = oas_vault_delete(v)) != OAS_RESULT_OK) {
    fail("oas_vault_delete", rc);
    goto done;
  }
  printf("consumer %s: liboas %s, archive %s uploaded and deleted\n", argv[1], oas_version(), archive);
  status = 0;
done:
  oas_string_free(archive);
  oas_vault_list_free(list);
  oas_vault_free(v);
  oas_client_free(c);
  remove(argv[2]);
  return status;
}
