/* Issue 10, defects 2 and 6: progress can be read from the transfer's own
 * progress callback (oas_job_size_completed there used to deadlock: the
 * download held the job's lock while calling back) and from any thread, and
 * the figures never go backwards, neither during retries (injected resets)
 * nor after a stop and the resume on the same handle. A watchdog alarm turns
 * a hang into a failure. */
#include "emulator_control.h"

#include <signal.h>

#define MIB (1024u * 1024u)

struct watch {
  const oas_uploader *uploader; /* read from the callback, or NULL */
  const oas_job *job;           /* read from the callback, or NULL */
  uint64_t calls, last_done, last_live, stop_at, backwards;
};

static int on_progress(void *userdata, uint64_t done, uint64_t total) {
  struct watch *w = (struct watch *)userdata;
  uint64_t live = 0;
  (void)total;
  if (w->uploader) live = oas_uploader_size_completed(w->uploader);
  if (w->job) live = oas_job_size_completed(w->job); /* deadlocked before the fix */
  if (w->calls > 0 && (done < w->last_done || live < w->last_live)) {
    fprintf(stderr, "progress went back: done %llu -> %llu, live %llu -> %llu\n",
            (unsigned long long)w->last_done, (unsigned long long)done,
            (unsigned long long)w->last_live, (unsigned long long)live);
    w->backwards++;
  }
  w->calls++;
  w->last_done = done;
  w->last_live = live;
  return w->stop_at != 0 && done >= w->stop_at;
}

int main(void) {
  const uint64_t len = 12 * MIB + 5;
  const oas_client *c;
  oas_vault *v = NULL;
  oas_uploader *u = NULL;
  oas_job *job = NULL;
  struct watch w;
  oas_upload_options uo;
  oas_download_options dl;
  char *archive = NULL, *src, *out, name[64], tree[OAS_DIGEST_BUF_LEN], got[OAS_DIGEST_BUF_LEN];
  unsigned char *data = pattern((size_t)len);
  uint64_t after_stop;

  alarm(240); /* a deadlock fails the test instead of hanging it */
  src = temp_file_with(data, (size_t)len);
  out = temp_file_with(data, 0);
  CHECK_OK(oas_etag_compute_buffer(data, (size_t)len, NULL, tree));
  c = emu_client(3, MIB, 2 * MIB);
  snprintf(name, sizeof name, "c-progress-%ld", (long)getpid());
  CHECK_OK(oas_vault_create(c, name, &v));
  if (!v) return finish("test_progress");

  /* Upload: resets in the middle of parts (retried), a stop half-way, then
   * the resume on the same handle. */
  memset(&w, 0, sizeof w);
  CHECK_OK(oas_vault_initiate_uploader(v, src, "progress", NULL, &u));
  w.uploader = u;
  w.stop_at = len / 2;
  emu_set_faults("[{\"op\":\"UploadPart\",\"times\":4,\"action\":\"reset_request\","
                 "\"after_bytes\":600000}]");
  CHECK_OK(oas_upload_options_init(&uo, sizeof uo));
  uo.progress = on_progress;
  uo.userdata = &w;
  CHECK_ERR(oas_uploader_start(u, &uo, &archive), OAS_RESULT_CANCELLED, "");
  after_stop = oas_uploader_size_completed(u);
  CHECK(after_stop >= w.last_done);
  CHECK(w.calls > 0 && w.backwards == 0);
  w.stop_at = 0;
  w.calls = 0;
  w.last_done = after_stop;
  w.last_live = after_stop;
  CHECK_OK(oas_uploader_resume(u, src, &uo, &archive));
  emu_set_faults("[]");
  CHECK(w.calls > 0 && w.backwards == 0);
  CHECK(w.last_done == len && oas_uploader_size_completed(u) == len);
  oas_uploader_free(u);

  /* Download: read progress from the job's own callback, resets of answers
   * in the middle (retried), a stop half-way, the resume. */
  if (archive) {
    CHECK_OK(oas_job_retrieve_archive_reuse(c, oas_vault_id(v), archive, NULL, NULL, &job));
  }
  if (job) {
    CHECK_OK(oas_job_wait(job, 20, 200, 30000));
    CHECK_OK(oas_download_options_init(&dl, sizeof dl));
    dl.range_size = MIB;
    dl.workers = 2;
    memset(&w, 0, sizeof w);
    w.job = job;
    w.stop_at = len / 2;
    dl.progress = on_progress;
    dl.userdata = &w;
    emu_set_faults("[{\"op\":\"GetJobOutput\",\"times\":4,\"action\":\"reset_response\","
                   "\"after_bytes\":700000}]");
    CHECK_ERR(oas_job_download_to_file(job, out, 0, false, &dl), OAS_RESULT_CANCELLED, "");
    after_stop = oas_job_size_completed(job);
    CHECK(after_stop >= w.last_done);
    CHECK(w.calls > 0 && w.backwards == 0);
    w.stop_at = 0;
    w.calls = 0;
    w.last_done = after_stop;
    w.last_live = after_stop;
    CHECK_OK(oas_job_download_to_file(job, out, 0, false, &dl));
    emu_set_faults("[]");
    CHECK(w.calls > 0 && w.backwards == 0);
    CHECK(w.last_done == len && oas_job_size_completed(job) == len);
    CHECK_OK(oas_etag_compute_file(out, 0, OAS_SIZE_TO_END, NULL, got));
    CHECK_STR(got, tree);
    oas_job_free(job);
  }
  if (archive) CHECK_OK(oas_vault_delete_archive(v, archive));
  oas_string_free(archive);
  CHECK_OK(oas_vault_delete(v));
  oas_vault_free(v);
  oas_client_free(c);
  unlink(src);
  unlink(out);
  free(src);
  free(out);
  free(data);
  alarm(0);
  return finish("test_progress");
}
