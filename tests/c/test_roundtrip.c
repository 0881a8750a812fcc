/* The whole round trip through the C API against the emulator of the ctest
 * fixture (OAS_ENDPOINT & co. from tests/c/with_emulator.sh): single and
 * multipart uploads, retrieval jobs (and their reuse), downloads to a file
 * and to a descriptor compared byte for byte; then bad input to the vault,
 * uploader and job calls on live handles: NULL handles and strings, missing
 * files, invalid ranges, forbidden vault names, unknown ids. Every failure
 * must come with its code and a non-empty message (server errors also with
 * HTTP status, server code and request id). */
#include "test_util.h"

#include <fcntl.h>
#include <stdint.h>

#define MIB (1024u * 1024u)

/* Reads a whole file into a new buffer; *len receives its size. */
static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf;
  long n;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  rewind(f);
  buf = (unsigned char *)malloc(n > 0 ? (size_t)n : 1);
  *len = fread(buf, 1, (size_t)n, f);
  fclose(f);
  return buf;
}

/* The file at `path` holds exactly `data[0..len)`. */
static int same_bytes(const char *path, const unsigned char *data, size_t len) {
  size_t got = 0;
  unsigned char *buf = slurp(path, &got);
  int same = buf != NULL && got == len && memcmp(buf, data, len) == 0;
  free(buf);
  return same;
}

/* A server failure carries the HTTP status, the server code and a request id. */
static void check_server_error(unsigned status, const char *code) {
  const oas_error *e = oas_last_error();
  oas_error *copy;
  size_t i, n;
  int saw_request_id = 0;
  CHECK(oas_error_http_status(e) == status);
  CHECK_STR(oas_error_server_code(e), code);
  CHECK(strlen(oas_error_request_id(e)) > 0);
  /* The server's own message, apart from the composed sentence that holds it. */
  CHECK(oas_error_server_message(e)[0] != '\0');
  CHECK(strstr(oas_error_message(e), oas_error_server_message(e)) != NULL);
  CHECK(strcmp(oas_error_message(e), oas_error_server_message(e)) != 0);
  /* Every response header, by index, agrees with the lookup by name. */
  n = oas_error_header_count(e);
  CHECK(n >= 2);
  for (i = 0; i < n; i++) {
    const char *name = oas_error_header_name(e, i);
    CHECK(name[0] != '\0');
    CHECK_STR(oas_error_header(e, name), oas_error_header_value(e, i));
    if (strcmp(name, "x-oas-request-id") == 0) {
      saw_request_id = 1;
      CHECK_STR(oas_error_header_value(e, i), oas_error_request_id(e));
    }
  }
  CHECK(saw_request_id);
  CHECK_STR(oas_error_header_name(e, n), "");
  CHECK_STR(oas_error_header_value(e, (size_t)-1), "");
  /* A copy outlives the next call, which clears the thread's slot. */
  copy = oas_error_dup(e);
  CHECK(copy != NULL && copy != e);
  CHECK_OK(oas_calc_num_part(1, 1, &(uint64_t){0}));
  CHECK(oas_last_error() == NULL);
  CHECK(oas_error_http_status(copy) == status);
  CHECK_STR(oas_error_server_code(copy), code);
  CHECK(oas_error_header_count(copy) == n);
  CHECK(oas_error_code(copy) == OAS_RESULT_NOT_FOUND || status != 404);
  CHECK(oas_error_kind(copy) == OAS_ERROR_KIND_SERVER);
  oas_error_free(copy);
  oas_error_free(NULL);
  CHECK(oas_error_dup(NULL) == NULL);
}

static struct {
  unsigned calls;
  uint64_t done, total;
} g_progress;

static int count_progress(void *userdata, uint64_t done, uint64_t total) {
  (void)userdata;
  g_progress.calls++;
  g_progress.done = done;
  g_progress.total = total;
  return 0;
}

/* Uploads data[0..len), retrieves it, downloads it to a file and (a slice)
 * to a descriptor, compares the bytes; returns the archive id (free it). */
