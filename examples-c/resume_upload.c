/* resume_upload: a multipart upload interrupted half-way and finished later,
 * possibly by another process, from nothing but its upload id.
 *
 *   (service from ~/.oascredentials or OAS_ENDPOINT & co., as quickstart)
 *   resume_upload [--vault NAME] [--size BYTES] [--part-mib N] [FILE]
 *
 * 1. starts a multipart upload with small parts (--part-mib, default 1 MiB,
 *    so it runs quickly on the emulator; the real service wants >= 32 MiB),
 * 2. stops it from the progress callback once half the bytes are sent (a
 *    non-zero return: the call fails with OAS_RESULT_CANCELLED and the upload
 *    stays on the server),
 * 3. recovers the uploader by its id and resumes: the parts the server holds
 *    are re-hashed from the file and only the rest are sent,
 * 4. prints the archive id and checks the archive's tree etag against the
 *    file's (oas_etag_compute_file). The C API has no archive-metadata call,
 *    so the etag comes from a retrieval job's description (ArchiveTreeEtag),
 *    reusing a live job for the archive when there is one.
 *
 * Without FILE it uploads a generated file of --size bytes (default 8 MiB + 123).
 *
 * ctest: EMULATOR emulator ARGS --vault example-resume --size 6291579
 */
#include "example_util.h"

int main(int argc, char **argv) {
  ex_args args = {"liboas-resume", NULL, 8 * 1048576 + 123, 1, 0, {0}};
  char upload_id[128], tree[OAS_DIGEST_BUF_LEN];
  oas_upload_options upload;
  const oas_client *client = NULL;
  oas_vault *vault = NULL;
  oas_uploader *uploader = NULL, *recovered = NULL;
  oas_job *job = NULL;
  char *archive_id = NULL;
  ex_progress progress;
  oas_result rc;
  int status = 1;

  /* Results on stdout stay in order with the progress on stderr, even when
   * stdout is a pipe (scripts/demo.sh tees it). */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if ((status = ex_parse_args(argc, argv, &args)) != 0) return status;
  status = 1;
  if (!(client = ex_client_from_env(NULL))) goto out;
  rc = oas_vault_create(client, args.vault, &vault);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_vault_create", rc);
    goto out;
  }

  /* Small parts and two workers for this upload only (the client keeps its
   * defaults); the progress callback is attached the same way. */
  oas_upload_options_init(&upload, sizeof upload);
  upload.part_size = args.part_mib * 1048576;
  upload.workers = 2;
  upload.progress = ex_progress_cb;
  upload.userdata = &progress;

  /* 1-2: start, and stop half-way from the callback. */
  rc = oas_vault_initiate_uploader(vault, args.path, "liboas resume example", &upload, &uploader);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_vault_initiate_uploader", rc);
    goto out;
  }
  /* Save the id: it is all a later process needs to continue. */
  snprintf(upload_id, sizeof upload_id, "%s", oas_uploader_id(uploader));
  printf("multipart upload %s: %" PRIu64 " bytes in parts of %" PRIu64 " bytes\n", upload_id,
         oas_uploader_size_total(uploader), oas_uploader_part_size(uploader));
  ex_progress_init(&progress, "upload");
  progress.stop_at = oas_uploader_size_total(uploader) / 2;
  rc = oas_uploader_start(uploader, &upload, &archive_id);
  fputc('\n', stderr);
  if (rc != OAS_RESULT_CANCELLED) {
    /* OK would mean the stop was ignored; anything else is a real error. */
    if (rc == OAS_RESULT_OK) fprintf(stderr, "error: the upload did not stop when asked\n");
    else ex_fail("oas_uploader_start", rc);
    goto out;
  }
  printf("stopped from the progress callback at %" PRIu64 " of %" PRIu64 " bytes (%s)\n",
         oas_uploader_size_completed(uploader), oas_uploader_size_total(uploader),
         oas_result_str(rc));
  oas_uploader_free(uploader);
  uploader = NULL;

  /* 3: recover by id and resume. */
  rc = oas_vault_recover_uploader(vault, upload_id, &recovered);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_vault_recover_uploader", rc);
    goto out;
  }
  printf("recovered upload %s (created %s); resuming\n", oas_uploader_id(recovered),
         oas_uploader_creation_date(recovered));
  ex_progress_init(&progress, "resume");
  rc = oas_uploader_resume(recovered, args.path, &upload, &archive_id);
  if (rc != OAS_RESULT_OK) {
    fputc('\n', stderr);
    ex_fail("oas_uploader_resume", rc);
    goto out;
  }
  ex_progress_end(&progress);

  /* 4: the archive's tree etag must be the file's. */
  rc = oas_etag_compute_file(args.path, 0, OAS_SIZE_TO_END, NULL, tree);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_etag_compute_file", rc);
    goto out;
  }
  rc = oas_job_retrieve_archive_reuse(client, oas_vault_id(vault), archive_id,
                                      "resume example: archive tree etag", NULL, &job);
  if (rc != OAS_RESULT_OK) {
    ex_fail("oas_job_retrieve_archive_reuse", rc);
    goto out;
  }
  printf("local tree etag   %s\narchive tree etag %s\n", tree, oas_job_etag(job));
  if (strcmp(tree, oas_job_etag(job)) != 0) {
    fprintf(stderr, "error: the archive's tree etag differs from the file's\n");
    goto out;
  }
  printf("archive id: %s\n", archive_id);
  status = 0;

out:
  ex_args_done(&args);
  oas_job_free(job);
  oas_string_free(archive_id);
  oas_uploader_free(recovered);
  oas_uploader_free(uploader);
  oas_vault_free(vault);
  oas_client_free(client);
  return status;
}
