/* Issue 10, defect 1: the library must never raise SIGPIPE in its host.
 * This program keeps the DEFAULT disposition (SIGPIPE kills it, exit 141)
 * with SIGPIPE unblocked, then makes the server close connections under the
 * library's writes: early 500 answers to parts the server has not read
 * (8 workers), resets in the middle of part bodies, and on the download side
 * resets and truncated answers (the next request then goes out on a dead
 * pooled connection). Every transfer must still succeed (retries) and the
 * process must survive. Options: --part-mib N --parts N (sizes; smaller under
 * valgrind). See src/client/nosigpipe.rs for the design. */
#include "emulator_control.h"

#include <signal.h>

#define MIB (1024u * 1024u)

int main(int argc, char **argv) {
  uint64_t part_mib = 4, parts = 8, len;
  const oas_client *c;
  oas_vault *v = NULL;
  oas_job *job = NULL;
  char *archives[2] = {NULL, NULL}, *src, *out;
  char name[64], tree[OAS_DIGEST_BUF_LEN], out_tree[OAS_DIGEST_BUF_LEN];
  unsigned char *data;
  sigset_t none;
  int i, round;

  for (i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--part-mib") == 0) part_mib = strtoull(argv[i + 1], NULL, 10);
    if (strcmp(argv[i], "--parts") == 0) parts = strtoull(argv[i + 1], NULL, 10);
  }
  /* The host's setup the library must live with: default action, unblocked. */
  signal(SIGPIPE, SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  len = part_mib * MIB * parts - 12345; /* a short last part */
  data = pattern((size_t)len);
  src = temp_file_with(data, (size_t)len);
  out = temp_file_with(data, 0);
  CHECK_OK(oas_etag_compute_buffer(data, (size_t)len, NULL, tree));

  c = emu_client(8, part_mib * MIB, 2 * MIB);
  snprintf(name, sizeof name, "c-sigpipe-%ld", (long)getpid());
  CHECK_OK(oas_vault_create(c, name, &v));

  for (round = 0; round < 2 && v; round++) {
    /* Round 0: early answers to unread bodies; round 1: resets mid-body. */
    emu_set_faults(round == 0
                       ? "[{\"op\":\"UploadPart\",\"times\":8,\"action\":\"error\",\"status\":500,"
                         "\"code\":\"InternalError\"}]"
                       : "[{\"op\":\"UploadPart\",\"times\":6,\"action\":\"reset_request\","
                         "\"after_bytes\":100000}]");
    CHECK_OK(oas_vault_upload_archive(v, src, "sigpipe", NULL, &archives[round]));
  }
  emu_set_faults("[]");
  if (archives[0]) {
    CHECK_OK(oas_job_retrieve_archive_reuse(c, oas_vault_id(v), archives[0], NULL, NULL, &job));
  }
  if (job) {
    CHECK_OK(oas_job_wait(job, 20, 200, 30000));
    oas_download_options dl;
    CHECK_OK(oas_download_options_init(&dl, sizeof dl));
    dl.range_size = MIB;
    dl.workers = 8;
    emu_set_faults("[{\"op\":\"GetJobOutput\",\"times\":4,\"action\":\"reset_response\","
                   "\"after_bytes\":50000},"
                   "{\"op\":\"GetJobOutput\",\"times\":3,\"action\":\"truncate\",\"after_bytes\":1000},"
                   "{\"op\":\"GetJobOutput\",\"times\":3,\"action\":\"error\",\"status\":503,"
                   "\"code\":\"ServiceUnavailable\"}]");
    CHECK_OK(oas_job_download_to_file(job, out, 0, false, &dl));
    emu_set_faults("[]");
    CHECK_OK(oas_etag_compute_file(out, 0, OAS_SIZE_TO_END, NULL, out_tree));
    CHECK_STR(out_tree, tree);
    oas_job_free(job);
  }
  for (round = 0; round < 2; round++) {
    if (archives[round]) CHECK_OK(oas_vault_delete_archive(v, archives[round]));
    oas_string_free(archives[round]);
  }
  if (v) CHECK_OK(oas_vault_delete(v));
  oas_vault_free(v);
  oas_client_free(c);
  unlink(src);
  unlink(out);
  free(src);
  free(out);
  free(data);
  return finish("test_sigpipe");
}
