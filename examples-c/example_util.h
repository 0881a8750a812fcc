/* Helpers shared by the examples: a client from the environment or the
 * credentials file, error
 * reports with every detail the library keeps, a live progress bar on
 * stderr with throughput, and a generated test file. Not part of the
 * library. */
#ifndef OAS_EXAMPLE_UTIL_H
#define OAS_EXAMPLE_UTIL_H

/* mkstemp, clock_gettime, nanosleep, isatty under strict -std=c99. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include <oas.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Prints why `what` failed: the code's text, then the details of
 * oas_last_error() (message, HTTP status, server code and type, request id)
 * when present. Returns 1 so callers can `return ex_fail(...)`. */
static inline int ex_fail(const char *what, oas_result rc) {
  const oas_error *e = oas_last_error();
  fprintf(stderr, "error: %s failed: %s (oas_result %u)\n", what, oas_result_str(rc),
          (unsigned)rc);
  if (e) {
    if (oas_error_message(e)[0]) fprintf(stderr, "  message:    %s\n", oas_error_message(e));
    if (oas_error_http_status(e))
      fprintf(stderr, "  HTTP:       %u\n", (unsigned)oas_error_http_status(e));
    if (oas_error_server_code(e)[0])
      fprintf(stderr, "  server:     %s (%s)\n", oas_error_server_code(e), oas_error_server_type(e));
    if (oas_error_request_id(e)[0])
      fprintf(stderr, "  request id: %s\n", oas_error_request_id(e));
    if (oas_error_server_message(e)[0])
      fprintf(stderr, "  server msg: %s\n", oas_error_server_message(e));
    if (oas_error_upload_id(e)[0])
      fprintf(stderr, "  upload id:  %s (resume it with oas_vault_recover_uploader)\n",
              oas_error_upload_id(e));
  }
  return 1;
}

/* A client for the endpoint and credentials the library finds itself
 * (README, "Configuration"): environment OAS_ENDPOINT (or OAS_REGION),
 * OAS_ACCESS_ID, OAS_ACCESS_KEY; ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET; or the
 * oascmd credentials file ~/.oascredentials (or $OAS_CREDENTIALS_FILE).
 * `opts` may be pre-filled with oas_client_options_init and tuned (NULL:
 * defaults); its endpoint and credentials, when the caller left them NULL,
 * stay NULL for the library to resolve. Returns NULL after printing why. */
static inline const oas_client *ex_client_from_env(oas_client_options *opts) {
  oas_client_options defaults;
  const oas_client *client = NULL;
  oas_result rc;
  if (!opts) {
    oas_client_options_init(&defaults, sizeof defaults);
    opts = &defaults;
  }
  rc = oas_client_new(opts, &client);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_client_new", rc);
    fprintf(stderr,
            "  give the service either in ~/.oascredentials:\n"
            "    [OASCredentials]\n    host = cn-hangzhou.oas.aliyuncs.com\n    port = 80\n"
            "    accessid = ...\n    accesskey = ...\n"
            "  or in OAS_ENDPOINT (e.g. http://127.0.0.1:8080), OAS_ACCESS_ID and OAS_ACCESS_KEY\n"
            "  (for the emulator: OAS_ACCESS_ID=OASEMULATORTESTID "
            "OAS_ACCESS_KEY=OASEmulatorTestSecret000000000000)\n");
    return NULL;
  }
  return client;
}

