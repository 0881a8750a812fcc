/* transfer_bench: one timed library operation against an OAS endpoint, for
 * bench/run.sh. The client uses the default options (oas_client_options_init)
 * apart from the endpoint and credentials, which the library finds (OAS_ENDPOINT,
 * OAS_ACCESS_ID and OAS_ACCESS_KEY, or ~/.oascredentials: README,
 * "Configuration"); the vault is OAS_BENCH_VAULT (created if missing).
 *
 *   transfer_bench upload FILE          -> "<seconds> <archive id>"
 *   transfer_bench download ARCHIVE OUT -> "<seconds> <job id>"
 *       (starts a retrieval job, waits for it untimed, then times
 *        oas_job_download_to_file)
 *   transfer_bench wait ARCHIVE         -> "<seconds> <job id>"
 *       (starts a retrieval job and times oas_job_wait with the default
 *        intervals)
 *   transfer_bench delete ARCHIVE       -> deletes the archive
 *
 * Only the library call named is timed (CLOCK_MONOTONIC); peak RSS is taken
 * by the caller from /usr/bin/time -v around the whole process. */
#define _XOPEN_SOURCE 700
#include <oas.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, oas_result rc) {
  const oas_error *e = oas_last_error();
  fprintf(stderr, "transfer_bench: %s failed: %s (%u)%s%s\n", what, oas_result_str(rc),
          (unsigned)rc, e ? ": " : "", e ? oas_error_message(e) : "");
  return 1;
}

static int usage(const char *prog) {
  fprintf(stderr, "usage: %s upload FILE | download ARCHIVE OUT | wait ARCHIVE | delete ARCHIVE\n",
          prog);
  return 2;
}

static int run(oas_vault *vault, int argc, char **argv) {
  const char *mode = argv[1];
  oas_job *job = NULL;
  char *archive = NULL;
  oas_result rc;
  double t0;
  int status = 1;

  if (!strcmp(mode, "upload") && argc == 3) {
    t0 = now();
    rc = oas_vault_upload_archive(vault, argv[2], "bench", NULL, &archive);
    if (rc != OAS_RESULT_OK) return fail("oas_vault_upload_archive", rc);
    printf("%.3f %s\n", now() - t0, archive);
    oas_string_free(archive);
    return 0;
  }
  if (!strcmp(mode, "delete") && argc == 3) {
    rc = oas_vault_delete_archive(vault, argv[2]);
    return rc == OAS_RESULT_OK ? 0 : fail("oas_vault_delete_archive", rc);
  }
  if ((!strcmp(mode, "download") && argc == 4) || (!strcmp(mode, "wait") && argc == 3)) {
    rc = oas_vault_retrieve_archive(vault, argv[2], "bench", NULL, &job);
    if (rc != OAS_RESULT_OK) return fail("oas_vault_retrieve_archive", rc);
    if (!strcmp(mode, "wait")) {
      t0 = now();
      rc = oas_job_wait(job, 0, 0, 0); /* the library's default intervals */
      if (rc != OAS_RESULT_OK) {
        fail("oas_job_wait", rc);
        goto out;
      }
    } else {
      /* Untimed: the transfer emulator runs jobs without delay. */
      if ((rc = oas_job_wait(job, 100, 1000, 60000)) != OAS_RESULT_OK) {
        fail("oas_job_wait", rc);
        goto out;
      }
      t0 = now();
      rc = oas_job_download_to_file(job, argv[3], 0, false, NULL);
      if (rc != OAS_RESULT_OK) {
        fail("oas_job_download_to_file", rc);
        goto out;
      }
    }
    printf("%.3f %s\n", now() - t0, oas_job_id(job));
    status = 0;
  out:
    oas_job_free(job);
    return status;
  }
  return usage(argv[0]);
}

int main(int argc, char **argv) {
  const char *vault_name = getenv("OAS_BENCH_VAULT");
  oas_client_options opts;
  const oas_client *client = NULL;
  oas_vault *vault = NULL;
  oas_result rc;
  int status;

  if (argc < 2) return usage(argv[0]);
  /* Endpoint and credentials left NULL: the library resolves them. */
  oas_client_options_init(&opts, sizeof opts);
  if ((rc = oas_client_new(&opts, &client)) != OAS_RESULT_OK) return fail("oas_client_new", rc);
  rc = oas_vault_create(client, vault_name && *vault_name ? vault_name : "liboas-bench", &vault);
  if (rc != OAS_RESULT_OK) {
    oas_client_free(client);
    return fail("oas_vault_create", rc);
  }
  status = run(vault, argc, argv);
  oas_vault_free(vault);
  oas_client_free(client);
  return status;
}
