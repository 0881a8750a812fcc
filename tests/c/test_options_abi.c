/* The options-struct rule (docs/conventions.md, "Options structs"), proved
 * from both sides with structs declared between guard bytes:
 *  - an older, smaller caller: `init` writes only its `size` bytes, and the
 *    calls read only the fields inside `size` (the bytes after it are
 *    garbage that would be refused, or would crash, if read);
 *  - a newer, larger caller: `init` zeroes what this library does not know,
 *    a zero tail is accepted and a non-zero one is refused.
 * Covers oas_client_options, oas_upload_options and oas_download_options
 * against the emulator. */
#include "test_util.h"

#include <stddef.h>
#include <stdint.h>

#define GUARD 0xA5
#define MIB (1024u * 1024u)

/* What a program built against a header with only the first fields saw. */
struct old_client_options {
  uint64_t size;
  const char *endpoint;
  const char *access_id;
  const char *access_key;
};
struct old_upload_options {
  uint64_t size;
  uint64_t part_size;
};
struct old_download_options {
  uint64_t size;
  uint64_t range_size;
};

static struct {
  unsigned char before[32];
  struct old_client_options o;
  unsigned char after[256];
} g_old_client;

static struct {
  unsigned char before[32];
  struct old_upload_options o;
  unsigned char after[256];
} g_old_upload;

static struct {
  unsigned char before[32];
  struct old_download_options o;
  unsigned char after[256];
} g_old_download;

/* A newer header: one field this library does not know. */
static struct new_client {
  oas_client_options o;
  uint64_t future[3];
  unsigned char after[64];
} g_new_client;

static struct {
  oas_upload_options o;
  uint64_t future[2];
} g_new_upload;

static struct {
  oas_download_options o;
  uint64_t future[2];
} g_new_download;

static int all_guard(const unsigned char *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (p[i] != GUARD) return 0;
  return 1;
}

static int all_zero(const void *p, size_t n) {
  const unsigned char *b = (const unsigned char *)p;
  size_t i;
  for (i = 0; i < n; i++)
    if (b[i] != 0) return 0;
  return 1;
}

/* The file at `path` holds exactly data[0..len). */
static int same_bytes(const char *path, const unsigned char *data, size_t len) {
  FILE *f = fopen(path, "rb");
  unsigned char buf[65536];
  size_t n, at = 0;
  int same = f != NULL;
  while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
    same = at + n <= len && memcmp(buf, data + at, n) == 0;
    at += n;
  }
  if (f) fclose(f);
  return same && at == len;
}

static void set_credentials(oas_client_options *o) {
  o->endpoint = getenv("OAS_ENDPOINT");
  o->access_id = getenv("OAS_ACCESS_ID");
  o->access_key = getenv("OAS_ACCESS_KEY");
}

static const oas_client *client_options(void) {
  const oas_client *c = NULL;
  oas_client_options *o;

  /* Older caller: init touches exactly its 32 bytes. */
  memset(&g_old_client, GUARD, sizeof g_old_client);
  o = (oas_client_options *)&g_old_client.o;
  CHECK_OK(oas_client_options_init(o, sizeof g_old_client.o));
  CHECK(all_guard(g_old_client.before, sizeof g_old_client.before));
  CHECK(all_guard(g_old_client.after, sizeof g_old_client.after));
  CHECK(g_old_client.o.size == sizeof g_old_client.o);
  CHECK(g_old_client.o.endpoint == NULL && g_old_client.o.access_key == NULL);
  /* oas_client_new reads only those fields: the guard bytes after them
   * (workers 0xA5A5A5A5, a garbage proxy pointer...) are never looked at. */
  set_credentials(o);
  CHECK_OK(oas_client_new(o, &c));
  CHECK(all_guard(g_old_client.after, sizeof g_old_client.after));
  oas_client_free(c);
  c = NULL;
  /* Fewer bytes than the four first fields: refused, nothing written. */
  memset(&g_old_client, GUARD, sizeof g_old_client);
  CHECK_ERR(oas_client_options_init(o, offsetof(struct old_client_options, access_key)),
            OAS_RESULT_INVALID_ARGUMENT, "oas_client_options_init");
  CHECK(all_guard((const unsigned char *)&g_old_client, sizeof g_old_client));
  CHECK_ERR(oas_client_new(o, &c), OAS_RESULT_INVALID_ARGUMENT, "size");
  CHECK_ERR(oas_client_options_init(NULL, sizeof *o), OAS_RESULT_NULL_ARGUMENT, "`opts`");

  /* Newer caller: init zeroes the unknown tail and records the full size. */
  memset(&g_new_client, GUARD, sizeof g_new_client);
  CHECK_OK(oas_client_options_init(&g_new_client.o, offsetof(struct new_client, after)));
  CHECK(g_new_client.o.size == offsetof(struct new_client, after));
  CHECK(all_zero(g_new_client.future, sizeof g_new_client.future));
  CHECK(all_guard(g_new_client.after, sizeof g_new_client.after));
  CHECK(g_new_client.o.workers == 16 && g_new_client.o.verify_tls != 0);
  set_credentials(&g_new_client.o);
  CHECK_OK(oas_client_new(&g_new_client.o, &c));
  oas_client_free(c);
  c = NULL;
  /* ...but a field this version cannot honour is refused, not ignored. */
  g_new_client.future[1] = 1;
  CHECK_ERR(oas_client_new(&g_new_client.o, &c), OAS_RESULT_INVALID_ARGUMENT, "does not know");
  CHECK(c == NULL);
  g_new_client.future[1] = 0;
  CHECK_OK(oas_client_new(&g_new_client.o, &c));
  return c;
}

