/* The fixture and checks behind the generated bad-input sweep
 * (tests/c/gen_bad_input_sweep.py emits calls that use `F` and the sweep_*
 * helpers below). Every call runs under a watchdog: a call that does not
 * return within `g_call_timeout` seconds ends the test, naming the call. */
#ifndef OAS_SWEEP_UTIL_H
#define OAS_SWEEP_UTIL_H

#include "test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define MIB (1024u * 1024u)

/* Invalid UTF-8 of several kinds: an overlong '/', a UTF-16 surrogate, a
 * stray continuation byte and 0xFF. */
#define SWEEP_BAD_UTF8 "ok\xc0\xaf\xed\xa0\x80\x80\xff"

/* Outputs start out pointing here; a failed call must leave them so. */
static char g_sentinel;
#define SWEEP_SENTINEL ((void *)&g_sentinel)

/* Valid handles and values for every argument of the C API. */
static struct {
  oas_client_options opts;
  oas_upload_options upload_opts;
  oas_download_options download_opts;
  oas_purge_options purge_opts;
  oas_byte_range range;
  const oas_client *client;
  oas_vault *vault, *purge_vault; /* purge_vault: for oas_vault_purge, which deletes it */
  char vault_name[64], vault_id[64], job_id[64], upload_id[64];
  char *archive_id;
  uint64_t archive_len;
  oas_job *job;
  oas_uploader *uploader;
  oas_etag *etag;
  oas_inventory *inventory;
  const oas_inventory_archive *inv_archive;
  oas_vault_list *vault_list;
  oas_uploader_list *uploader_list;
  oas_job_list *job_list;
  uint8_t data[4];
  const char *tree_etags[1];
  unsigned char *bytes;
  char *small_path, *big_path, *inventory_path, *fd_path;
  char out_path[4200];
  int in_fd, out_fd, tmp_fd;
} F;

/* --- the watchdog ------------------------------------------------------- */

static unsigned g_call_timeout = 60;
static const char *volatile g_current = "";

static inline void sweep_on_alarm(int sig) {
  const char *m = "bad-input sweep: call did not return in time: ";
  (void)sig;
  if (write(2, m, strlen(m)) < 0 || write(2, g_current, strlen(g_current)) < 0 || write(2, "\n", 1) < 0) {
    /* nothing more can be reported */
  }
  _exit(3);
}

/* Calls made under the watchdog, to prove that none was skipped. */
static unsigned g_calls = 0;

#define SWEEP_BEGIN(label) \
  do {                     \
    g_current = (label);   \
    alarm(g_call_timeout); \
  } while (0)
#define SWEEP_END() (alarm(0), g_calls++)

/* --- checks -------------------------------------------------------------- */

/* Puts a known failure in the last-error slot and returns it. */
static inline const oas_error *sweep_mark(void) {
  uint64_t n;
  CHECK(oas_calc_num_part(0, 1, &n) == OAS_RESULT_INVALID_ARGUMENT);
  return oas_last_error();
}

/* A live error object for the oas_error_* accessors: the one sweep_mark()
 * just stored (making a new one would change the slot under test). */
static inline const oas_error *sweep_error(void) {
  return oas_last_error() != NULL ? oas_last_error() : sweep_mark();
}

/* An accessor, free or no-op call left the slot as it was. */
static inline void sweep_slot_kept(const oas_error *mark, const char *label) {
  if (oas_last_error() != mark || oas_error_code(oas_last_error()) != OAS_RESULT_INVALID_ARGUMENT) {
    fprintf(stderr, "%s: changed the last-error slot\n", label);
    g_failures++;
  }
}

static inline void sweep_str(const char *got, const char *want, const char *label, int line) {
  if (got == NULL || strcmp(got, want) != 0) {
    fprintf(stderr, "line %d: %s gave \"%s\", expected \"%s\"\n", line, label, got ? got : "(NULL)", want);
    g_failures++;
  }
}

static inline void sweep_val(long long got, long long want, const char *label, int line) {
  if (got != want) {
    fprintf(stderr, "line %d: %s gave %lld, expected %lld\n", line, label, got, want);
    g_failures++;
  }
}

/* SWEEP_VERBOSE=1 lists each call's outcome (for reviewing the codes). */
static inline void sweep_trace(oas_result rc, const char *label) {
  if (getenv("SWEEP_VERBOSE")) printf("%-60s %3u %s\n", label, (unsigned)rc, oas_error_message(oas_last_error()));
}

