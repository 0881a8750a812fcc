/* The job and inventory C API: bad input everywhere (codes, messages,
 * untouched outputs, NULL-safe getters), a request to a closed port, and the
 * inventory iterator over real files. */
#include "test_util.h"

static const char INVENTORY[] =
    "{\"VaultId\":\"V1\",\"InventoryDate\":\"Mon, 01 Jan 2024 00:00:00 GMT\",\"ArchiveList\":["
    "{\"ArchiveId\":\"a1\",\"ArchiveDescription\":\"first \\\"one\\\"\",\"CreationDate\":\"D1\","
    "\"Size\":5,\"TreeEtag\":\"T1\"},"
    "{\"ArchiveId\":\"a2\",\"ArchiveDescription\":\"\",\"CreationDate\":\"D2\",\"Size\":1048577,"
    "\"TreeEtag\":\"T2\"}]}";

static void inventory_iterates(void) {
  char *path = temp_file_with((const unsigned char *)INVENTORY, sizeof INVENTORY - 1);
  oas_inventory *inv = NULL;
  const oas_inventory_archive *a = (const oas_inventory_archive *)1;
  CHECK_OK(oas_inventory_open(path, &inv));
  CHECK(inv != NULL);
  CHECK_STR(oas_inventory_vault_id(inv), "V1");
  CHECK_STR(oas_inventory_date(inv), "Mon, 01 Jan 2024 00:00:00 GMT");
  CHECK_OK(oas_inventory_next(inv, &a));
  CHECK(a != NULL);
  CHECK_STR(oas_inventory_archive_id(a), "a1");
  CHECK_STR(oas_inventory_archive_description(a), "first \"one\"");
  CHECK_STR(oas_inventory_archive_creation_date(a), "D1");
  CHECK_STR(oas_inventory_archive_tree_etag(a), "T1");
  CHECK(oas_inventory_archive_size(a) == 5);
  CHECK_OK(oas_inventory_next(inv, &a));
  CHECK_STR(oas_inventory_archive_id(a), "a2");
  CHECK(oas_inventory_archive_size(a) == 1048577);
  CHECK_OK(oas_inventory_next(inv, &a));
  CHECK(a == NULL);
  CHECK_OK(oas_inventory_next(inv, &a));
  CHECK(a == NULL);
  oas_inventory_free(inv);
  remove(path);
  free(path);
}

static void inventory_bad_input(void) {
  static const char truncated[] = "{\"VaultId\":\"V\",\"InventoryDate\":\"D\",\"ArchiveList\":[{\"ArchiveId\":\"a\"},{\"Arch";
  static const char not_json[] = "[1,2,3]";
  char *p1 = temp_file_with((const unsigned char *)truncated, sizeof truncated - 1);
  char *p2 = temp_file_with((const unsigned char *)not_json, sizeof not_json - 1);
  const char bad_utf8[] = {'/', 't', 'm', 'p', '/', (char)0xff, 0};
  oas_inventory *inv = NULL;
  const oas_inventory_archive *a = NULL;

  CHECK_ERR(oas_inventory_open(NULL, &inv), OAS_RESULT_NULL_ARGUMENT, "`path`");
  CHECK_ERR(oas_inventory_open(p1, NULL), OAS_RESULT_NULL_ARGUMENT, "`inventory_out`");
  CHECK_ERR(oas_inventory_open(bad_utf8, &inv), OAS_RESULT_INVALID_UTF8, "`path`");
  CHECK_ERR(oas_inventory_open("/nonexistent/inventory.json", &inv), OAS_RESULT_IO, "nonexistent");
  CHECK_ERR(oas_inventory_open(p2, &inv), OAS_RESULT_PROTOCOL, "malformed");
  CHECK(inv == NULL);
  CHECK_ERR(oas_inventory_next(NULL, &a), OAS_RESULT_NULL_ARGUMENT, "`inventory`");

  /* A list cut short: the first entry reads, the second is an error. */
  CHECK_OK(oas_inventory_open(p1, &inv));
  CHECK_ERR(oas_inventory_next(inv, NULL), OAS_RESULT_NULL_ARGUMENT, "`archive_out`");
  CHECK_OK(oas_inventory_next(inv, &a));
  CHECK_STR(oas_inventory_archive_id(a), "a");
  CHECK_ERR(oas_inventory_next(inv, &a), OAS_RESULT_PROTOCOL, "end of file");
  oas_inventory_free(inv);

  CHECK_STR(oas_inventory_vault_id(NULL), "");
  CHECK_STR(oas_inventory_archive_id(NULL), "");
  CHECK(oas_inventory_archive_size(NULL) == 0);
  oas_inventory_free(NULL);
  remove(p1);
  remove(p2);
  free(p1);
  free(p2);
}

