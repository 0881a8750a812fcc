/* A C client against an emulator whose clock runs 20 minutes ahead
 * (fixture emulator_skew, `--clock-offset 1200`): the first request is
 * refused with RequestTimeTooSkewed, retried once with the server's time
 * from the answer's Date, and the offset is kept for the client's later
 * requests (plain, a multipart upload, a job and its download), with one
 * WARN line naming RequestTimeTooSkewed. Without the correction every call
 * here fails with OAS_RESULT_SERVER. */
#include "emulator_control.h"

#include <pthread.h>

static pthread_mutex_t g_log_mutex = PTHREAD_MUTEX_INITIALIZER;
static int g_skew_warnings = 0;

static void log_cb(void *userdata, uint32_t level, const char *target, const char *message) {
  (void)userdata;
  (void)target;
  pthread_mutex_lock(&g_log_mutex);
  if (level == OAS_LOG_WARN && strstr(message, "RequestTimeTooSkewed") != NULL) g_skew_warnings++;
  pthread_mutex_unlock(&g_log_mutex);
}

int main(void) {
  const oas_client *c;
  oas_vault *v = NULL;
  oas_vault_list *list = NULL;
  oas_job *job = NULL;
  char *id = NULL, *path, *out_path;
  const size_t n = 3 * 1024 * 1024 + 5; /* 4 parts of 1 MiB */
  unsigned char *data = pattern(n);
  FILE *f;
  int warnings;

  CHECK_OK(oas_set_log_callback(log_cb, NULL, OAS_LOG_WARN));
  c = emu_client(2, 1024 * 1024, 1024 * 1024);
  emu_reset_stats();

  CHECK_OK(oas_vault_create(c, "c-skewed", &v));
  /* Refused once, corrected, retried; the describe after it was signed right. */
  CHECK(emu_count("CreateVault") == 2);
  CHECK(emu_count("DescribeVault") == 1);

  CHECK_OK(oas_vault_list_all(c, &list));
  CHECK(emu_count("ListVaults") == 1);
  oas_vault_list_free(list);

  path = temp_file_with(data, n);
  CHECK_OK(oas_vault_upload_archive(v, path, "skewed", NULL, &id));
  CHECK(emu_count("InitiateMultipartUpload") == 1);
  CHECK(emu_count("UploadPart") == 4);
  if (id) {
    out_path = temp_file_with(data, 0);
    CHECK_OK(oas_vault_retrieve_archive(v, id, NULL, NULL, &job));
    CHECK_OK(oas_job_wait(job, 10, 100, 30000));
    CHECK_OK(oas_job_download_to_file(job, out_path, 0, true, NULL));
    f = fopen(out_path, "rb");
    CHECK(f != NULL);
    if (f) {
      unsigned char *back = (unsigned char *)malloc(n + 1);
      CHECK(fread(back, 1, n + 1, f) == n && memcmp(back, data, n) == 0);
      free(back);
      fclose(f);
    }
    CHECK_OK(oas_vault_delete_archive(v, id));
    oas_job_free(job);
    oas_string_free(id);
    remove(out_path);
    free(out_path);
  }
  CHECK_OK(oas_vault_delete(v));

  CHECK_OK(oas_set_log_callback(NULL, NULL, 0));
  pthread_mutex_lock(&g_log_mutex);
  warnings = g_skew_warnings;
  pthread_mutex_unlock(&g_log_mutex);
  if (warnings != 1) fprintf(stderr, "%d RequestTimeTooSkewed warnings, expected 1\n", warnings);
  CHECK(warnings == 1);

  remove(path);
  free(path);
  free(data);
  oas_vault_free(v);
  oas_client_free(c);
  return finish("test_clock_skew");
}