/* The call failed (any code but a panic) and explained itself. */
static inline void sweep_failed(oas_result rc, const char *label, int line) {
  const oas_error *e = oas_last_error();
  sweep_trace(rc, label);
  if (rc == OAS_RESULT_OK || rc == OAS_RESULT_PANIC || e == NULL || oas_error_code(e) != rc ||
      oas_error_message(e)[0] == '\0') {
    fprintf(stderr, "line %d: %s returned %u (%s), message \"%s\": expected a failure with a message\n", line,
            label, (unsigned)rc, oas_result_str(rc), oas_error_message(e));
    g_failures++;
  }
}

/* A NULL the API allows: the call ran; it did not refuse that NULL, did not
 * panic, and a failure (the fixture may be used up by now) is explained. */
static inline void sweep_tolerated(oas_result rc, const char *label) {
  const oas_error *e = oas_last_error();
  sweep_trace(rc, label);
  if (rc == OAS_RESULT_NULL_ARGUMENT || rc == OAS_RESULT_PANIC || rc == OAS_RESULT_INVALID_UTF8 ||
      (rc == OAS_RESULT_OK && e != NULL) ||
      (rc != OAS_RESULT_OK && (e == NULL || oas_error_message(e)[0] == '\0'))) {
    fprintf(stderr, "%s returned %u (%s): %s\n", label, (unsigned)rc, oas_result_str(rc), oas_error_message(e));
    g_failures++;
  }
}

static inline void sweep_check_last_error(void) {
  uint64_t n;
  CHECK(oas_calc_num_part(1, 1, &n) == OAS_RESULT_OK);
  CHECK(oas_last_error() == NULL);
  CHECK(sweep_mark() != NULL);
}

static inline int sweep_progress(void *userdata, uint64_t done, uint64_t total) {
  (void)userdata;
  (void)done;
  (void)total;
  return 0;
}

/* A read callback at the end of its stream, a write callback that takes all. */
static inline int64_t sweep_read(void *userdata, uint8_t *buf, size_t len) {
  (void)userdata;
  (void)buf;
  (void)len;
  return 0;
}

static inline int sweep_write(void *userdata, const uint8_t *buf, size_t len) {
  (void)userdata;
  (void)buf;
  (void)len;
  return 0;
}

static inline void sweep_log(void *userdata, uint32_t level, const char *target, const char *message) {
  (void)userdata;
  (void)level;
  (void)target;
  (void)message;
}

/* A new descriptor of the small file for each call that reads one to its end. */
static inline int sweep_fresh_fd(void) {
  if (F.tmp_fd >= 0) close(F.tmp_fd);
  F.tmp_fd = open(F.small_path, O_RDONLY);
  return F.tmp_fd;
}

/* --- the fixture ---------------------------------------------------------- */

static const char SWEEP_INVENTORY[] =
    "{\"VaultId\":\"V1\",\"InventoryDate\":\"Mon, 01 Jan 2024 00:00:00 GMT\",\"ArchiveList\":["
    "{\"ArchiveId\":\"a1\",\"ArchiveDescription\":\"d\",\"CreationDate\":\"D1\",\"Size\":5,\"TreeEtag\":\"T1\"}]}";

/* A client with short timeouts and few retries, so that no call can wait
 * long, against the emulator named by OAS_ENDPOINT & co. */
static inline const oas_client *sweep_client(void) {
  const oas_client *c = NULL;
  oas_client_options_init(&F.opts, sizeof F.opts);
  F.opts.endpoint = getenv("OAS_ENDPOINT");
  F.opts.access_id = getenv("OAS_ACCESS_ID");
  F.opts.access_key = getenv("OAS_ACCESS_KEY");
  F.opts.connect_timeout_ms = 2000;
  F.opts.read_timeout_ms = 10000;
  F.opts.retry_max_attempts = 2;
  F.opts.retry_base_delay_ms = 10;
  F.opts.retry_max_delay_ms = 100;
  F.opts.upload_threshold = 2 * MIB;
  F.opts.part_size = MIB;
  F.opts.workers = 2;
  if (oas_client_new(&F.opts, &c) != OAS_RESULT_OK) {
    fprintf(stderr, "oas_client_new: %s\n", oas_error_message(oas_last_error()));
    exit(2);
  }
  return c;
}

