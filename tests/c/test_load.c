/* Load on one client: 32 threads share one `oas_client` (and one vault
 * handle) and run a fixed mix of operations against the emulator of the
 * ctest fixture: single and multipart uploads (1 MiB parts), each verified by
 * a retrieval job and a parallel download compared byte for byte with its
 * source, listings of vaults, uploads and jobs, vault lookups, archive
 * deletions, and multipart uploads aborted half-way. A watchdog (alarm)
 * fails the run if it does not finish within the bound, so a deadlock is a
 * failure, not a hang; leaks are found by the ASan (LeakSanitizer) build.
 *
 *   test_load [--threads N] [--ops N] [--timeout S]
 *
 * Prints one line with the operation count, the elapsed time and the
 * emulator's peak RSS (VmHWM from /proc, when the fixture's pid file is
 * given with --emulator-pid FILE). */
#include "test_util.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#define MIB (1024u * 1024u)

enum { OP_SINGLE, OP_MULTIPART, OP_LIST, OP_LOOKUP, OP_ABORT, OP_KINDS };

static const oas_client *g_client;
static const oas_vault *g_vault;
static int g_ops = 200, g_threads = 32;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_next_op = 0;
static int g_done[OP_KINDS];
static int g_failed = 0;

/* Sources: a single-request file below the 2 MiB threshold and a multipart
 * one of 3 parts, both with an odd tail. */
static unsigned char *g_small_data, *g_big_data;
static char *g_small, *g_big;
static const size_t SMALL = 256 * 1024 + 3, BIG = 2 * MIB + 5;

static void on_alarm(int sig) {
  static const char msg[] = "test_load: watchdog fired: the run did not finish in time (deadlock?)\n";
  (void)sig;
  if (write(2, msg, sizeof msg - 1) < 0) _exit(3);
  _exit(3);
}

static void fail(int op, const char *what, oas_result rc) {
  pthread_mutex_lock(&g_lock);
  fprintf(stderr, "op %d: %s failed: %u (%s): %s\n", op, what, (unsigned)rc, oas_result_str(rc),
          oas_error_message(oas_last_error()));
  g_failed++;
  pthread_mutex_unlock(&g_lock);
}

/* The file at `path` holds exactly data[0..len). */
static int same_file(const char *path, const unsigned char *data, size_t len) {
  FILE *f = fopen(path, "rb");
  unsigned char buf[65536];
  size_t off = 0, n;
  int same = f != NULL;
  while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
    same = off + n <= len && memcmp(buf, data + off, n) == 0;
    off += n;
  }
  if (f) fclose(f);
  return same && off == len;
}

/* Upload, retrieve, download, compare, delete. */
static void upload_round_trip(int op, const char *src, const unsigned char *data, size_t len) {
  char *archive = NULL;
  oas_job *job = NULL;
  char out[4200];
  const char *tmp = getenv("TMPDIR");
  oas_result rc;

  rc = oas_vault_upload_archive(g_vault, src, "load", NULL, &archive);
  if (rc != OAS_RESULT_OK) {
    fail(op, "upload", rc);
    return;
  }
  rc = oas_job_retrieve_archive_reuse(g_client, oas_vault_id(g_vault), archive, "load", NULL,
                                      &job);
  if (rc != OAS_RESULT_OK) {
    fail(op, "retrieve", rc);
    goto done;
  }
  rc = oas_job_wait(job, 10, 100, 60000);
  if (rc != OAS_RESULT_OK) {
    fail(op, "wait", rc);
    goto done;
  }
  snprintf(out, sizeof out, "%s/oas-load-%ld-%d", tmp && tmp[0] ? tmp : "/tmp", (long)getpid(),
           op);
  rc = oas_job_download_to_file(job, out, 0, false, NULL);
  if (rc != OAS_RESULT_OK) {
    fail(op, "download", rc);
  } else if (!same_file(out, data, len)) {
    pthread_mutex_lock(&g_lock);
    fprintf(stderr, "op %d: downloaded archive %s differs from its source\n", op, archive);
    g_failed++;
    pthread_mutex_unlock(&g_lock);
  }
  unlink(out);
  rc = oas_vault_delete_archive(g_vault, archive);
  if (rc != OAS_RESULT_OK) fail(op, "delete archive", rc);
done:
  oas_job_free(job);
  oas_string_free(archive);
}

