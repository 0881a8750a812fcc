/* Configuration for real accounts, from C: region endpoints; a client whose
 * options leave the endpoint and credentials unset finds them in the oascmd
 * credentials file of a temporary HOME (and its osshost serves OSS jobs);
 * without any source the error names every source tried; explicit options win;
 * the 11th vault is OAS_RESULT_QUOTA_EXCEEDED; uploads from a read callback and
 * downloads to a write callback. Runs with the `emulator` fixture
 * (tests/c/with_emulator.sh), whose OAS_* variables it unsets first. */
#include "emulator_control.h"

#include <errno.h>
#include <sys/stat.h>

static void regions(void) {
  char *ep = NULL;
  CHECK_OK(oas_region_endpoint("cn-hangzhou", false, false, &ep));
  CHECK_STR(ep, "http://cn-hangzhou.oas.aliyuncs.com");
  oas_string_free(ep);
  ep = NULL;
  CHECK_OK(oas_region_endpoint("cn-qingdao", true, true, &ep));
  CHECK_STR(ep, "https://cn-qingdao.oas-internal.aliyuncs.com");
  oas_string_free(ep);
  ep = NULL;
  CHECK_ERR(oas_region_endpoint("Not A Region", false, false, &ep), OAS_RESULT_INVALID_ARGUMENT,
            "region");
  CHECK(ep == NULL);
  CHECK_ERR(oas_region_endpoint(NULL, false, false, &ep), OAS_RESULT_NULL_ARGUMENT, "`region`");
  CHECK_ERR(oas_region_endpoint("cn-hangzhou", false, false, NULL), OAS_RESULT_NULL_ARGUMENT,
            "`endpoint_out`");
}

/* Writes HOME/.oascredentials for the emulator at `endpoint` (http://H:P). */
static void write_credentials(const char *home, const char *endpoint, const char *key) {
  char path[512];
  const char *hostport = endpoint + strlen("http://");
  const char *colon = strrchr(hostport, ':');
  FILE *f;
  snprintf(path, sizeof path, "%s/.oascredentials", home);
  f = fopen(path, "w");
  CHECK(f != NULL);
  if (!f) return;
  fprintf(f, "[OASCredentials]\nhost = %.*s\nport = %s\naccessid = OASEMULATORTESTID\n"
             "accesskey = %s\nosshost = oss-test-internal.example\n",
          (int)(colon - hostport), hostport, colon + 1, key);
  fclose(f);
  chmod(path, 0600);
}

static const oas_client *client_from(const char *endpoint, const char *id, const char *key,
                                     oas_result expect, const char *needle) {
  oas_client_options o;
  const oas_client *c = NULL;
  CHECK_OK(oas_client_options_init(&o, sizeof o));
  o.endpoint = endpoint;
  o.access_id = id;
  o.access_key = key;
  if (expect == OAS_RESULT_OK) {
    CHECK_OK(oas_client_new(&o, &c));
  } else {
    CHECK_ERR(oas_client_new(&o, &c), expect, needle);
    CHECK(c == NULL);
  }
  return c;
}

struct reader {
  const unsigned char *data;
  size_t len, off;
  int calls;
};

static int64_t read_cb(void *userdata, uint8_t *buf, size_t len) {
  struct reader *r = (struct reader *)userdata;
  size_t n = r->len - r->off;
  r->calls++;
  if (n > len) n = len;
  if (n > 4099) n = 4099; /* short reads, as a pipe gives */
  memcpy(buf, r->data + r->off, n);
  r->off += n;
  return (int64_t)n;
}

static int64_t failing_read_cb(void *userdata, uint8_t *buf, size_t len) {
  (void)userdata;
  (void)buf;
  (void)len;
  return -1;
}

struct writer {
  unsigned char *data;
  size_t len, cap;
  int stop_after;
};

static int write_cb(void *userdata, const uint8_t *buf, size_t len) {
  struct writer *w = (struct writer *)userdata;
  if (w->stop_after > 0 && --w->stop_after == 0) return 1;
  if (w->len + len > w->cap) return 1;
  memcpy(w->data + w->len, buf, len);
  w->len += len;
  return 0;
}