/* Builds every handle; exits (2) when the emulator is not usable. */
static inline void sweep_fixture_make(const char *prefix) {
  const char *tmp = getenv("TMPDIR");
  oas_job *listed = NULL;
  int ok = 1;
  if (!getenv("OAS_ENDPOINT") || !getenv("OAS_ACCESS_ID") || !getenv("OAS_ACCESS_KEY")) {
    fprintf(stderr, "run through tests/c/with_emulator.sh (OAS_ENDPOINT & co. unset)\n");
    exit(2);
  }
  signal(SIGALRM, sweep_on_alarm);
  F.tmp_fd = -1;
  F.client = sweep_client();
  F.bytes = pattern(MIB + 1);
  F.small_path = temp_file_with(F.bytes, 1000);
  F.big_path = temp_file_with(F.bytes, MIB + 1);
  F.inventory_path = temp_file_with((const unsigned char *)SWEEP_INVENTORY, sizeof SWEEP_INVENTORY - 1);
  snprintf(F.out_path, sizeof F.out_path, "%s/oas-sweep-out-%ld", tmp && tmp[0] ? tmp : "/tmp", (long)getpid());
  memcpy(F.data, "oas!", 4);
  F.tree_etags[0] = "8F293A2F6C19B345152F7A49BB4C643C";
  F.in_fd = open(F.small_path, O_RDONLY);
  F.fd_path = temp_file_with(F.bytes, 0); /* behind out_fd, written by nothing else */
  F.out_fd = open(F.fd_path, O_WRONLY);
  F.etag = oas_etag_new();
  F.archive_len = 1000;
  F.range.start = 0;
  F.range.end = F.archive_len - 1;
  oas_upload_options_init(&F.upload_opts, sizeof F.upload_opts);
  oas_download_options_init(&F.download_opts, sizeof F.download_opts);
  oas_purge_options_init(&F.purge_opts, sizeof F.purge_opts);
  F.purge_opts.wait_first_interval_ms = 10;
  F.purge_opts.wait_timeout_ms = 30000;

  snprintf(F.vault_name, sizeof F.vault_name, "%s-%ld", prefix, (long)getpid());
  ok = ok && oas_vault_create(F.client, F.vault_name, &F.vault) == OAS_RESULT_OK;
  if (ok) snprintf(F.vault_id, sizeof F.vault_id, "%s", oas_vault_id(F.vault));
  {
    char name[80];
    snprintf(name, sizeof name, "%s-purge-%ld", prefix, (long)getpid());
    ok = ok && oas_vault_create(F.client, name, &F.purge_vault) == OAS_RESULT_OK;
  }
  ok = ok && oas_vault_upload_archive(F.vault, F.small_path, "sweep", NULL, &F.archive_id) == OAS_RESULT_OK;
  ok = ok && oas_vault_retrieve_archive(F.vault, F.archive_id, NULL, NULL, &F.job) == OAS_RESULT_OK;
  ok = ok && oas_job_wait(F.job, 10, 100, 30000) == OAS_RESULT_OK;
  if (ok) snprintf(F.job_id, sizeof F.job_id, "%s", oas_job_id(F.job));
  ok = ok && oas_vault_initiate_uploader(F.vault, F.big_path, "sweep", NULL, &F.uploader) == OAS_RESULT_OK;
  if (ok) snprintf(F.upload_id, sizeof F.upload_id, "%s", oas_uploader_id(F.uploader));
  ok = ok && oas_vault_list_all(F.client, &F.vault_list) == OAS_RESULT_OK;
  ok = ok && oas_vault_list_all_multipart_uploads(F.vault, &F.uploader_list) == OAS_RESULT_OK;
  ok = ok && oas_vault_list_all_jobs(F.vault, &F.job_list) == OAS_RESULT_OK;
  ok = ok && oas_inventory_open(F.inventory_path, &F.inventory) == OAS_RESULT_OK;
  ok = ok && oas_inventory_next(F.inventory, &F.inv_archive) == OAS_RESULT_OK && F.inv_archive != NULL;
  ok = ok && F.etag != NULL && F.in_fd >= 0 && F.out_fd >= 0;
  listed = ok ? oas_job_list_get(F.job_list, 0) : NULL;
  if (!ok || listed == NULL) {
    fprintf(stderr, "fixture: %s\n", oas_error_message(oas_last_error()));
    exit(2);
  }
}

static inline void sweep_fixture_free(void) {
  oas_set_log_callback(NULL, NULL, 0);
  oas_job_list_free(F.job_list);
  oas_uploader_list_free(F.uploader_list);
  oas_vault_list_free(F.vault_list);
  oas_inventory_free(F.inventory);
  oas_uploader_free(F.uploader);
  oas_job_free(F.job);
  oas_string_free(F.archive_id);
  oas_vault_free(F.vault);
  oas_vault_free(F.purge_vault);
  oas_client_free(F.client);
  oas_etag_free(F.etag);
  close(F.in_fd);
  close(F.out_fd);
  if (F.tmp_fd >= 0) close(F.tmp_fd);
  unlink(F.small_path);
  unlink(F.big_path);
  unlink(F.inventory_path);
  unlink(F.fd_path);
  free(F.fd_path);
  unlink(F.out_path);
  free(F.small_path);
  free(F.big_path);
  free(F.inventory_path);
  free(F.bytes);
}

#endif