static int crash_if_called(void *userdata, uint64_t done, uint64_t total) {
  (void)userdata;
  (void)done;
  (void)total;
  fprintf(stderr, "a progress callback outside the caller's struct was called\n");
  abort();
}

static void transfer_options(const oas_client *c) {
  const size_t len = 3 * MIB + 5;
  unsigned char *data = pattern(len);
  char *src = temp_file_with(data, len), *out = temp_file_with(data, 0);
  char name[64], *archive = NULL;
  oas_vault *v = NULL;
  oas_job *job = NULL;
  oas_uploader *u = NULL;
  oas_upload_options *uo = (oas_upload_options *)&g_old_upload.o;
  oas_download_options *dl = (oas_download_options *)&g_old_download.o;
  struct {
    int (*fn)(void *, uint64_t, uint64_t);
  } poison = {crash_if_called};

  snprintf(name, sizeof name, "c-options-abi-%ld", (long)getpid());
  CHECK_OK(oas_vault_create(c, name, &v));

  /* Older upload caller: {size, part_size}. The guard bytes where a newer
   * struct has `upload_threshold`, `workers` and `progress` hold garbage and
   * a pointer to a function that aborts; none is read. */
  memset(&g_old_upload, GUARD, sizeof g_old_upload);
  CHECK_OK(oas_upload_options_init(uo, sizeof g_old_upload.o));
  CHECK(all_guard(g_old_upload.after, sizeof g_old_upload.after));
  CHECK(g_old_upload.o.size == sizeof g_old_upload.o && g_old_upload.o.part_size == 0);
  memcpy(g_old_upload.after + offsetof(oas_upload_options, progress) - sizeof g_old_upload.o, &poison,
         sizeof poison);
  g_old_upload.o.part_size = MIB;
  CHECK_OK(oas_vault_initiate_uploader(v, src, "abi", uo, &u));
  CHECK(oas_uploader_part_size(u) == MIB); /* the field inside `size` was read */
  CHECK_OK(oas_uploader_start(u, uo, &archive));
  oas_uploader_free(u);
  u = NULL;

  /* Newer upload caller: a zero tail passes, a set one is refused. */
  memset(&g_new_upload, GUARD, sizeof g_new_upload);
  CHECK_OK(oas_upload_options_init(&g_new_upload.o, sizeof g_new_upload));
  CHECK(all_zero(g_new_upload.future, sizeof g_new_upload.future));
  CHECK(g_new_upload.o.size == sizeof g_new_upload && g_new_upload.o.progress == NULL);
  g_new_upload.future[0] = 7;
  CHECK_ERR(oas_vault_initiate_uploader(v, src, NULL, &g_new_upload.o, &u), OAS_RESULT_INVALID_ARGUMENT,
            "does not know");
  CHECK(u == NULL);

  /* Downloads: the same two directions. */
  CHECK_OK(oas_vault_retrieve_archive(v, archive, NULL, NULL, &job));
  memset(&g_old_download, GUARD, sizeof g_old_download);
  CHECK_OK(oas_download_options_init(dl, sizeof g_old_download.o));
  CHECK(all_guard(g_old_download.after, sizeof g_old_download.after));
  memcpy(g_old_download.after + offsetof(oas_download_options, progress) - sizeof g_old_download.o, &poison,
         sizeof poison);
  g_old_download.o.range_size = MIB;
  CHECK_OK(oas_job_download_to_file(job, out, 0, true, dl));
  CHECK(same_bytes(out, data, len));
  g_old_download.o.range_size = MIB + 1; /* read: refused */
  CHECK_ERR(oas_job_download_to_file(job, out, 0, true, dl), OAS_RESULT_INVALID_ARGUMENT, "range_size");
  memset(&g_new_download, GUARD, sizeof g_new_download);
  CHECK_OK(oas_download_options_init(&g_new_download.o, sizeof g_new_download));
  CHECK(all_zero(g_new_download.future, sizeof g_new_download.future));
  CHECK_OK(oas_job_download_to_file(job, out, 0, true, &g_new_download.o));
  g_new_download.future[1] = 1;
  CHECK_ERR(oas_job_download_to_file(job, out, 0, true, &g_new_download.o), OAS_RESULT_INVALID_ARGUMENT,
            "does not know");
  /* A size that cannot be a struct (never initialised) is refused unread. */
  g_new_download.o.size = UINT64_MAX;
  CHECK_ERR(oas_job_download_to_file(job, out, 0, true, &g_new_download.o), OAS_RESULT_INVALID_ARGUMENT,
            "oas_download_options_init");
  g_new_download.o.size = 4;
  CHECK_ERR(oas_job_download_to_file(job, out, 0, true, &g_new_download.o), OAS_RESULT_INVALID_ARGUMENT,
            "oas_download_options_init");
  CHECK_ERR(oas_download_options_init(&g_new_download.o, 4), OAS_RESULT_INVALID_ARGUMENT, "");
  CHECK_ERR(oas_upload_options_init(&g_new_upload.o, 4097), OAS_RESULT_INVALID_ARGUMENT, "");

  oas_job_free(job);
  CHECK_OK(oas_vault_delete_archive(v, archive));
  CHECK_OK(oas_vault_delete(v));
  oas_vault_free(v);
  oas_string_free(archive);
  unlink(src);
  unlink(out);
  free(src);
  free(out);
  free(data);
}

int main(void) {
  const oas_client *c;
  if (!getenv("OAS_ENDPOINT") || !getenv("OAS_ACCESS_ID") || !getenv("OAS_ACCESS_KEY")) {
    fprintf(stderr, "run through tests/c/with_emulator.sh (OAS_ENDPOINT & co. unset)\n");
    return 2;
  }
  c = client_options();
  if (c) transfer_options(c);
  oas_client_free(c);
  return finish("test_options_abi");
}
