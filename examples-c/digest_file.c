/* digest_file: prints the OAS content etag and tree etag of a file.
 *
 *   digest_file [PATH]
 *
 * Without PATH it generates a 5 MiB + 3 byte file (byte[i] = i mod 251) in
 * $TMPDIR, hashes it and removes it. It hashes the file twice, once by path
 * and once streamed through oas_etag_update, and fails if they disagree. */
#define _XOPEN_SOURCE 700
#include <oas.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, oas_result rc) {
  fprintf(stderr, "%s failed: %s (%u): %s\n", what, oas_result_str(rc), (unsigned)rc,
          oas_error_message(oas_last_error()));
  return 1;
}

static int generate(char *path, size_t path_len) {
  const char *dir = getenv("TMPDIR");
  unsigned char buf[65536];
  size_t total = (5u << 20) + 3, done = 0, i;
  FILE *f;
  int fd;
  snprintf(path, path_len, "%s/oas-demo-XXXXXX", dir && dir[0] ? dir : "/tmp");
  fd = mkstemp(path);
  if (fd < 0 || !(f = fdopen(fd, "wb"))) return -1;
  while (done < total) {
    size_t n = total - done < sizeof buf ? total - done : sizeof buf;
    for (i = 0; i < n; i++) buf[i] = (unsigned char)((done + i) % 251);
    if (fwrite(buf, 1, n, f) != n) break;
    done += n;
  }
  return fclose(f) == 0 && done == total ? 0 : -1;
}

int main(int argc, char **argv) {
  char generated[4096], etag[OAS_DIGEST_BUF_LEN], tree[OAS_DIGEST_BUF_LEN];
  char s_etag[OAS_DIGEST_BUF_LEN], s_tree[OAS_DIGEST_BUF_LEN];
  const char *path = argc > 1 ? argv[1] : NULL;
  unsigned char buf[100000];
  oas_etag *h;
  oas_result rc;
  FILE *f;
  size_t n;
  int status = 0;

  if (!path) {
    if (generate(generated, sizeof generated) != 0) {
      perror("generating the demo file");
      return 1;
    }
    path = generated;
  }
  printf("liboas %s\nfile       %s\n", oas_version(), path);

  rc = oas_etag_compute_file(path, 0, OAS_SIZE_TO_END, etag, tree);
  if (rc != OAS_RESULT_OK) return fail("oas_etag_compute_file", rc);
  printf("etag       %s\ntree etag  %s\n", etag, tree);

  /* The same digests from a stream of odd-sized chunks. */
  h = oas_etag_new();
  if (!h) return fail("oas_etag_new", OAS_RESULT_INTERNAL);
  f = fopen(path, "rb");
  if (!f) {
    perror(path);
    oas_etag_free(h);
    return 1;
  }
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    if ((rc = oas_etag_update(h, buf, n)) != OAS_RESULT_OK) break;
  }
  fclose(f);
  if (rc == OAS_RESULT_OK) rc = oas_etag_finish(h, s_etag, s_tree);
  oas_etag_free(h);
  if (rc != OAS_RESULT_OK) return fail("streaming", rc);
  if (strcmp(etag, s_etag) != 0 || strcmp(tree, s_tree) != 0) {
    fprintf(stderr, "streamed digests differ: %s %s\n", s_etag, s_tree);
    status = 1;
  }
  if (path == generated) unlink(generated);
  return status;
}
