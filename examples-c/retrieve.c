/* retrieve: get an archive back. Starts a retrieval job (or reuses a running
 * or finished one for the same archive, so a restarted program does not pay
 * twice), waits for it with a status line, downloads the output with a
 * progress bar (parallel ranges, verified, resumable through `<OUT>.oas`) and
 * checks it against the original file when there is one.
 *
 *   (service from ~/.oascredentials or OAS_ENDPOINT & co., as quickstart)
 *   retrieve [--vault NAME] [--archive ID] [--source FILE] [--out PATH] [--size BYTES]
 *
 * Without --archive it first uploads a generated file of --size bytes
 * (default 5 MB) to the vault and retrieves that, so it runs on its own.
 * Without --out the download goes to a temporary file removed at the end.
 * Real jobs take hours: interrupt and run again, and the same job is reused
 * and the download continues where it stopped.
 *
 * ctest: EMULATOR emulator_slow_jobs ARGS --vault example-retrieve --size 5000003
 */
#include "example_util.h"

/* Waits for the job, polling at growing intervals (1 s doubling to 5 min)
 * while redrawing a status line every second. */
static oas_result wait_visibly(oas_job *job) {
  double started = ex_now(), next_poll = 0;
  long interval_s = 1;
  oas_result rc;
  for (;;) {
    double now = ex_now();
    if (now >= next_poll) {
      if ((rc = oas_job_update_status(job)) != OAS_RESULT_OK) return rc;
      if (oas_job_completed(job)) break;
      next_poll = now + (double)interval_s;
      interval_s = interval_s * 2 > 300 ? 300 : interval_s * 2;
    }
    fprintf(stderr, "\rjob %s: %s, %.0f s elapsed, next check in %.0f s   ", oas_job_id(job),
            oas_job_status_code(job), now - started, next_poll - now);
    fflush(stderr);
    ex_sleep_ms(1000);
  }
  fprintf(stderr, "\rjob %s: %s after %.0f s%30s\n", oas_job_id(job), oas_job_status_code(job),
          ex_now() - started, "");
  return oas_job_outcome(job); /* OK, or JOB_FAILED with the status message */
}

/* Compares both digests of the download with the source file's. */
static int verify(const char *out, const char *source, const oas_job *job) {
  char out_etag[OAS_DIGEST_BUF_LEN], out_tree[OAS_DIGEST_BUF_LEN];
  char src_etag[OAS_DIGEST_BUF_LEN], src_tree[OAS_DIGEST_BUF_LEN];
  oas_result rc = oas_etag_compute_file(out, 0, OAS_SIZE_TO_END, out_etag, out_tree);
  if (rc != OAS_RESULT_OK) return ex_fail("oas_etag_compute_file (download)", rc);
  printf("download: etag %s, tree etag %s\n", out_etag, out_tree);
  /* The library already checked the tree etag; this shows it to the user. */
  if (oas_job_tree_etag(job)[0] && strcmp(oas_job_tree_etag(job), out_tree) != 0) {
    fprintf(stderr, "error: tree etag differs from the job's %s\n", oas_job_tree_etag(job));
    return 1;
  }
  if (!source) return 0;
  rc = oas_etag_compute_file(source, 0, OAS_SIZE_TO_END, src_etag, src_tree);
  if (rc != OAS_RESULT_OK) return ex_fail("oas_etag_compute_file (source)", rc);
  printf("source:   etag %s, tree etag %s\n", src_etag, src_tree);
  if (strcmp(out_etag, src_etag) != 0 || strcmp(out_tree, src_tree) != 0) {
    fprintf(stderr, "error: the download differs from %s\n", source);
    return 1;
  }
  printf("verified: the download matches %s\n", source);
  return 0;
}

