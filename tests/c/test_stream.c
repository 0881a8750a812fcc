/* The streaming hasher: odd chunk sizes, each digest alone, reuse after
 * finish, zero-length updates, agreement with the one-shot call. */
#include "test_util.h"

static void one_shot(const unsigned char *data, size_t len, char *etag, char *tree) {
  CHECK_OK(oas_etag_compute_buffer(data, len, etag, tree));
}

/* Feeds `data` cycling through `chunks` and compares with the one-shot call. */
static void stream_in(const unsigned char *data, size_t len, const size_t *chunks, size_t n_chunks) {
  char want_etag[OAS_DIGEST_BUF_LEN], want_tree[OAS_DIGEST_BUF_LEN];
  char etag[OAS_DIGEST_BUF_LEN], tree[OAS_DIGEST_BUF_LEN];
  oas_etag *h = oas_etag_new();
  size_t off = 0, k = 0;
  CHECK(h != NULL);
  one_shot(data, len, want_etag, want_tree);
  while (off < len) {
    size_t n = chunks[k++ % n_chunks];
    if (n > len - off) n = len - off;
    CHECK_OK(oas_etag_update(h, data + off, n));
    CHECK_OK(oas_etag_update(h, NULL, 0)); /* empty updates change nothing */
    off += n;
  }
  CHECK_OK(oas_etag_finish(h, etag, tree));
  CHECK_STR(etag, want_etag);
  CHECK_STR(tree, want_tree);
  /* finish resets: the same handle hashes the data again, tree only. */
  CHECK_OK(oas_etag_update(h, data, len));
  memset(tree, 0, sizeof tree);
  CHECK_OK(oas_etag_finish(h, NULL, tree));
  CHECK_STR(tree, want_tree);
  oas_etag_free(h);
}

int main(void) {
  const size_t mib = 1u << 20;
  const size_t len = 3 * mib + 12345;
  unsigned char *data = pattern(len);
  const size_t odd[] = {1, 7, 4097, mib - 1, 3};
  const size_t big[] = {2 * mib + 1, 5 * mib};
  const size_t leafish[] = {mib, mib + 1, mib - 1};
  char etag[OAS_DIGEST_BUF_LEN], tree[OAS_DIGEST_BUF_LEN];
  oas_etag *h;

  stream_in(data, len, odd, sizeof odd / sizeof odd[0]);
  stream_in(data, len, big, sizeof big / sizeof big[0]);
  stream_in(data, len, leafish, sizeof leafish / sizeof leafish[0]);
  stream_in(data, mib, odd, 2);

  /* Nothing fed: MD5 of nothing and the empty tree etag. */
  h = oas_etag_new();
  memset(tree, 'x', sizeof tree);
  CHECK_OK(oas_etag_finish(h, etag, tree));
  CHECK_STR(etag, "D41D8CD98F00B204E9800998ECF8427E");
  CHECK_STR(tree, "");
  /* Both outputs NULL is allowed (the hasher is just reset). */
  CHECK_OK(oas_etag_update(h, data, 10));
  CHECK_OK(oas_etag_finish(h, NULL, NULL));
  CHECK_OK(oas_etag_finish(h, etag, NULL));
  CHECK_STR(etag, "D41D8CD98F00B204E9800998ECF8427E");
  oas_etag_free(h);
  oas_etag_free(NULL);

  /* Known value: "abc" streamed a byte at a time. */
  h = oas_etag_new();
  CHECK_OK(oas_etag_update(h, (const uint8_t *)"a", 1));
  CHECK_OK(oas_etag_update(h, (const uint8_t *)"b", 1));
  CHECK_OK(oas_etag_update(h, (const uint8_t *)"c", 1));
  CHECK_OK(oas_etag_finish(h, etag, tree));
  CHECK_STR(etag, "900150983CD24FB0D6963F7D28E17F72");
  CHECK_STR(tree, "900150983CD24FB0D6963F7D28E17F72");
  oas_etag_free(h);

  free(data);
  return finish("test_stream");
}
