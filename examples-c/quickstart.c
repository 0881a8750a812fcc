/* quickstart: create (or open) a vault, upload a file with a live progress
 * bar, print the archive id, and list the vaults of the account.
 *
 *   quickstart [--vault NAME] [--size BYTES] [FILE]
 *
 * The service and credentials come from ~/.oascredentials (the oascmd
 * file) or OAS_ENDPOINT, OAS_ACCESS_ID, OAS_ACCESS_KEY (README,
 * "Configuration").
 *
 * Without FILE it uploads a generated file of --size bytes (default 3 MB)
 * and removes it afterwards. Files up to 64 MiB go up in one request, larger
 * ones as a parallel multipart upload. The last stdout line is
 * `archive id: <id>`, for scripts (scripts/demo.sh reads it).
 *
 * ctest: EMULATOR emulator ARGS --vault example-quickstart --size 3000001
 */
#include "example_util.h"

int main(int argc, char **argv) {
  ex_args args = {"liboas-quickstart", NULL, 3000000, 0, 0, {0}};
  const oas_client *client = NULL;
  oas_vault *vault = NULL;
  oas_vault_list *vaults = NULL;
  char *archive_id = NULL;
  ex_progress progress;
  oas_upload_options upload;
  oas_result rc;
  size_t i;
  int status = 1;

  /* Results on stdout stay in order with the progress on stderr, even when
   * stdout is a pipe (scripts/demo.sh tees it). */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if ((status = ex_parse_args(argc, argv, &args)) != 0) return status;
  status = 1;
  if (!(client = ex_client_from_env(NULL))) goto out;

  /* Creating an existing vault is not an error: it returns that vault. */
  rc = oas_vault_create(client, args.vault, &vault);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_vault_create", rc);
    goto out;
  }
  printf("vault %s (id %s, created %s)\n", oas_vault_name(vault), oas_vault_id(vault),
         oas_vault_creation_date(vault));

  ex_progress_init(&progress, "upload");
  oas_upload_options_init(&upload, sizeof upload);
  upload.progress = ex_progress_cb;
  upload.userdata = &progress;
  rc = oas_vault_upload_archive(vault, args.path, "liboas quickstart", &upload, &archive_id);
  if (rc != OAS_RESULT_OK) {
    fputc('\n', stderr);
    ex_fail("oas_vault_upload_archive", rc);
    goto out;
  }
  ex_progress_end(&progress);

  rc = oas_vault_list_all(client, &vaults);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_vault_list_all", rc);
    goto out;
  }
  printf("%zu vault(s):\n", oas_vault_list_len(vaults));
  for (i = 0; i < oas_vault_list_len(vaults); i++) {
    const oas_vault *v = oas_vault_list_get(vaults, i);
    printf("  %-24s %s  %" PRId64 " archive(s), %" PRId64 " bytes (as of the last inventory)\n",
           oas_vault_name(v), oas_vault_id(v), oas_vault_number_of_archives(v), oas_vault_size(v));
  }
  printf("archive id: %s\n", archive_id);
  status = 0;

out:
  ex_args_done(&args);
  oas_string_free(archive_id);
  oas_vault_list_free(vaults);
  oas_vault_free(vault);
  oas_client_free(client);
  return status;
}