static void listings(int op) {
  oas_vault_list *vl = NULL;
  oas_uploader_list *ul = NULL;
  oas_job_list *jl = NULL;
  oas_result rc;
  if ((rc = oas_vault_list_all(g_client, &vl)) != OAS_RESULT_OK) fail(op, "list vaults", rc);
  else if (oas_vault_list_len(vl) < 1) fail(op, "list vaults (empty)", OAS_RESULT_OK);
  if ((rc = oas_vault_list_all_multipart_uploads(g_vault, &ul)) != OAS_RESULT_OK)
    fail(op, "list uploads", rc);
  if ((rc = oas_vault_list_all_jobs(g_vault, &jl)) != OAS_RESULT_OK) fail(op, "list jobs", rc);
  oas_vault_list_free(vl);
  oas_uploader_list_free(ul);
  oas_job_list_free(jl);
}

static void lookup(int op) {
  oas_vault *v = NULL;
  oas_result rc = oas_vault_get_by_id(g_client, oas_vault_id(g_vault), &v);
  if (rc != OAS_RESULT_OK) {
    fail(op, "get vault", rc);
    return;
  }
  if (strcmp(oas_vault_id(v), oas_vault_id(g_vault)) != 0) fail(op, "get vault (wrong id)", rc);
  oas_vault_free(v);
}

static int stop_after_first_part(void *userdata, uint64_t done, uint64_t total) {
  (void)userdata;
  (void)total;
  return done >= MIB;
}

/* A multipart upload stopped from its progress callback, then aborted. */
static void abort_upload(int op) {
  oas_uploader *u = NULL;
  oas_upload_options uo;
  char *archive = NULL;
  oas_result rc = oas_vault_initiate_uploader(g_vault, g_big, "to abort", NULL, &u);
  if (rc != OAS_RESULT_OK) {
    fail(op, "initiate", rc);
    return;
  }
  oas_upload_options_init(&uo, sizeof uo);
  uo.progress = stop_after_first_part;
  rc = oas_uploader_start(u, &uo, &archive);
  if (rc == OAS_RESULT_OK) {
    /* Every part was already sent when the callback asked to stop. */
    if ((rc = oas_vault_delete_archive(g_vault, archive)) != OAS_RESULT_OK)
      fail(op, "delete archive", rc);
  } else if (rc != OAS_RESULT_CANCELLED) {
    fail(op, "stopped upload (expected CANCELLED)", rc);
  } else if ((rc = oas_uploader_cancel(u)) != OAS_RESULT_OK) {
    fail(op, "abort", rc);
  }
  oas_string_free(archive);
  oas_uploader_free(u);
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    int op, kind;
    pthread_mutex_lock(&g_lock);
    op = g_next_op < g_ops ? g_next_op++ : -1;
    pthread_mutex_unlock(&g_lock);
    if (op < 0) return NULL;
    /* 40% single, 30% multipart, 10% each of listings, lookups, aborts. */
    switch (op % 10) {
    case 0: case 1: case 2: case 3: kind = OP_SINGLE; break;
    case 4: case 5: case 6: kind = OP_MULTIPART; break;
    case 7: kind = OP_LIST; break;
    case 8: kind = OP_LOOKUP; break;
    default: kind = OP_ABORT; break;
    }
    switch (kind) {
    case OP_SINGLE: upload_round_trip(op, g_small, g_small_data, SMALL); break;
    case OP_MULTIPART: upload_round_trip(op, g_big, g_big_data, BIG); break;
    case OP_LIST: listings(op); break;
    case OP_LOOKUP: lookup(op); break;
    default: abort_upload(op); break;
    }
    pthread_mutex_lock(&g_lock);
    g_done[kind]++;
    pthread_mutex_unlock(&g_lock);
  }
}

