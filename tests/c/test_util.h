/* Small helpers shared by the C tests: checks that report file:line, the
 * vectors' input pattern, temporary files, and the last-error check every
 * failing call must pass. */
#ifndef OAS_TEST_UTIL_H
#define OAS_TEST_UTIL_H

/* mkstemp, fileno, pipe, pread under strict -std=c99. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

#include "oas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_failures = 0;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      g_failures++;                                                          \
    }                                                                        \
  } while (0)

#define CHECK_STR(a, b)                                                          \
  do {                                                                           \
    const char *a_ = (a), *b_ = (b);                                             \
    if (strcmp(a_, b_) != 0) {                                                   \
      fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, \
              #a, a_, b_);                                                       \
      g_failures++;                                                              \
    }                                                                            \
  } while (0)

/* A call returned OAS_RESULT_OK and left no last error. */
#define CHECK_OK(call)                                                          \
  do {                                                                          \
    oas_result rc_ = (call);                                                    \
    if (rc_ != OAS_RESULT_OK) {                                                 \
      fprintf(stderr, "%s:%d: %s returned %u (%s): %s\n", __FILE__, __LINE__,   \
              #call, (unsigned)rc_, oas_result_str(rc_),                        \
              oas_error_message(oas_last_error()));                             \
      g_failures++;                                                             \
    } else if (oas_last_error() != NULL) {                                      \
      fprintf(stderr, "%s:%d: %s succeeded but left a last error\n", __FILE__,  \
              __LINE__, #call);                                                 \
      g_failures++;                                                             \
    }                                                                           \
  } while (0)

/* A call failed with `code`, and oas_last_error() describes it with the same
 * code and a message containing `needle` (pass "" for any non-empty text). */
#define CHECK_ERR(call, code, needle) check_err_((call), (code), (needle), #call, __FILE__, __LINE__)

static inline void check_err_(oas_result rc, oas_result code, const char *needle, const char *what,
                       const char *file, int line) {
  const oas_error *e = oas_last_error();
  const char *msg = oas_error_message(e);
  if (rc != code) {
    fprintf(stderr, "%s:%d: %s returned %u (%s), expected %u (%s): %s\n", file, line, what,
            (unsigned)rc, oas_result_str(rc), (unsigned)code, oas_result_str(code), msg);
    g_failures++;
    return;
  }
  if (e == NULL || oas_error_code(e) != code || msg[0] == '\0' || strstr(msg, needle) == NULL) {
    fprintf(stderr, "%s:%d: %s: last error missing or wrong (code %u, message \"%s\", want \"%s\")\n",
            file, line, what, (unsigned)oas_error_code(e), msg, needle);
    g_failures++;
  }
}

/* Leaves no source from which oas_client_new could complete unset options
 * (environment OAS_* and ALIBABA_CLOUD_*, the credentials file), so that a
 * missing endpoint or credential is an error whatever the machine has. */
static inline void no_credential_sources(void) {
  unsetenv("OAS_ENDPOINT");
  unsetenv("OAS_REGION");
  unsetenv("OAS_ACCESS_ID");
  unsetenv("OAS_ACCESS_KEY");
  unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
  unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  setenv("OAS_CREDENTIALS_FILE", "/nonexistent/oas-test-credentials", 1);
}

/* The vectors' input: byte[i] = i mod 251. */
static inline unsigned char *pattern(size_t n) {
  unsigned char *p = (unsigned char *)malloc(n ? n : 1);
  size_t i;
  if (!p) {
    perror("malloc");
    exit(2);
  }
  for (i = 0; i < n; i++) p[i] = (unsigned char)(i % 251);
  return p;
}

/* Writes `len` bytes to a new temporary file; returns its path (free it). */
static inline char *temp_file_with(const unsigned char *data, size_t len) {
  const char *dir = getenv("TMPDIR");
  char *path = (char *)malloc(4096);
  int fd;
  size_t off = 0;
  snprintf(path, 4096, "%s/oas-test-XXXXXX", dir && dir[0] ? dir : "/tmp");
  fd = mkstemp(path);
  if (fd < 0) {
    perror("mkstemp");
    exit(2);
  }
  while (off < len) {
    ssize_t n = write(fd, data + off, len - off);
    if (n <= 0) {
      perror("write");
      exit(2);
    }
    off += (size_t)n;
  }
  close(fd);
  return path;
}

static inline int finish(const char *name) {
  if (g_failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, g_failures);
    return 1;
  }
  printf("%s: all checks passed\n", name);
  return 0;
}

#endif
