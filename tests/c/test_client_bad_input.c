/* Bad input to the client, vault and uploader API: NULL handles and strings,
 * options not initialised, a vault name the spec forbids, invalid UTF-8, a
 * negative descriptor. None of these reaches the network (the endpoint below
 * is never contacted), so the test needs no server. */
#include "test_util.h"

int main(void) {
  oas_client_options o;
  const oas_client *c = NULL;
  const oas_client *c2 = NULL;
  oas_vault *v = NULL;
  oas_vault_list *vl = NULL;
  oas_uploader *u = NULL;
  char *archive = NULL;
  const char bad_utf8[] = {'a', 'b', (char)0xff, 0};

  /* Options must come from oas_client_options_init. */
  memset(&o, 0, sizeof o);
  CHECK_ERR(oas_client_new(&o, &c), OAS_RESULT_INVALID_ARGUMENT, "oas_client_options_init");
  CHECK(c == NULL);
  CHECK_ERR(oas_client_new(NULL, &c), OAS_RESULT_NULL_ARGUMENT, "`opts`");
  oas_client_options_init(&o, sizeof o);
  CHECK(o.size == sizeof o);
  CHECK(o.workers == 16 && o.upload_threshold == 64u * 1024 * 1024 && o.verify_tls);
  /* Unset endpoint and credentials are completed from the environment or the
   * credentials file; with none of those, the error names every source. */
  no_credential_sources();
  CHECK_ERR(oas_client_new(&o, &c), OAS_RESULT_INVALID_ARGUMENT, "no source completed them");
  CHECK_ERR(oas_client_new(&o, &c), OAS_RESULT_INVALID_ARGUMENT, "oas-test-credentials: not found");
  o.endpoint = "ftp://example.invalid";
  o.access_id = "id";
  o.access_key = "secret";
  CHECK_ERR(oas_client_new(&o, &c), OAS_RESULT_INVALID_ARGUMENT, "endpoint");
  o.endpoint = "http://127.0.0.1:9";
  o.workers = 0;
  CHECK_ERR(oas_client_new(&o, &c), OAS_RESULT_INVALID_ARGUMENT, "workers");
  o.workers = 2;
  CHECK_ERR(oas_client_new(&o, NULL), OAS_RESULT_NULL_ARGUMENT, "`client_out`");
  CHECK_OK(oas_client_new(&o, &c));
  CHECK(c != NULL);

  /* Vaults: names the spec forbids never leave the process. */
  CHECK_ERR(oas_vault_create(NULL, "abc", &v), OAS_RESULT_NULL_ARGUMENT, "`client`");
  CHECK_ERR(oas_vault_create(c, NULL, &v), OAS_RESULT_NULL_ARGUMENT, "`name`");
  CHECK_ERR(oas_vault_create(c, "abc", NULL), OAS_RESULT_NULL_ARGUMENT, "`vault_out`");
  CHECK_ERR(oas_vault_create(c, "Upper-Case", &v), OAS_RESULT_INVALID_ARGUMENT, "vault name");
  CHECK_ERR(oas_vault_create(c, "ab", &v), OAS_RESULT_INVALID_ARGUMENT, "vault name");
  CHECK_ERR(oas_vault_create(c, "trailing-", &v), OAS_RESULT_INVALID_ARGUMENT, "vault name");
  CHECK_ERR(oas_vault_create(c, bad_utf8, &v), OAS_RESULT_INVALID_UTF8, "`name`");
  CHECK_ERR(oas_vault_get_by_name(c, "a/b", &v), OAS_RESULT_INVALID_ARGUMENT, "vault name");
  CHECK_ERR(oas_vault_get_by_id(c, "", &v), OAS_RESULT_INVALID_ARGUMENT, "vault id");
  CHECK_ERR(oas_vault_delete_by_id(c, NULL), OAS_RESULT_NULL_ARGUMENT, "`vault_id`");
  CHECK_ERR(oas_vault_delete_by_name(c, "NO"), OAS_RESULT_INVALID_ARGUMENT, "vault name");
  CHECK_ERR(oas_vault_list_all(c, NULL), OAS_RESULT_NULL_ARGUMENT, "`list_out`");
  CHECK(v == NULL && vl == NULL);

  CHECK_ERR(oas_vault_delete(NULL), OAS_RESULT_NULL_ARGUMENT, "`vault`");
  CHECK_ERR(oas_vault_refresh(NULL), OAS_RESULT_NULL_ARGUMENT, "`vault`");
  CHECK_ERR(oas_vault_upload_archive(NULL, "/tmp/x", NULL, NULL, &archive),
            OAS_RESULT_NULL_ARGUMENT, "`vault`");
  CHECK_ERR(oas_vault_upload_fd(NULL, 0, NULL, NULL, &archive), OAS_RESULT_NULL_ARGUMENT,
            "`vault`");
  CHECK_ERR(oas_vault_initiate_uploader(NULL, "/tmp/x", NULL, NULL, &u), OAS_RESULT_NULL_ARGUMENT,
            "`vault`");
  CHECK_ERR(oas_vault_recover_uploader(NULL, "id", &u), OAS_RESULT_NULL_ARGUMENT, "`vault`");
  CHECK_ERR(oas_vault_list_all_multipart_uploads(NULL, NULL), OAS_RESULT_NULL_ARGUMENT, "`vault`");
  CHECK_ERR(oas_vault_delete_archive(NULL, "a"), OAS_RESULT_NULL_ARGUMENT, "`vault`");
  CHECK(archive == NULL && u == NULL);

  /* Getters and frees accept NULL; string getters give "" (one NULL rule). */
  CHECK_STR(oas_vault_id(NULL), "");
  CHECK_STR(oas_vault_name(NULL), "");
  CHECK_STR(oas_vault_creation_date(NULL), "");
  CHECK_STR(oas_vault_last_inventory_date(NULL), "");
  CHECK(oas_vault_number_of_archives(NULL) == -1 && oas_vault_size(NULL) == -1);
  CHECK(oas_vault_list_len(NULL) == 0 && oas_vault_list_get(NULL, 0) == NULL);
  CHECK_STR(oas_uploader_id(NULL), "");
  CHECK_STR(oas_uploader_description(NULL), "");
  CHECK_STR(oas_uploader_creation_date(NULL), "");
  CHECK(oas_uploader_part_size(NULL) == 0);
  CHECK(oas_uploader_size_total(NULL) == 0 && oas_uploader_size_completed(NULL) == 0);
  CHECK(oas_uploader_list_len(NULL) == 0 && oas_uploader_list_get(NULL, 0) == NULL);
  CHECK_ERR(oas_uploader_start(NULL, NULL, &archive), OAS_RESULT_NULL_ARGUMENT, "`uploader`");
  CHECK_ERR(oas_uploader_resume(NULL, "/tmp/x", NULL, &archive), OAS_RESULT_NULL_ARGUMENT,
            "`uploader`");
  CHECK_ERR(oas_uploader_cancel(NULL), OAS_RESULT_NULL_ARGUMENT, "`uploader`");
  oas_uploader_stop(NULL);
  oas_uploader_free(NULL);
  oas_uploader_list_free(NULL);
  oas_vault_free(NULL);
  oas_vault_list_free(NULL);

  /* A second reference-counted client handle, freed independently. */
  o.endpoint = "https://127.0.0.1:9";
  CHECK_OK(oas_client_new(&o, &c2));
  oas_client_free(c2);
  oas_client_free(c);
  oas_client_free(NULL);
  return finish("test_client_bad_input");
}