static char *round_trip(const oas_client *c, const oas_vault *v, const unsigned char *data,
                        size_t len) {
  char *src = temp_file_with(data, len), *out = temp_file_with(data, 0);
  char *fd_out = temp_file_with(data, 0);
  char *archive = NULL, tree[OAS_DIGEST_BUF_LEN];
  oas_job *job = NULL, *again = NULL;
  uint64_t start = 0, slice_end;
  oas_byte_range r = {1, 1};
  oas_upload_options uo;
  oas_download_options dl;
  int fd;

  memset(&g_progress, 0, sizeof g_progress);
  CHECK_OK(oas_upload_options_init(&uo, sizeof uo));
  uo.progress = count_progress;
  CHECK_OK(oas_vault_upload_archive(v, src, "round trip", &uo, &archive));
  CHECK(archive != NULL && strlen(archive) == 32);
  CHECK(g_progress.done == len && g_progress.total == len);
  CHECK_OK(oas_etag_compute_buffer(data, len, NULL, tree));

  CHECK_OK(oas_job_retrieve_archive_reuse(c, oas_vault_id(v), archive, "rt", NULL, &job));
  CHECK_OK(oas_job_wait(job, 20, 200, 30000));
  CHECK_STR(oas_job_status_code(job), "Succeeded");
  CHECK_STR(oas_job_archive_id(job), archive);
  CHECK(oas_job_archive_size(job) == (int64_t)len);
  CHECK_STR(oas_job_etag(job), tree);
  CHECK_OK(oas_job_retrieval_byte_range(job, &r));
  CHECK(r.start == 0 && r.end == len - 1);
  /* A second request for the same archive reuses the finished job. */
  CHECK_OK(oas_job_retrieve_archive_reuse(c, oas_vault_id(v), archive, "rt", NULL, &again));
  CHECK_STR(oas_job_id(again), oas_job_id(job));
  oas_job_free(again);

  memset(&g_progress, 0, sizeof g_progress);
  CHECK_OK(oas_download_options_init(&dl, sizeof dl));
  dl.progress = count_progress;
  CHECK_OK(oas_job_download_to_file(job, out, 0, false, &dl));
  CHECK(same_bytes(out, data, len));
  CHECK(g_progress.calls >= 1 && g_progress.done == len);
  CHECK(oas_job_size_completed(job) == len);

  /* To a descriptor: from its current position, the second MiB onwards (or
   * everything for a small archive), bytes written only once checked. */
  start = len > 2 * MIB ? MIB : 0;
  slice_end = len > 2 * MIB ? 3 * MIB - 1 : len - 1;
  fd = open(fd_out, O_WRONLY);
  CHECK(fd >= 0);
  CHECK(write(fd, "hdr", 3) == 3);
  CHECK_OK(oas_job_download_by_range_fd(job, &(oas_byte_range){start, slice_end}, fd, 64 * 1024, false, NULL));
  close(fd);
  {
    size_t got = 0;
    unsigned char *buf = slurp(fd_out, &got);
    CHECK(buf != NULL && got == 3 + (slice_end - start + 1));
    CHECK(buf != NULL && memcmp(buf, "hdr", 3) == 0);
    CHECK(buf != NULL && got > 3 && memcmp(buf + 3, data + start, got - 3) == 0);
    free(buf);
  }
  oas_job_free(job);
  unlink(src);
  unlink(out);
  unlink(fd_out);
  free(src);
  free(out);
  free(fd_out);
  return archive;
}

/* Bad input on live handles: nothing is sent that could not succeed, and
 * every refusal is explained. */
