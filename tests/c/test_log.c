/* The process-wide log callback: level filtering, userdata, replacement,
 * clearing, and validation of the level integer. */
#include "test_util.h"

typedef struct {
  int calls;
  uint32_t last_level;
  char target[64];
  char message[256];
} log_state;

static void on_log(void *userdata, uint32_t level, const char *target, const char *message) {
  log_state *s = (log_state *)userdata;
  s->calls++;
  s->last_level = level;
  snprintf(s->target, sizeof s->target, "%s", target);
  snprintf(s->message, sizeof s->message, "%s", message);
}

int main(void) {
  log_state st;
  unsigned char *data = pattern(100);
  char *path = temp_file_with(data, 100);
  char etag[OAS_DIGEST_BUF_LEN];
  memset(&st, 0, sizeof st);

  /* Hashing a file logs at DEBUG. */
  CHECK_OK(oas_set_log_callback(on_log, &st, OAS_LOG_DEBUG));
  CHECK_OK(oas_etag_compute_file(path, 0, OAS_SIZE_TO_END, etag, NULL));
  CHECK(st.calls == 1);
  CHECK(st.last_level == OAS_LOG_DEBUG);
  CHECK_STR(st.target, "oas::digest");
  CHECK(strstr(st.message, "hashing") != NULL);

  /* Below the threshold: nothing. */
  CHECK_OK(oas_set_log_callback(on_log, &st, OAS_LOG_INFO));
  CHECK_OK(oas_etag_compute_file(path, 0, OAS_SIZE_TO_END, etag, NULL));
  CHECK(st.calls == 1);

  /* Invalid levels are refused and keep the previous callback. */
  CHECK_ERR(oas_set_log_callback(on_log, &st, 0), OAS_RESULT_INVALID_ARGUMENT, "`level`");
  CHECK_ERR(oas_set_log_callback(on_log, &st, 6), OAS_RESULT_INVALID_ARGUMENT, "`level`");
  CHECK_ERR(oas_set_log_callback(on_log, &st, 0x100 + OAS_LOG_DEBUG), OAS_RESULT_INVALID_ARGUMENT, "`level`");
  CHECK_OK(oas_set_log_callback(on_log, &st, OAS_LOG_TRACE));
  CHECK_OK(oas_etag_compute_file(path, 0, OAS_SIZE_TO_END, etag, NULL));
  CHECK(st.calls == 2);

  /* NULL clears: no more calls. */
  CHECK_OK(oas_set_log_callback(NULL, NULL, 0));
  CHECK_OK(oas_etag_compute_file(path, 0, OAS_SIZE_TO_END, etag, NULL));
  CHECK(st.calls == 2);

  unlink(path);
  free(path);
  free(data);
  return finish("test_log");
}