int main(int argc, char **argv) {
  const char *vault_name = "liboas-retrieve", *archive = NULL, *source = NULL, *out = NULL;
  uint64_t size = 5000000;
  char generated[4096], tmp_out[4096], journal[4200];
  const oas_client *client = NULL;
  oas_vault *vault = NULL;
  oas_job *job = NULL;
  char *uploaded = NULL;
  ex_progress progress;
  oas_upload_options upload;
  oas_download_options download;
  oas_result rc;
  size_t i;
  int status = 1, fd;

  /* Results on stdout stay in order with the progress on stderr, even when
   * stdout is a pipe (scripts/demo.sh tees it). */
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (i = 1; i < (size_t)argc; i++) {
    const char *arg = argv[i], *val = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
    if (val && !strcmp(arg, "--vault")) vault_name = val;
    else if (val && !strcmp(arg, "--archive")) archive = val;
    else if (val && !strcmp(arg, "--source")) source = val;
    else if (val && !strcmp(arg, "--out")) out = val;
    else if (val && !strcmp(arg, "--size")) size = strtoull(val, NULL, 10);
    else {
      fprintf(stderr,
              "usage: %s [--vault NAME] [--archive ID] [--source FILE] [--out PATH] "
              "[--size BYTES]\n",
              argv[0]);
      return 2;
    }
    i++;
  }
  tmp_out[0] = generated[0] = 0;
  if (!(client = ex_client_from_env(NULL))) return 1;
  rc = oas_vault_create(client, vault_name, &vault);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_vault_create", rc);
    goto out;
  }

  if (!archive) {
    if (ex_generate_file(size, generated, sizeof generated) != 0) goto out;
    source = generated;
    ex_progress_init(&progress, "upload");
    oas_upload_options_init(&upload, sizeof upload);
    upload.progress = ex_progress_cb;
    upload.userdata = &progress;
    rc = oas_vault_upload_archive(vault, source, "liboas retrieve example", &upload, &uploaded);
    if (rc != OAS_RESULT_OK) {
      ex_fail("oas_vault_upload_archive", rc);
      goto out;
    }
    ex_progress_end(&progress);
    archive = uploaded;
    printf("uploaded archive %s\n", archive);
  }

  rc = oas_job_retrieve_archive_reuse(client, oas_vault_id(vault), archive,
                                      "liboas retrieve example", NULL, &job);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_job_retrieve_archive_reuse", rc);
    goto out;
  }
  printf("retrieval job %s (created %s) for archive %s\n", oas_job_id(job),
         oas_job_creation_date(job), archive);
  if ((rc = wait_visibly(job)) != OAS_RESULT_OK) {
    ex_fail("waiting for the job", rc);
    goto out;
  }
  printf("job %s: %s, %" PRId64 " bytes ready\n", oas_job_id(job), oas_job_status_message(job),
         oas_job_archive_size(job));

  if (!out) {
    const char *dir = getenv("TMPDIR");
    snprintf(tmp_out, sizeof tmp_out, "%s/oas-retrieved-XXXXXX", dir && dir[0] ? dir : "/tmp");
    if ((fd = mkstemp(tmp_out)) < 0) {
      perror("creating the output file");
      goto out;
    }
    close(fd);
    out = tmp_out;
  }
  ex_progress_init(&progress, "download");
  oas_download_options_init(&download, sizeof download);
  download.progress = ex_progress_cb;
  download.userdata = &progress;
  rc = oas_job_download_to_file(job, out, 0, false, &download);
  if (rc != OAS_RESULT_OK) {
    fputc('\n', stderr);
    ex_fail("oas_job_download_to_file", rc);
    snprintf(journal, sizeof journal, "%s.oas", out);
    if (access(journal, F_OK) == 0) fprintf(stderr, "run again to resume from %s\n", journal);
    goto out;
  }
  ex_progress_end(&progress);
  printf("downloaded %s\n", out);
  status = verify(out, source, job);

out:
  if (tmp_out[0]) remove(tmp_out);
  if (generated[0]) remove(generated);
  oas_job_free(job);
  oas_string_free(uploaded);
  oas_vault_free(vault);
  oas_client_free(client);
  return status;
}
