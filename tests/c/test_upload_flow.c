/* A real upload flow against the emulator started by the ctest fixture
 * (argv[1] names the file holding its base URL): vault create/get/list,
 * a single upload with progress, a multipart upload stopped from the progress
 * callback, recovered and resumed, a changed local file refused with
 * OAS_RESULT_HASH_MISMATCH, an aborted upload, archive and vault deletion. */
#include "test_util.h"

#include <stdint.h>

#define MIB (1024u * 1024u)

struct progress {
  uint64_t calls, last_done, last_total, stop_at;
};

static int on_progress(void *userdata, uint64_t done, uint64_t total) {
  struct progress *p = (struct progress *)userdata;
  p->calls++;
  p->last_done = done;
  p->last_total = total;
  return p->stop_at != 0 && done >= p->stop_at;
}

static char *read_url(const char *path) {
  static char url[256];
  FILE *f = fopen(path, "r");
  size_t n;
  if (!f) {
    perror(path);
    exit(2);
  }
  n = fread(url, 1, sizeof url - 1, f);
  fclose(f);
  while (n > 0 && (url[n - 1] == '\n' || url[n - 1] == '\r')) n--;
  url[n] = 0;
  return url;
}

int main(int argc, char **argv) {
  oas_client_options o;
  const oas_client *c = NULL;
  oas_vault *v = NULL, *again = NULL;
  oas_vault_list *vaults = NULL;
  oas_uploader *u = NULL, *r = NULL;
  oas_uploader_list *uploads = NULL;
  char *archive = NULL, *big_archive = NULL;
  struct progress p = {0, 0, 0, 0};
  unsigned char *data = pattern(5 * MIB + 7);
  char *small = temp_file_with(data, MIB + 1);
  char *big = temp_file_with(data, 5 * MIB + 7);
  char upload_id[64];
  char name[64];
  oas_upload_options uo;
  FILE *f;

  if (argc < 2) {
    fprintf(stderr, "usage: %s <file with the emulator URL>\n", argv[0]);
    return 2;
  }
  oas_client_options_init(&o, sizeof o);
  o.endpoint = read_url(argv[1]);
  o.access_id = "OASEMULATORTESTID";
  o.access_key = "OASEmulatorTestSecret000000000000";
  o.upload_threshold = 2 * MIB;
  o.part_size = MIB;
  o.workers = 1; /* parts in order, so the stop point is predictable */
  o.retry_base_delay_ms = 10;
  CHECK_OK(oas_client_new(&o, &c));

  /* Own vault per process: the native and valgrind runs may overlap. */
  snprintf(name, sizeof name, "c-flow-%ld", (long)getpid());
  CHECK_OK(oas_vault_create(c, name, &v));
  CHECK_STR(oas_vault_name(v), name);
  CHECK(strlen(oas_vault_id(v)) == 32);
  CHECK_OK(oas_vault_get_by_name(c, name, &again));
  CHECK_STR(oas_vault_id(again), oas_vault_id(v));
  oas_vault_free(again);
  CHECK_OK(oas_vault_list_all(c, &vaults));
  CHECK(oas_vault_list_len(vaults) >= 1);
  oas_vault_list_free(vaults);

  /* One request, with progress. */
  CHECK_OK(oas_upload_options_init(&uo, sizeof uo));
  uo.progress = on_progress;
  uo.userdata = &p;
  CHECK_OK(oas_vault_upload_archive(v, small, "small", &uo, &archive));
  CHECK(archive != NULL && strlen(archive) == 32);
  CHECK(p.calls >= 1 && p.last_done == MIB + 1 && p.last_total == MIB + 1);
  CHECK_OK(oas_vault_delete_archive(v, archive));
  oas_string_free(archive);
  archive = NULL;

  /* Multipart, stopped by the callback, then recovered and resumed. */
  CHECK_OK(oas_vault_initiate_uploader(v, big, "big", NULL, &u));
  CHECK(oas_uploader_part_size(u) == MIB);
  CHECK(oas_uploader_size_total(u) == 5 * MIB + 7);
  CHECK_STR(oas_uploader_description(u), "big");
  snprintf(upload_id, sizeof upload_id, "%s", oas_uploader_id(u));
  p.stop_at = 2 * MIB;
  CHECK_ERR(oas_uploader_start(u, &uo, &archive), OAS_RESULT_CANCELLED, "");
  CHECK(archive == NULL);
  CHECK_OK(oas_vault_list_all_multipart_uploads(v, &uploads));
  CHECK(oas_uploader_list_len(uploads) == 1);
  CHECK_STR(oas_uploader_id(oas_uploader_list_get(uploads, 0)), upload_id);
  oas_uploader_list_free(uploads);

  /* The local file changed: resume refuses, naming the first part. */
  f = fopen(big, "r+b");
  CHECK(f != NULL);
  fputc(0x55 ^ data[10], f);
  fclose(f);
  CHECK_OK(oas_vault_recover_uploader(v, upload_id, &r));
  CHECK_ERR(oas_uploader_resume(r, big, NULL, &archive), OAS_RESULT_HASH_MISMATCH,
            "0-1048575");
  f = fopen(big, "r+b");
  fputc(data[0], f);
  fclose(f);
  p.stop_at = 0;
  CHECK_OK(oas_uploader_resume(r, big, &uo, &big_archive));
  CHECK(big_archive != NULL && oas_uploader_size_completed(r) == 5 * MIB + 7);
  oas_uploader_free(r);
  oas_uploader_free(u);

  /* Abort on the server. */
  CHECK_OK(oas_vault_initiate_uploader(v, big, NULL, NULL, &u));
  CHECK_OK(oas_uploader_cancel(u));
  CHECK_OK(oas_vault_list_all_multipart_uploads(v, &uploads));
  CHECK(oas_uploader_list_len(uploads) == 0);
  oas_uploader_list_free(uploads);
  oas_uploader_free(u);

  /* Per-upload options override the client's (2 MiB parts instead of its
   * 1 MiB, no second client). oas_vault_upload_archive stopped by its
   * callback leaves the multipart upload on the server, and the error gives
   * its id (defect 7): recover, resume, done, without parsing any text. */
  CHECK_OK(oas_upload_options_init(&uo, sizeof uo));
  uo.part_size = 2 * MIB;
  uo.progress = on_progress;
  uo.userdata = &p;
  p.stop_at = MIB;
  CHECK_ERR(oas_vault_upload_archive(v, big, "stopped", &uo, &archive), OAS_RESULT_CANCELLED, "");
  CHECK(archive == NULL);
  CHECK(strlen(oas_error_upload_id(oas_last_error())) == 32);
  snprintf(upload_id, sizeof upload_id, "%s", oas_error_upload_id(oas_last_error()));
  CHECK_OK(oas_vault_list_all_multipart_uploads(v, &uploads));
  CHECK(oas_uploader_list_len(uploads) == 1);
  CHECK_STR(oas_uploader_id(oas_uploader_list_get(uploads, 0)), upload_id);
  oas_uploader_list_free(uploads);
  CHECK_OK(oas_vault_recover_uploader(v, upload_id, &r));
  CHECK(oas_uploader_part_size(r) == 2 * MIB);
  p.stop_at = 0;
  CHECK_OK(oas_uploader_resume(r, big, &uo, &archive));
  CHECK(archive != NULL);
  oas_uploader_free(r);
  CHECK_OK(oas_vault_delete_archive(v, archive));
  oas_string_free(archive);
  archive = NULL;
  /* The threshold is per upload too; a single request leaves no upload id. */
  uo.upload_threshold = 64 * MIB;
  p.stop_at = 1;
  CHECK_ERR(oas_vault_upload_archive(v, big, NULL, &uo, &archive), OAS_RESULT_CANCELLED, "");
  CHECK_STR(oas_error_upload_id(oas_last_error()), "");
  CHECK_OK(oas_vault_list_all_multipart_uploads(v, &uploads));
  CHECK(oas_uploader_list_len(uploads) == 0);
  oas_uploader_list_free(uploads);

  CHECK_OK(oas_vault_delete_archive(v, big_archive));
  oas_string_free(big_archive);
  CHECK_OK(oas_vault_delete(v));
  oas_vault_free(v);
  oas_client_free(c);
  unlink(small);
  unlink(big);
  free(small);
  free(big);
  free(data);
  return finish("test_upload_flow");
}