static void job_bad_input(void) {
  const oas_client *client = NULL;
  oas_job *job = NULL;
  oas_byte_range r = {7, 9};
  const char bad_utf8[] = {'v', (char)0xff, 0};

  oas_client_options opts;
  oas_client_options_init(&opts, sizeof opts);
  opts.endpoint = NULL;
  opts.access_id = "id";
  opts.access_key = "key";
  /* An unset endpoint is resolved; with no source, the error names them. */
  no_credential_sources();
  CHECK_ERR(oas_client_new(&opts, &client), OAS_RESULT_INVALID_ARGUMENT, "no source completed them");
  opts.endpoint = "ftp://x";
  CHECK_ERR(oas_client_new(&opts, &client), OAS_RESULT_INVALID_ARGUMENT, "http");
  opts.endpoint = "http://127.0.0.1:9";
  opts.access_id = "";
  CHECK_ERR(oas_client_new(&opts, &client), OAS_RESULT_INVALID_ARGUMENT, "access");
  CHECK(client == NULL);
  /* Port 9 (discard) is closed on test machines: requests fail in transport. */
  opts.access_id = "id";
  CHECK_OK(oas_client_new(&opts, &client));

  CHECK_ERR(oas_job_describe(NULL, "v", "j", &job), OAS_RESULT_NULL_ARGUMENT, "`client`");
  CHECK_ERR(oas_job_describe(client, NULL, "j", &job), OAS_RESULT_NULL_ARGUMENT, "`vault_id`");
  CHECK_ERR(oas_job_describe(client, "v", NULL, &job), OAS_RESULT_NULL_ARGUMENT, "`job_id`");
  CHECK_ERR(oas_job_describe(client, "v", "j", NULL), OAS_RESULT_NULL_ARGUMENT, "`job_out`");
  CHECK_ERR(oas_job_describe(client, bad_utf8, "j", &job), OAS_RESULT_INVALID_UTF8, "`vault_id`");
  CHECK_ERR(oas_job_describe(client, "a/b", "j", &job), OAS_RESULT_INVALID_ARGUMENT, "vault id");
  CHECK_ERR(oas_job_describe(client, "v", "j", &job), OAS_RESULT_TRANSPORT, "DescribeJob");
  CHECK_ERR(oas_job_retrieve_archive_reuse(client, "v", "a", NULL, &(oas_byte_range){10, 5}, &job),
            OAS_RESULT_INVALID_ARGUMENT, "end is before start");
  CHECK_ERR(oas_job_retrieve_archive_reuse(client, "v", "a", bad_utf8, NULL, &job),
            OAS_RESULT_INVALID_UTF8, "`description`");
  CHECK(job == NULL);

  /* Every job call checks its handle; getters are NULL-safe. */
  CHECK_ERR(oas_job_update_status(NULL), OAS_RESULT_NULL_ARGUMENT, "`job`");
  CHECK_ERR(oas_job_wait(NULL, 1, 1, 1), OAS_RESULT_NULL_ARGUMENT, "`job`");
  CHECK_ERR(oas_job_outcome(NULL), OAS_RESULT_NULL_ARGUMENT, "`job`");
  CHECK_ERR(oas_job_download_to_file(NULL, "/tmp/x", 0, true, NULL), OAS_RESULT_NULL_ARGUMENT, "`job`");
  CHECK_ERR(oas_job_download_by_range(NULL, &(oas_byte_range){0, 1}, "/tmp/x", 0, true, NULL), OAS_RESULT_NULL_ARGUMENT,
            "`job`");
  CHECK_ERR(oas_job_download_by_range_fd(NULL, &(oas_byte_range){0, 1}, 1, 0, true, NULL), OAS_RESULT_NULL_ARGUMENT, "`job`");
  CHECK_ERR(oas_job_download_by_range(NULL, NULL, "/tmp/x", 0, true, NULL), OAS_RESULT_NULL_ARGUMENT, "`job`");
  CHECK_ERR(oas_job_retrieval_byte_range(NULL, &r), OAS_RESULT_NULL_ARGUMENT, "`job`");
  CHECK(r.start == 7 && r.end == 9);
  CHECK_STR(oas_job_id(NULL), "");
  CHECK_STR(oas_job_status_message(NULL), "");
  CHECK(oas_job_archive_size(NULL) == -1);
  CHECK(oas_job_inventory_size(NULL) == -1);
  CHECK(!oas_job_completed(NULL));
  CHECK(oas_job_size_completed(NULL) == 0);
  oas_job_cancel(NULL);
  oas_job_free(NULL);
  oas_client_free(client);
  oas_client_free(NULL);
}

int main(void) {
  inventory_iterates();
  inventory_bad_input();
  job_bad_input();
  return finish("test_job_inventory");
}