static inline double ex_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void ex_sleep_ms(long ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

#define EX_MB 1000000.0

/* State of one progress bar. `stop_at` (0 = never) makes the callback ask
 * the library to stop once that many bytes are done. */
typedef struct {
  const char *label;
  double started;
  double last_draw;
  uint64_t done;
  uint64_t total;
  uint64_t stop_at;
  unsigned long calls;
} ex_progress;

static inline void ex_progress_init(ex_progress *p, const char *label) {
  memset(p, 0, sizeof *p);
  p->label = label;
  p->started = ex_now();
}

static inline void ex_progress_draw(const ex_progress *p, int final) {
  double secs = ex_now() - p->started;
  double rate = secs > 0 ? (double)p->done / EX_MB / secs : 0.0;
  int width = 30, filled = p->total ? (int)((double)p->done * width / (double)p->total) : 0, i;
  char bar[31];
  for (i = 0; i < width; i++) bar[i] = i < filled ? '#' : '.';
  bar[width] = 0;
  fprintf(stderr, "\r%-9s [%s] %5.1f%%  %8.1f / %.1f MB  %7.1f MB/s%s", p->label, bar,
          p->total ? 100.0 * (double)p->done / (double)p->total : 0.0, (double)p->done / EX_MB,
          (double)p->total / EX_MB, rate, final ? "\n" : "");
  fflush(stderr);
}

/* The oas_progress_fn: called from one worker thread at a time. Redraws at
 * most ten times a second (and at 100%), so a fast transfer is not slowed
 * by the terminal. */
static inline int ex_progress_cb(void *userdata, uint64_t done, uint64_t total) {
  ex_progress *p = (ex_progress *)userdata;
  double now = ex_now();
  p->calls++;
  p->done = done;
  p->total = total;
  if (now - p->last_draw >= 0.1 || done == total) {
    p->last_draw = now;
    ex_progress_draw(p, 0);
  }
  return p->stop_at != 0 && done >= p->stop_at;
}

/* Ends the bar's line and prints the average throughput. */
static inline void ex_progress_end(ex_progress *p) {
  double secs = ex_now() - p->started;
  ex_progress_draw(p, 1);
  fprintf(stderr, "%-9s %.1f MB in %.2f s: %.1f MB/s\n", p->label, (double)p->done / EX_MB, secs,
          secs > 0 ? (double)p->done / EX_MB / secs : 0.0);
}

/* Writes `size` pseudo-random bytes (a fixed xorshift sequence, so it does
 * not compress and every run is the same) to a new file in $TMPDIR; `path`
 * receives its name. Returns 0 or -1 after perror. */
static inline int ex_generate_file(uint64_t size, char *path, size_t path_len) {
  const char *dir = getenv("TMPDIR");
  static unsigned char buf[1 << 16];
  uint64_t x = 0x9E3779B97F4A7C15ull, left = size;
  FILE *f;
  int fd;
  snprintf(path, path_len, "%s/oas-example-XXXXXX", dir && dir[0] ? dir : "/tmp");
  if ((fd = mkstemp(path)) < 0 || !(f = fdopen(fd, "wb"))) {
    perror("creating a temporary file");
    return -1;
  }
  while (left > 0) {
    size_t n = left < sizeof buf ? (size_t)left : sizeof buf, i;
    for (i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      buf[i] = (unsigned char)(x >> 24);
    }
    if (fwrite(buf, 1, n, f) != n) {
      perror("writing the generated file");
      fclose(f);
      return -1;
    }
    left -= n;
  }
  if (fclose(f) != 0) {
    perror("closing the generated file");
    return -1;
  }
  return 0;
}

/* The command line the upload examples share:
 * [--vault NAME] [--size BYTES] [--part-mib N] [FILE]. `--part-mib` is taken
 * only when the caller set a non-zero default. Without FILE a file of `size`
 * generated bytes is made; `generated` says so, for ex_args_done. */
typedef struct {
  const char *vault;
  const char *path;
  uint64_t size;
  uint64_t part_mib;
  int generated;
  char generated_path[4096];
} ex_args;

/* Fills `a` (defaults set by the caller) from argv and makes the generated
 * file when no FILE is given. Returns 0, 2 after the usage line, or 1 when
 * the file could not be made. */
static inline int ex_parse_args(int argc, char **argv, ex_args *a) {
  int i;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--vault") && i + 1 < argc) {
      a->vault = argv[++i];
    } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
      a->size = strtoull(argv[++i], NULL, 10);
    } else if (a->part_mib && !strcmp(argv[i], "--part-mib") && i + 1 < argc) {
      a->part_mib = strtoull(argv[++i], NULL, 10);
    } else if (argv[i][0] != '-' && !a->path) {
      a->path = argv[i];
    } else {
      fprintf(stderr, "usage: %s [--vault NAME] [--size BYTES]%s [FILE]\n", argv[0],
              a->part_mib ? " [--part-mib N]" : "");
      return 2;
    }
  }
  if (!a->path) {
    if (ex_generate_file(a->size, a->generated_path, sizeof a->generated_path) != 0) return 1;
    a->path = a->generated_path;
    a->generated = 1;
  }
  return 0;
}

/* Removes the generated file, if one was made. */
static inline void ex_args_done(ex_args *a) {
  if (a->generated) remove(a->generated_path);
  a->generated = 0;
}

#endif