static void streams(const oas_client *client) {
  oas_vault *v = NULL;
  oas_job *job = NULL;
  oas_upload_options uo;
  char *id = NULL;
  const size_t n = 3 * 1024 * 1024 + 17; /* multipart with 1 MiB parts */
  unsigned char *data = pattern(n);
  struct reader r = {data, n, 0, 0};
  struct writer w = {NULL, 0, 0, 0};
  oas_byte_range range = {1024 * 1024, 2 * 1024 * 1024 - 1};

  CHECK_OK(oas_vault_create(client, "c-streams", &v));
  CHECK_OK(oas_upload_options_init(&uo, sizeof uo));
  uo.part_size = 1024 * 1024;
  CHECK_OK(oas_vault_upload_callback(v, read_cb, &r, "from a callback", &uo, &id));
  CHECK(r.off == n && r.calls > 1);
  CHECK_ERR(oas_vault_upload_callback(v, failing_read_cb, NULL, NULL, &uo, &id), OAS_RESULT_IO,
            "read callback");
  CHECK_ERR(oas_vault_upload_callback(v, NULL, NULL, NULL, &uo, &id), OAS_RESULT_NULL_ARGUMENT,
            "`read`");

  if (id) {
    CHECK_OK(oas_vault_retrieve_archive(v, id, NULL, NULL, &job));
    w.data = (unsigned char *)malloc(n);
    w.cap = n;
    /* The whole output, verified before it reaches the callback. */
    CHECK_OK(oas_job_download_to_callback(job, NULL, write_cb, &w, 0, true, NULL));
    CHECK(w.len == n && memcmp(w.data, data, n) == 0);
    /* A range. */
    w.len = 0;
    CHECK_OK(oas_job_download_to_callback(job, &range, write_cb, &w, 0, true, NULL));
    CHECK(w.len == 1024 * 1024 && memcmp(w.data, data + range.start, w.len) == 0);
    /* A callback that stops the download. */
    w.len = 0;
    w.stop_after = 1;
    CHECK_ERR(oas_job_download_to_callback(job, NULL, write_cb, &w, 0, true, NULL),
              OAS_RESULT_CANCELLED, "");
    CHECK_ERR(oas_job_download_to_callback(job, NULL, NULL, &w, 0, true, NULL),
              OAS_RESULT_NULL_ARGUMENT, "`write`");
    oas_job_free(job);
    oas_string_free(id);
  }
  free(w.data);
  free(data);
  oas_vault_free(v);
}

int main(void) {
  char home[] = "/tmp/oas-config-home-XXXXXX";
  char endpoint[256];
  const oas_client *c;
  const char *ep = getenv("OAS_ENDPOINT");
  int i;

  regions();
  if (!ep || !mkdtemp(home)) {
    fprintf(stderr, "needs OAS_ENDPOINT and a temp dir\n");
    return 2;
  }
  snprintf(endpoint, sizeof endpoint, "%s", ep);
  unsetenv("OAS_ENDPOINT");
  unsetenv("OAS_ACCESS_ID");
  unsetenv("OAS_ACCESS_KEY");
  unsetenv("OAS_REGION");
  unsetenv("OAS_CREDENTIALS_FILE");
  unsetenv("ALIBABA_CLOUD_ACCESS_KEY_ID");
  unsetenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  setenv("HOME", home, 1);

  /* No source at all: the error names each. */
  client_from(NULL, NULL, NULL, OAS_RESULT_INVALID_ARGUMENT, "ALIBABA_CLOUD_ACCESS_KEY");
  client_from(NULL, "", "", OAS_RESULT_INVALID_ARGUMENT, ".oascredentials: not found");

  /* The credentials file completes the options. */
  write_credentials(home, endpoint, "OASEmulatorTestSecret000000000000");
  c = client_from(NULL, NULL, NULL, OAS_RESULT_OK, "");
  if (c) {
    oas_vault_list *list = NULL;
    CHECK_OK(oas_vault_list_all(c, &list));
    oas_vault_list_free(list);
    streams(c);
    /* The vault quota of the emulator (10): this test's vault plus 9 more fill it. */
    for (i = 0; i < 9; i++) {
      char name[32];
      oas_vault *v = NULL;
      snprintf(name, sizeof name, "c-quota-%d", i);
      CHECK_OK(oas_vault_create(c, name, &v));
      oas_vault_free(v);
    }
    {
      oas_vault *v = NULL;
      const oas_error *e;
      CHECK_ERR(oas_vault_create(c, "c-quota-extra", &v), OAS_RESULT_QUOTA_EXCEEDED,
                "10 vaults per account and region");
      e = oas_last_error();
      CHECK(oas_error_http_status(e) == 403);
      CHECK_STR(oas_error_server_code(e), "TooManyVaults");
      CHECK(v == NULL);
    }
    oas_client_free(c);
  }

  /* Explicit options win: a wrong explicit key is used, and refused. */
  c = client_from(NULL, NULL, "a-wrong-secret-0000000000000000000", OAS_RESULT_OK, "");
  if (c) {
    oas_vault_list *list = NULL;
    CHECK_ERR(oas_vault_list_all(c, &list), OAS_RESULT_SERVER, "SignatureDoesNotMatch");
    oas_client_free(c);
  }

  {
    char path[512];
    snprintf(path, sizeof path, "%s/.oascredentials", home);
    remove(path);
    rmdir(home);
  }
  if (g_failures) {
    fprintf(stderr, "%d check(s) failed\n", g_failures);
    return 1;
  }
  printf("test_config: all checks passed\n");
  return 0;
}