/* Peak RSS in KiB of process `pid` (0 when unknown). */
static long hwm_kib(const char *pid_file) {
  char path[64], line[256];
  long pid = 0, kib = 0;
  FILE *f = pid_file ? fopen(pid_file, "r") : NULL;
  if (!f) return 0;
  if (fscanf(f, "%ld", &pid) != 1) pid = 0;
  fclose(f);
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  if (!pid || !(f = fopen(path, "r"))) return 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld", &kib) == 1) break;
  fclose(f);
  return kib;
}

int main(int argc, char **argv) {
  oas_client_options o;
  oas_vault *v = NULL;
  oas_uploader_list *left = NULL;
  pthread_t *threads;
  const char *pid_file = NULL;
  char name[64];
  unsigned timeout = 300;
  struct timeval t0, t1;
  int i;

  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) g_threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--ops") && i + 1 < argc) g_ops = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout = (unsigned)atoi(argv[++i]);
    else if (!strcmp(argv[i], "--emulator-pid") && i + 1 < argc) pid_file = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--threads N] [--ops N] [--timeout S] [--emulator-pid FILE]\n",
              argv[0]);
      return 2;
    }
  }
  if (!getenv("OAS_ENDPOINT")) {
    fprintf(stderr, "OAS_ENDPOINT is not set (run through tests/c/with_emulator.sh)\n");
    return 2;
  }
  signal(SIGALRM, on_alarm);
  alarm(timeout);

  g_small_data = pattern(SMALL);
  g_big_data = pattern(BIG);
  /* Not the same bytes as the small file at the same offsets. */
  for (i = 0; i < (int)BIG; i += 4099) g_big_data[i] ^= 0x5a;
  g_small = temp_file_with(g_small_data, SMALL);
  g_big = temp_file_with(g_big_data, BIG);

  CHECK_OK(oas_client_options_init(&o, sizeof o));
  o.endpoint = getenv("OAS_ENDPOINT");
  o.access_id = getenv("OAS_ACCESS_ID");
  o.access_key = getenv("OAS_ACCESS_KEY");
  o.upload_threshold = 2 * MIB;
  o.part_size = MIB;
  o.download_range_size = MIB;
  o.workers = 2; /* 32 threads x 2 workers: up to 64 connections at once */
  o.retry_base_delay_ms = 10;
  CHECK_OK(oas_client_new(&o, &g_client));
  snprintf(name, sizeof name, "c-load-%ld", (long)getpid());
  CHECK_OK(oas_vault_create(g_client, name, &v));
  if (g_failures) return finish("test_load");
  g_vault = v;

  gettimeofday(&t0, NULL);
  threads = (pthread_t *)calloc((size_t)g_threads, sizeof *threads);
  for (i = 0; i < g_threads; i++) CHECK(pthread_create(&threads[i], NULL, worker, NULL) == 0);
  for (i = 0; i < g_threads; i++) pthread_join(threads[i], NULL);
  gettimeofday(&t1, NULL);
  free(threads);

  CHECK(g_failed == 0);
  CHECK(g_done[OP_SINGLE] + g_done[OP_MULTIPART] + g_done[OP_LIST] + g_done[OP_LOOKUP] +
            g_done[OP_ABORT] == g_ops);
  /* Every upload was completed or aborted, every archive deleted. */
  CHECK_OK(oas_vault_list_all_multipart_uploads(v, &left));
  CHECK(oas_uploader_list_len(left) == 0);
  oas_uploader_list_free(left);
  CHECK_OK(oas_vault_refresh(v));
  CHECK(oas_vault_number_of_archives(v) == 0);
  CHECK_OK(oas_vault_delete(v));
  printf("test_load: %d threads, %d ops (%d single, %d multipart, %d listings, %d lookups, "
         "%d aborts) in %.2f s; emulator peak RSS %ld KiB\n",
         g_threads, g_ops, g_done[OP_SINGLE], g_done[OP_MULTIPART], g_done[OP_LIST],
         g_done[OP_LOOKUP], g_done[OP_ABORT],
         (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_usec - t0.tv_usec) / 1e6,
         hwm_kib(pid_file));

  oas_vault_free(v);
  oas_client_free(g_client);
  unlink(g_small);
  unlink(g_big);
  free(g_small);
  free(g_big);
  free(g_small_data);
  free(g_big_data);
  return finish("test_load");
}
