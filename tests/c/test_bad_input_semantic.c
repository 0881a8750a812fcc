/* Bad input that a signature cannot reveal (the generated sweep,
 * test_bad_input_sweep.c, covers NULL, invalid UTF-8 and "" for every
 * argument): inverted and out-of-range ranges, nonexistent and unwritable
 * paths, closed and wrong-mode descriptors, bad client options, and handles
 * used after their transfer was cancelled from the progress callback. Every
 * refusal must come with its code and a message; no call may hang (each runs
 * under the watchdog of sweep_util.h).
 *
 *   test_bad_input_semantic [--call-timeout SECONDS]     (needs the emulator) */
#include "sweep_util.h"

#include <limits.h>
#include <sys/stat.h>

#define EXPECT(call, code, needle) \
  do {                             \
    oas_result rc_;                \
    SWEEP_BEGIN(#call);            \
    rc_ = (call);                  \
    SWEEP_END();                   \
    check_err_(rc_, (code), (needle), #call, __FILE__, __LINE__); \
  } while (0)

/* Any failure with a message (the exact code is not part of the contract). */
#define EXPECT_FAIL(call)  \
  do {                     \
    oas_result rc_;        \
    SWEEP_BEGIN(#call);    \
    rc_ = (call);          \
    SWEEP_END();           \
    sweep_failed(rc_, #call, __LINE__); \
  } while (0)

static void ranges(void) {
  char etag[OAS_DIGEST_BUF_LEN];
  oas_job *job = (oas_job *)SWEEP_SENTINEL;
  oas_byte_range r[4];
  uint64_t n64 = 0;
  size_t n = 0;
  const uint64_t len = F.archive_len;

  /* Downloads: inverted, past the end, misaligned, overflowing. */
  EXPECT(oas_job_download_by_range(F.job, &(oas_byte_range){10, 5}, F.out_path, 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "10-5");
  EXPECT(oas_job_download_by_range(F.job, &(oas_byte_range){0, len}, F.out_path, 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT(oas_job_download_by_range(F.job, &(oas_byte_range){1, len - 1}, F.out_path, 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT(oas_job_download_by_range(F.job, &(oas_byte_range){0, UINT64_MAX}, F.out_path, 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT(oas_job_download_by_range(F.job, &(oas_byte_range){UINT64_MAX, UINT64_MAX}, F.out_path, 0, false, NULL),
         OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT(oas_job_download_by_range(F.job, &(oas_byte_range){MIB, MIB + 10}, F.out_path, 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK(access(F.out_path, F_OK) != 0); /* refused before the file was made */
  EXPECT(oas_job_download_by_range_fd(F.job, &(oas_byte_range){10, 5}, F.out_fd, 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "10-5");
  EXPECT(oas_job_download_by_range_fd(F.job, &(oas_byte_range){0, UINT64_MAX}, F.out_fd, 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "");

  /* Retrievals: inverted, misaligned, beyond the archive. */
  EXPECT(oas_vault_retrieve_archive(F.vault, F.archive_id, NULL, &(oas_byte_range){10, 5}, &job), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT(oas_vault_retrieve_archive(F.vault, F.archive_id, NULL, &(oas_byte_range){5, MIB - 1}, &job),
         OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT_FAIL(oas_vault_retrieve_archive(F.vault, F.archive_id, NULL, &(oas_byte_range){0, UINT64_MAX}, &job));
  EXPECT_FAIL(oas_vault_retrieve_archive(F.vault, F.archive_id, NULL, &(oas_byte_range){MIB, 2 * MIB - 1}, &job));
  EXPECT(oas_job_retrieve_archive_reuse(F.client, F.vault_id, F.archive_id, NULL, &(oas_byte_range){UINT64_MAX, 0}, &job),
         OAS_RESULT_INVALID_ARGUMENT, "end is before start");
  EXPECT_FAIL(oas_job_retrieve_archive_reuse(F.client, F.vault_id, F.archive_id, NULL, &(oas_byte_range){0, UINT64_MAX}, &job));
  CHECK(job == (oas_job *)SWEEP_SENTINEL);

  /* Digests of a 1000-byte file. */
  EXPECT(oas_etag_compute_file(F.small_path, 1001, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_INVALID_ARGUMENT,
         "past the end");
  EXPECT(oas_etag_compute_file(F.small_path, 999, 2, etag, NULL), OAS_RESULT_INVALID_ARGUMENT, "past the end");
  EXPECT(oas_etag_compute_file(F.small_path, UINT64_MAX, UINT64_MAX - 1, etag, NULL), OAS_RESULT_INVALID_ARGUMENT,
         "");
  EXPECT(oas_etag_compute_fd(F.in_fd, 1, UINT64_MAX - 1, etag, NULL), OAS_RESULT_INVALID_ARGUMENT, "");

  /* Part arithmetic at the edges; none may loop over 2^64 parts. */
  EXPECT(oas_calc_part_size(UINT64_MAX, 0, &n64), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT(oas_calc_part_size(0, 0, &n64), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT(oas_calc_ranges(1, UINT64_MAX, r, 4, &n), OAS_RESULT_BUFFER_TOO_SMALL, "");
  EXPECT(oas_calc_ranges(1, UINT64_MAX, NULL, 0, &n), OAS_RESULT_BUFFER_TOO_SMALL, "");
  EXPECT(oas_calc_num_part(0, UINT64_MAX, &n64), OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK_OK(oas_calc_num_part(1, UINT64_MAX, &n64));
  CHECK(n64 == UINT64_MAX);

  /* Options outside their domain (download options: see client_options). */
  EXPECT(oas_set_log_callback(sweep_log, NULL, 0), OAS_RESULT_INVALID_ARGUMENT, "`level`");
  EXPECT(oas_set_log_callback(sweep_log, NULL, 6), OAS_RESULT_INVALID_ARGUMENT, "`level`");
  EXPECT(oas_set_log_callback(sweep_log, NULL, UINT32_MAX), OAS_RESULT_INVALID_ARGUMENT, "`level`");
  /* A finished job: huge intervals do not make a wait sleep. */
  SWEEP_BEGIN("oas_job_wait(huge intervals)");
  CHECK_OK(oas_job_wait(F.job, UINT64_MAX, UINT64_MAX, 1));
  SWEEP_END();
}

static void paths(void) {
  char etag[OAS_DIGEST_BUF_LEN], under_file[4300], dir[4300];
  char *id = NULL;
  oas_uploader *u = NULL;
  oas_inventory *inv = NULL;
  const char *missing = "/nonexistent/oas-bad-input/file";

  snprintf(under_file, sizeof under_file, "%s/below", F.small_path); /* parent is a file */
  snprintf(dir, sizeof dir, "%s.dir", F.out_path);
  CHECK(mkdir(dir, 0700) == 0);

  /* "" names no file: refused as an argument, naming it. */
  EXPECT(oas_etag_compute_file("", 0, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_INVALID_ARGUMENT, "`path` is an empty");
  EXPECT(oas_job_download_to_file(F.job, "", 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "`path` is an empty");
  EXPECT(oas_uploader_resume(F.uploader, "", NULL, &id), OAS_RESULT_INVALID_ARGUMENT, "`path` is an empty");
  EXPECT(oas_etag_compute_file(missing, 0, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_IO, missing);
  EXPECT(oas_etag_compute_file(dir, 0, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_INVALID_ARGUMENT, "regular");
  EXPECT(oas_etag_compute_file("/dev/null", 0, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT(oas_inventory_open(missing, &inv), OAS_RESULT_IO, missing);
  EXPECT_FAIL(oas_inventory_open(dir, &inv));
  EXPECT(oas_vault_upload_archive(F.vault, missing, NULL, NULL, &id), OAS_RESULT_IO, missing);
  EXPECT_FAIL(oas_vault_upload_archive(F.vault, dir, NULL, NULL, &id));
  EXPECT(oas_vault_initiate_uploader(F.vault, missing, NULL, NULL, &u), OAS_RESULT_IO, missing);
  EXPECT_FAIL(oas_vault_initiate_uploader(F.vault, dir, NULL, NULL, &u));
  EXPECT(oas_uploader_resume(F.uploader, missing, NULL, &id), OAS_RESULT_IO, missing);
  CHECK(id == NULL && u == NULL && inv == NULL);

  /* Outputs that cannot be created: missing directory, a file as parent, a
   * directory as target, a place even root cannot write (/proc). */
  EXPECT(oas_job_download_to_file(F.job, missing, 0, false, NULL), OAS_RESULT_IO, "");
  EXPECT(oas_job_download_to_file(F.job, under_file, 0, false, NULL), OAS_RESULT_IO, "");
  EXPECT_FAIL(oas_job_download_to_file(F.job, dir, 0, false, NULL));
  EXPECT_FAIL(oas_job_download_to_file(F.job, "/proc/oas-unwritable", 0, false, NULL));
  EXPECT(oas_job_download_by_range(F.job, &(oas_byte_range){0, F.archive_len - 1}, missing, 0, false, NULL), OAS_RESULT_IO, "");
  EXPECT_FAIL(oas_job_download_by_range(F.job, &(oas_byte_range){0, F.archive_len - 1}, dir, 0, false, NULL));
  EXPECT_FAIL(oas_job_download_by_range(F.job, &(oas_byte_range){0, F.archive_len - 1}, "/proc/oas-unwritable", 0, false, NULL));
  /* A directory without write permission (root writes anyway, so only as
   * another user: /proc above covers root). */
  if (geteuid() != 0) {
    char inside[4400];
    snprintf(inside, sizeof inside, "%s/out", dir);
    CHECK(chmod(dir, 0500) == 0);
    EXPECT(oas_job_download_to_file(F.job, inside, 0, false, NULL), OAS_RESULT_IO, "");
    EXPECT(oas_job_download_by_range(F.job, &(oas_byte_range){0, F.archive_len - 1}, inside, 0, false, NULL), OAS_RESULT_IO, "");
    CHECK(chmod(dir, 0700) == 0);
  }
  CHECK(rmdir(dir) == 0); /* still empty: nothing was left inside */
}

static void descriptors(void) {
  char etag[OAS_DIGEST_BUF_LEN];
  char *id = NULL;
  int wronly = open(F.big_path, O_WRONLY), rdonly = open(F.big_path, O_RDONLY), p[2];
  /* A closed descriptor far above the ones in use, so that neither this
   * test nor the library (sockets, files) is handed its number meanwhile. */
  int closed = fcntl(rdonly, F_DUPFD, 900);
  CHECK(closed >= 900 && wronly >= 0 && rdonly >= 0 && pipe(p) == 0);
  close(closed);

  EXPECT(oas_etag_compute_fd(-1, 0, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_INVALID_ARGUMENT, "`fd`");
  EXPECT(oas_etag_compute_fd(closed, 0, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_IO, "");
  EXPECT(oas_etag_compute_fd(INT_MAX, 0, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_IO, "");
  EXPECT_FAIL(oas_etag_compute_fd(wronly, 0, OAS_SIZE_TO_END, etag, NULL));
  EXPECT(oas_etag_compute_fd(p[0], 0, OAS_SIZE_TO_END, etag, NULL), OAS_RESULT_INVALID_ARGUMENT, "");

  EXPECT(oas_vault_upload_fd(F.vault, -1, NULL, NULL, &id), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT_FAIL(oas_vault_upload_fd(F.vault, closed, NULL, NULL, &id));
  EXPECT_FAIL(oas_vault_upload_fd(F.vault, INT_MAX, NULL, NULL, &id));
  EXPECT_FAIL(oas_vault_upload_fd(F.vault, wronly, NULL, NULL, &id));
  close(p[1]); /* an empty stream: nothing to archive */
  EXPECT_FAIL(oas_vault_upload_fd(F.vault, p[0], NULL, NULL, &id));
  CHECK(id == NULL);

  EXPECT(oas_job_download_by_range_fd(F.job, &(oas_byte_range){0, F.archive_len - 1}, -1, 0, false, NULL), OAS_RESULT_INVALID_ARGUMENT, "");
  EXPECT_FAIL(oas_job_download_by_range_fd(F.job, &(oas_byte_range){0, F.archive_len - 1}, closed, 0, false, NULL));
  EXPECT_FAIL(oas_job_download_by_range_fd(F.job, &(oas_byte_range){0, F.archive_len - 1}, INT_MAX, 0, false, NULL));
  EXPECT_FAIL(oas_job_download_by_range_fd(F.job, &(oas_byte_range){0, F.archive_len - 1}, rdonly, 0, false, NULL));
  close(wronly);
  close(rdonly);
  close(p[0]);
}

static void client_options(void) {
  oas_client_options o;
  const oas_client *c = (const oas_client *)SWEEP_SENTINEL;
  char *garbage = temp_file_with((const unsigned char *)"not a certificate", 17);

#define WITH(field, value, code, needle) \
  do {                                    \
    o = F.opts;                           \
    o.field = value;                      \
    EXPECT(oas_client_new(&o, &c), code, needle); \
  } while (0)
  WITH(size, 0, OAS_RESULT_INVALID_ARGUMENT, "oas_client_options_init");
  WITH(size, 8, OAS_RESULT_INVALID_ARGUMENT, "oas_client_options_init"); /* not the 4 first fields */
  WITH(size, 5000, OAS_RESULT_INVALID_ARGUMENT, "oas_client_options_init"); /* garbage size */
  WITH(endpoint, SWEEP_BAD_UTF8, OAS_RESULT_INVALID_UTF8, "opts->endpoint");
  WITH(access_id, SWEEP_BAD_UTF8, OAS_RESULT_INVALID_UTF8, "opts->access_id");
  WITH(access_key, SWEEP_BAD_UTF8, OAS_RESULT_INVALID_UTF8, "opts->access_key");
  WITH(proxy, SWEEP_BAD_UTF8, OAS_RESULT_INVALID_UTF8, "opts->proxy");
  WITH(ca_file, SWEEP_BAD_UTF8, OAS_RESULT_INVALID_UTF8, "opts->ca_file");
  WITH(user_agent, SWEEP_BAD_UTF8, OAS_RESULT_INVALID_UTF8, "opts->user_agent");
  /* NULL or "" credentials are completed from the environment or the
   * credentials file: with no such source, the error names every source. */
  {
    static char endpoint[256], id[128], key[128];
    snprintf(endpoint, sizeof endpoint, "%s", F.opts.endpoint);
    snprintf(id, sizeof id, "%s", F.opts.access_id);
    snprintf(key, sizeof key, "%s", F.opts.access_key);
    F.opts.endpoint = endpoint;
    F.opts.access_id = id;
    F.opts.access_key = key;
    no_credential_sources();
  }
  WITH(access_id, NULL, OAS_RESULT_INVALID_ARGUMENT, "no source completed them");
  WITH(access_key, NULL, OAS_RESULT_INVALID_ARGUMENT, "ALIBABA_CLOUD_ACCESS_KEY");
  WITH(endpoint, "", OAS_RESULT_INVALID_ARGUMENT, "");
  WITH(endpoint, "http://", OAS_RESULT_INVALID_ARGUMENT, "");
  WITH(access_key, "", OAS_RESULT_INVALID_ARGUMENT, "");
  WITH(proxy, "", OAS_RESULT_INVALID_ARGUMENT, "");
  WITH(proxy, "::not a url::", OAS_RESULT_INVALID_ARGUMENT, "");
  WITH(ca_file, "/nonexistent/ca.pem", OAS_RESULT_IO, "/nonexistent/ca.pem");
  WITH(ca_file, garbage, OAS_RESULT_INVALID_ARGUMENT, "");
  WITH(workers, 0, OAS_RESULT_INVALID_ARGUMENT, "workers");
  WITH(workers, UINT32_MAX, OAS_RESULT_INVALID_ARGUMENT, "workers");
  WITH(retry_max_attempts, 0, OAS_RESULT_INVALID_ARGUMENT, "");
#undef WITH
  CHECK(c == (const oas_client *)SWEEP_SENTINEL);

  /* A part size outside 1 MiB..4 GiB in steps of 1 MiB is refused by the
   * multipart calls (as documented), before any request. */
  {
    const uint64_t bad_parts[] = {MIB + 1, 8ull << 30, UINT64_MAX};
    size_t i;
    for (i = 0; i < sizeof bad_parts / sizeof bad_parts[0]; i++) {
      oas_vault *v = NULL;
      oas_uploader *u = NULL;
      o = F.opts;
      o.part_size = bad_parts[i];
      CHECK_OK(oas_client_new(&o, &c));
      CHECK_OK(oas_vault_get_by_id(c, F.vault_id, &v));
      EXPECT(oas_vault_initiate_uploader(v, F.big_path, NULL, NULL, &u), OAS_RESULT_INVALID_ARGUMENT, "part size");
      CHECK(u == NULL);
      oas_vault_free(v);
      oas_client_free(c);
    }
    /* The same through the per-upload options, on the fixture's client. */
    for (i = 0; i < sizeof bad_parts / sizeof bad_parts[0]; i++) {
      oas_upload_options uo;
      oas_uploader *u = NULL;
      char *id = NULL;
      CHECK_OK(oas_upload_options_init(&uo, sizeof uo));
      uo.part_size = bad_parts[i];
      EXPECT(oas_vault_initiate_uploader(F.vault, F.big_path, NULL, &uo, &u), OAS_RESULT_INVALID_ARGUMENT,
             "part size");
      uo.upload_threshold = 1;
      EXPECT(oas_vault_upload_archive(F.vault, F.big_path, NULL, &uo, &id), OAS_RESULT_INVALID_ARGUMENT,
             "part size");
      CHECK(u == NULL && id == NULL);
    }
    {
      oas_upload_options uo;
      oas_download_options dl;
      char *id = NULL;
      CHECK_OK(oas_upload_options_init(&uo, sizeof uo));
      uo.workers = 257;
      EXPECT(oas_vault_upload_archive(F.vault, F.small_path, NULL, &uo, &id), OAS_RESULT_INVALID_ARGUMENT,
             "workers");
      CHECK_OK(oas_download_options_init(&dl, sizeof dl));
      dl.range_size = MIB + 1;
      EXPECT(oas_job_download_to_file(F.job, F.out_path, 0, false, &dl), OAS_RESULT_INVALID_ARGUMENT,
             "range_size");
      dl.range_size = UINT64_MAX;
      EXPECT(oas_job_download_to_file(F.job, F.out_path, 0, false, &dl), OAS_RESULT_INVALID_ARGUMENT,
             "range_size");
      CHECK_OK(oas_download_options_init(&dl, sizeof dl));
      dl.workers = 1000;
      EXPECT(oas_job_download_to_file(F.job, F.out_path, 0, false, &dl), OAS_RESULT_INVALID_ARGUMENT,
             "workers");
      CHECK(id == NULL);
    }
  }
  unlink(garbage);
  free(garbage);
}

/* A progress callback that stops its transfer on the first call, the way a
 * caller would: by calling the cancel function of the handle it belongs to. */
struct stopper {
  oas_job *job;
  const oas_uploader *uploader;
  int how; /* 0: oas_job_cancel, 1: return non-zero, 2: oas_uploader_cancel, 3: oas_uploader_stop */
  unsigned calls;
  oas_result cancel_rc;
};

static int stop_on_first(void *userdata, uint64_t done, uint64_t total) {
  struct stopper *s = (struct stopper *)userdata;
  (void)done;
  (void)total;
  if (s->calls++ > 0) return s->how == 1;
  switch (s->how) {
    case 0: oas_job_cancel(s->job); return 0;
    case 2: s->cancel_rc = oas_uploader_cancel(s->uploader); return 0;
    case 3: oas_uploader_stop(s->uploader); return 0;
    default: return 1;
  }
}

static int file_is(const char *path, const unsigned char *data, size_t len) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf = (unsigned char *)malloc(len + 1);
  size_t got = f ? fread(buf, 1, len + 1, f) : 0;
  int same = f != NULL && got == len && memcmp(buf, data, len) == 0;
  if (f) fclose(f);
  free(buf);
  return same;
}

static void cancelled_handles(void) {
  const size_t len = 5 * MIB + 7;
  unsigned char *data = pattern(len);
  char *src = temp_file_with(data, len);
  char journal[4300], *id = NULL, *again = NULL;
  oas_job *job = NULL;
  oas_uploader *u = NULL, *r = NULL;
  struct stopper s;
  oas_download_options dl;
  oas_upload_options uo;

  /* A job whose download was cancelled from its progress callback stays
   * usable: getters, status, and the next download resumes and verifies. */
  CHECK_OK(oas_vault_upload_archive(F.vault, src, "cancel", NULL, &id));
  CHECK_OK(oas_vault_retrieve_archive(F.vault, id, NULL, NULL, &job));
  CHECK_OK(oas_job_wait(job, 10, 100, 30000));
  CHECK_OK(oas_download_options_init(&dl, sizeof dl));
  dl.range_size = MIB;
  dl.workers = 1;
  memset(&s, 0, sizeof s);
  s.job = job;
  dl.progress = stop_on_first;
  dl.userdata = &s;
  EXPECT(oas_job_download_to_file(job, F.out_path, 0, false, &dl), OAS_RESULT_CANCELLED, "");
  CHECK(oas_job_size_completed(job) < len);
  CHECK(strlen(oas_job_id(job)) > 0);
  CHECK_OK(oas_job_outcome(job));
  CHECK_OK(oas_job_update_status(job));
  s.how = 1;
  s.calls = 0;
  EXPECT(oas_job_download_by_range(job, &(oas_byte_range){0, len - 1}, F.out_path, 0, false, &dl),
         OAS_RESULT_CANCELLED, "");
  CHECK(access(F.out_path, F_OK) != 0); /* a failed range download removes its file */
  s.calls = 0;
  EXPECT(oas_job_download_by_range_fd(job, &(oas_byte_range){0, len - 1}, F.out_fd, 0, false, &dl),
         OAS_RESULT_CANCELLED, "");
  s.how = 0;
  s.calls = 0;
  EXPECT(oas_job_download_to_file(job, F.out_path, 0, false, &dl), OAS_RESULT_CANCELLED, "");
  /* Options belong to one call: the next one, without a callback, runs. */
  CHECK_OK(oas_job_download_to_file(job, F.out_path, 0, false, NULL));
  CHECK(file_is(F.out_path, data, len));
  snprintf(journal, sizeof journal, "%s.oas", F.out_path);
  CHECK(access(journal, F_OK) != 0);
  CHECK(oas_job_size_completed(job) == len);
  CHECK_OK(oas_job_wait(job, 10, 100, 1000));
  oas_job_free(job);
  unlink(F.out_path);

  /* An uploader aborted on the server from its own progress callback: the
   * transfer stops, and every later transfer call fails with a message. */
  CHECK_OK(oas_vault_initiate_uploader(F.vault, src, NULL, NULL, &u));
  memset(&s, 0, sizeof s);
  s.uploader = u;
  s.how = 2;
  CHECK_OK(oas_upload_options_init(&uo, sizeof uo));
  uo.progress = stop_on_first;
  uo.userdata = &s;
  EXPECT_FAIL(oas_uploader_start(u, &uo, &again));
  CHECK(s.cancel_rc == OAS_RESULT_OK);
  CHECK(again == NULL);
  EXPECT(oas_uploader_start(u, NULL, &again), OAS_RESULT_INVALID_STATE, "aborted");
  EXPECT(oas_uploader_resume(u, src, NULL, &again), OAS_RESULT_INVALID_STATE, "aborted");
  EXPECT(oas_uploader_cancel(u), OAS_RESULT_INVALID_STATE, "aborted");
  EXPECT(oas_vault_recover_uploader(F.vault, oas_uploader_id(u), &r), OAS_RESULT_NOT_FOUND, "UploadIdNotExists");
  CHECK(again == NULL && r == NULL);
  CHECK(oas_uploader_id(u)[0] != '\0' && oas_uploader_part_size(u) == MIB);
  oas_uploader_free(u);

  /* An uploader stopped from its callback stays resumable. */
  CHECK_OK(oas_vault_initiate_uploader(F.vault, src, NULL, NULL, &u));
  memset(&s, 0, sizeof s);
  s.uploader = u;
  s.how = 3;
  EXPECT(oas_uploader_start(u, &uo, &again), OAS_RESULT_CANCELLED, "");
  CHECK_OK(oas_vault_recover_uploader(F.vault, oas_uploader_id(u), &r));
  CHECK_OK(oas_uploader_resume(r, src, NULL, &again));
  CHECK(again != NULL);
  /* Completed: this handle refuses at once. Another handle to the same id
   * repeats Complete (spec: the service answers it with the same archive for
   * a while) and gets that archive, because its size and tree etag match the
   * file; that is how a client whose Complete answers were lost finishes. */
  EXPECT(oas_uploader_resume(r, src, NULL, &id), OAS_RESULT_INVALID_STATE, "already complete");
  EXPECT(oas_uploader_start(r, NULL, &id), OAS_RESULT_INVALID_STATE, "");
  EXPECT(oas_uploader_cancel(r), OAS_RESULT_INVALID_STATE, "already complete");
  oas_string_free(id); /* the archive of the first upload above */
  id = NULL;
  CHECK_OK(oas_uploader_resume(u, src, NULL, &id));
  CHECK(id != NULL && again != NULL && strcmp(id, again) == 0);
  oas_string_free(again);
  oas_uploader_free(r);
  oas_uploader_free(u);
  oas_string_free(id);
  unlink(src);
  free(src);
  free(data);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--call-timeout") == 0) g_call_timeout = (unsigned)atoi(argv[2]);
  sweep_fixture_make("c-semantic");
  ranges();
  paths();
  descriptors();
  client_options();
  cancelled_handles();
  sweep_fixture_free();
  return finish("test_bad_input_semantic");
}
