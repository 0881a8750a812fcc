/* scale_transfer: transfers at the protocol's count limits, for bench/scale.sh.
 * Endpoint and credentials as the library finds them (OAS_ENDPOINT,
 * OAS_ACCESS_ID, OAS_ACCESS_KEY, or ~/.oascredentials); vault OAS_BENCH_VAULT
 * (created if missing).
 *
 *   scale_transfer upload FILE PART_MIB     -> "<seconds> <archive id> <parts>"
 *       multipart upload with explicit PART_MIB parts (FILE / PART_MIB parts)
 *   scale_transfer download ARCHIVE OUT RANGE_MIB -> "<seconds> <ranges>"
 *       retrieval job, then oas_job_download_to_file with RANGE_MIB ranges
 *
 * PART_MIB / RANGE_MIB 0 keep the library's defaults (threshold, part size
 * and range plan; the printed count is then 0). Workers: the default, or
 * OAS_BENCH_WORKERS. Only the library call is timed. */
#define _XOPEN_SOURCE 700
#include <oas.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MIB (1024ull * 1024ull)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, oas_result rc) {
  fprintf(stderr, "scale_transfer: %s failed: %s (%u): %s\n", what, oas_result_str(rc),
          (unsigned)rc, oas_error_message(oas_last_error()));
  return 1;
}

int main(int argc, char **argv) {
  oas_client_options o;
  const oas_client *c = NULL;
  oas_vault *v = NULL;
  oas_job *job = NULL;
  char *archive = NULL;
  const char *name = getenv("OAS_BENCH_VAULT");
  oas_result rc;
  double t0;
  int upload = argc == 4 && !strcmp(argv[1], "upload");
  int download = argc == 5 && !strcmp(argv[1], "download");
  uint64_t mib;
  struct stat st;

  if (!upload && !download) {
    fprintf(stderr, "usage: %s upload FILE PART_MIB | download ARCHIVE OUT RANGE_MIB\n", argv[0]);
    return 2;
  }
  mib = strtoull(argv[upload ? 3 : 4], NULL, 10);
  oas_client_options_init(&o, sizeof o);
  if (mib) {
    o.part_size = mib * MIB;
    o.upload_threshold = MIB;
    o.download_range_size = mib * MIB;
  }
  if (getenv("OAS_BENCH_WORKERS")) o.workers = (uint32_t)atoi(getenv("OAS_BENCH_WORKERS"));
  if ((rc = oas_client_new(&o, &c)) != OAS_RESULT_OK) return fail("oas_client_new", rc);
  if ((rc = oas_vault_create(c, name ? name : "liboas-scale", &v)) != OAS_RESULT_OK)
    return fail("oas_vault_create", rc);
  if (upload) {
    if (stat(argv[2], &st) != 0) {
      perror(argv[2]);
      return 1;
    }
    t0 = now();
    rc = oas_vault_upload_archive(v, argv[2], "scale", NULL, &archive);
    if (rc != OAS_RESULT_OK) return fail("oas_vault_upload_archive", rc);
    printf("%.3f %s %llu\n", now() - t0, archive,
           mib ? (unsigned long long)(((uint64_t)st.st_size + mib * MIB - 1) / (mib * MIB)) : 0ull);
    oas_string_free(archive);
  } else {
    rc = oas_vault_retrieve_archive(v, argv[2], "scale", NULL, &job);
    if (rc != OAS_RESULT_OK) return fail("oas_vault_retrieve_archive", rc);
    if ((rc = oas_job_wait(job, 100, 1000, 600000)) != OAS_RESULT_OK) return fail("oas_job_wait", rc);
    t0 = now();
    rc = oas_job_download_to_file(job, argv[3], 0, false, NULL);
    if (rc != OAS_RESULT_OK) return fail("oas_job_download_to_file", rc);
    printf("%.3f %llu\n", now() - t0,
           mib ? (unsigned long long)(((uint64_t)oas_job_archive_size(job) + mib * MIB - 1) /
                                      (mib * MIB))
               : 0ull);
    oas_job_free(job);
  }
  oas_vault_free(v);
  oas_client_free(c);
  return 0;
}