static void bad_input(const oas_client *c, oas_vault *v, const char *archive, size_t archive_len) {
  const char zeros[32 + 1] = "00000000000000000000000000000000";
  unsigned char one = 1;
  char *empty = temp_file_with(&one, 0), *small = temp_file_with(&one, 1);
  char *out = NULL;
  oas_vault *other = NULL;
  oas_uploader *u = NULL;
  oas_job *job = NULL;
  char dir_out[4200];
  const char *tmp = getenv("TMPDIR");

  /* Vault names the spec forbids, NULL strings and handles. */
  CHECK_ERR(oas_vault_create(c, "Bad Name!", &other), OAS_RESULT_INVALID_ARGUMENT, "vault name");
  CHECK_ERR(oas_vault_create(c, "x", &other), OAS_RESULT_INVALID_ARGUMENT, "vault name");
  CHECK_ERR(oas_vault_create(c, NULL, &other), OAS_RESULT_NULL_ARGUMENT, "`name`");
  CHECK(other == NULL);
  /* Not found: by name (no request failed, so no HTTP status) and by id. */
  CHECK_ERR(oas_vault_get_by_name(c, "no-such-vault-here", &other), OAS_RESULT_NOT_FOUND,
            "no-such-vault-here");
  CHECK(oas_error_http_status(oas_last_error()) == 0);
  CHECK(oas_error_kind(oas_last_error()) == OAS_ERROR_KIND_SERVER);
  CHECK_ERR(oas_vault_get_by_id(c, zeros, &other), OAS_RESULT_NOT_FOUND, "");
  check_server_error(404, "VaultNotExists");
  CHECK(other == NULL);
  /* The vault holds archives, so the service refuses to delete it. */
  CHECK_ERR(oas_vault_delete(v), OAS_RESULT_SERVER, "");
  CHECK(oas_error_http_status(oas_last_error()) >= 400);

  /* Uploads: missing and empty files, NULL arguments, unknown upload ids. */
  CHECK_ERR(oas_vault_upload_archive(v, "/nonexistent/oas-file", NULL, NULL, &out),
            OAS_RESULT_IO, "/nonexistent/oas-file");
  CHECK_ERR(oas_vault_upload_archive(v, empty, NULL, NULL, &out),
            OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK_ERR(oas_vault_upload_archive(v, NULL, NULL, NULL, &out), OAS_RESULT_NULL_ARGUMENT,
            "`path`");
  CHECK_ERR(oas_vault_upload_archive(v, small, NULL, NULL, NULL), OAS_RESULT_NULL_ARGUMENT,
            "`archive_id_out`");
  CHECK(out == NULL);
  CHECK_ERR(oas_vault_initiate_uploader(v, "/nonexistent/oas-file", NULL, NULL, &u), OAS_RESULT_IO,
            "/nonexistent/oas-file");
  CHECK_ERR(oas_vault_recover_uploader(v, zeros, &u), OAS_RESULT_NOT_FOUND, "");
  CHECK(oas_error_http_status(oas_last_error()) == 404);
  CHECK_ERR(oas_vault_recover_uploader(v, NULL, &u), OAS_RESULT_NULL_ARGUMENT, "`upload_id`");
  CHECK(u == NULL);
  CHECK_ERR(oas_uploader_start(NULL, NULL, &out), OAS_RESULT_NULL_ARGUMENT, "`uploader`");
  CHECK_ERR(oas_uploader_resume(NULL, small, NULL, &out), OAS_RESULT_NULL_ARGUMENT,
            "`uploader`");
  CHECK_ERR(oas_uploader_cancel(NULL), OAS_RESULT_NULL_ARGUMENT, "`uploader`");
  CHECK_ERR(oas_vault_delete_archive(v, NULL), OAS_RESULT_NULL_ARGUMENT, "`archive_id`");
  CHECK_ERR(oas_vault_delete_archive(v, zeros), OAS_RESULT_NOT_FOUND, "");
  CHECK(oas_error_http_status(oas_last_error()) == 404);

  /* Jobs: unknown ids, invalid ranges (checked before any request). */
  CHECK_ERR(oas_job_describe(c, oas_vault_id(v), zeros, &job), OAS_RESULT_NOT_FOUND, "");
  check_server_error(404, "JobNotExists");
  CHECK_ERR(oas_job_describe(c, NULL, zeros, &job), OAS_RESULT_NULL_ARGUMENT, "`vault_id`");
  CHECK_ERR(oas_job_retrieve_archive_reuse(NULL, oas_vault_id(v), archive, NULL, NULL, &job),
            OAS_RESULT_NULL_ARGUMENT, "`client`");
  CHECK_ERR(oas_job_retrieve_archive_reuse(c, oas_vault_id(v), NULL, NULL, NULL, &job),
            OAS_RESULT_NULL_ARGUMENT, "`archive_id`");
  /* A misaligned start is refused locally, before any request. */
  CHECK_ERR(oas_job_retrieve_archive_reuse(c, oas_vault_id(v), archive, NULL, &(oas_byte_range){5, MIB - 1},
                                           &job),
            OAS_RESULT_INVALID_ARGUMENT, "5-1048575");
  CHECK_ERR(oas_vault_retrieve_archive(v, archive, NULL, &(oas_byte_range){5, MIB - 1}, &job),
            OAS_RESULT_INVALID_ARGUMENT, "multiple of 1 MiB");
  CHECK_ERR(oas_job_retrieve_archive_reuse(c, oas_vault_id(v), archive, NULL, &(oas_byte_range){MIB, 0}, &job),
            OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK(job == NULL);

  CHECK_OK(oas_job_retrieve_archive_reuse(c, oas_vault_id(v), archive, NULL, NULL, &job));
  CHECK_OK(oas_job_wait(job, 20, 200, 30000));
  snprintf(dir_out, sizeof dir_out, "%s/oas-rt-out-%ld", tmp && tmp[0] ? tmp : "/tmp",
           (long)getpid());
  CHECK_ERR(oas_job_download_by_range(job, &(oas_byte_range){1, MIB - 1}, dir_out, 0, false, NULL),
            OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK_ERR(oas_job_download_by_range(job, &(oas_byte_range){0, archive_len}, dir_out, 0, false, NULL),
            OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK_ERR(oas_job_download_by_range(job, &(oas_byte_range){MIB, 0}, dir_out, 0, false, NULL),
            OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK(access(dir_out, F_OK) != 0); /* refused before anything was created */
  CHECK_ERR(oas_job_download_by_range(job, &(oas_byte_range){0, archive_len - 1}, NULL, 0, false, NULL),
            OAS_RESULT_NULL_ARGUMENT, "`path`");
  CHECK_ERR(oas_job_download_by_range_fd(job, &(oas_byte_range){0, archive_len - 1}, -1, 0, false, NULL),
            OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK_ERR(oas_job_download_by_range(NULL, &(oas_byte_range){0, 0}, dir_out, 0, false, NULL), OAS_RESULT_NULL_ARGUMENT,
            "`job`");
  CHECK_ERR(oas_job_download_to_file(job, "/nonexistent/dir/oas-out", 0, false, NULL), OAS_RESULT_IO,
            "");
  CHECK_ERR(oas_job_download_to_file(job, NULL, 0, false, NULL), OAS_RESULT_NULL_ARGUMENT, "`path`");
  CHECK_ERR(oas_job_download_by_range(job, NULL, dir_out, 0, false, NULL), OAS_RESULT_NULL_ARGUMENT,
            "`range`");
  CHECK_ERR(oas_job_wait(NULL, 0, 0, 0), OAS_RESULT_NULL_ARGUMENT, "`job`");
  CHECK_ERR(oas_job_update_status(NULL), OAS_RESULT_NULL_ARGUMENT, "`job`");
  oas_job_free(job);
  unlink(empty);
  unlink(small);
  free(empty);
  free(small);
}

int main(int argc, char **argv) {
  oas_client_options o;
  const oas_client *c = NULL;
  oas_vault *v = NULL;
  const char *endpoint = getenv("OAS_ENDPOINT");
  /* --big adds 64 MiB + 13 (65 parts, 33 ranges); the valgrind run passes
   * --small instead, as valgrind makes it ~50x slower. */
  int big = argc > 1 && strcmp(argv[1], "--big") == 0;
  size_t sizes[5] = {1, MIB, MIB + 1, 5 * MIB + 7, 64 * MIB + 13};
  size_t count = big ? 5 : 4;
  unsigned char *data = pattern(sizes[count - 1]);
  char *ids[5];
  char name[64];
  size_t i;

  if (!endpoint || !getenv("OAS_ACCESS_ID") || !getenv("OAS_ACCESS_KEY")) {
    fprintf(stderr, "run through tests/c/with_emulator.sh (OAS_ENDPOINT & co. unset)\n");
    return 2;
  }
  oas_client_options_init(&o, sizeof o);
  o.endpoint = endpoint;
  o.access_id = getenv("OAS_ACCESS_ID");
  o.access_key = getenv("OAS_ACCESS_KEY");
  o.upload_threshold = 2 * MIB; /* so 5 MiB + 7 goes up in 1 MiB parts */
  o.part_size = MIB;
  o.workers = 2;
  o.download_range_size = 2 * MIB; /* several ranges, one of them short */
  o.retry_base_delay_ms = 10;
  CHECK_OK(oas_client_new(&o, &c));
  /* Own vault per process: the native and valgrind runs may overlap. */
  snprintf(name, sizeof name, "c-roundtrip-%ld", (long)getpid());
  CHECK_OK(oas_vault_create(c, name, &v));
  if (!c || !v) return finish("test_roundtrip");

  /* One byte; one leaf; two leaves (all single requests); multipart with a
   * short last part, downloaded in 2 MiB ranges, the last one short. */
  for (i = 0; i < count; i++) ids[i] = round_trip(c, v, data, sizes[i]);
  bad_input(c, v, ids[3], sizes[3]);

  for (i = 0; i < count; i++) {
    if (ids[i]) CHECK_OK(oas_vault_delete_archive(v, ids[i]));
    oas_string_free(ids[i]);
  }
  CHECK_OK(oas_vault_delete(v));
  oas_vault_free(v);
  oas_client_free(c);
  free(data);
  return finish("test_roundtrip");
}
