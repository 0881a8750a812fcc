/* oas_etag_compute_fd: same digests as the path variant, positional reads
 * that leave the descriptor's position alone, ranges, bad descriptors. */
#include "test_util.h"

#include <fcntl.h>

int main(void) {
  const size_t len = (2u << 20) + 333;
  unsigned char *data = pattern(len);
  char *path = temp_file_with(data, len);
  char etag[OAS_DIGEST_BUF_LEN], tree[OAS_DIGEST_BUF_LEN];
  char want_etag[OAS_DIGEST_BUF_LEN], want_tree[OAS_DIGEST_BUF_LEN];
  int fd = open(path, O_RDONLY);
  int pipefd[2];
  CHECK(fd >= 0);

  /* Whole file, with the descriptor positioned somewhere in the middle. */
  CHECK(lseek(fd, 12345, SEEK_SET) == 12345);
  CHECK_OK(oas_etag_compute_buffer(data, len, want_etag, want_tree));
  CHECK_OK(oas_etag_compute_fd(fd, 0, OAS_SIZE_TO_END, etag, tree));
  CHECK_STR(etag, want_etag);
  CHECK_STR(tree, want_tree);
  CHECK(lseek(fd, 0, SEEK_CUR) == 12345);

  /* A range: offset 1 MiB - 1, 1 MiB + 2 bytes; and offset to the end. */
  CHECK_OK(oas_etag_compute_buffer(data + (1u << 20) - 1, (1u << 20) + 2, want_etag, want_tree));
  CHECK_OK(oas_etag_compute_fd(fd, (1u << 20) - 1, (1u << 20) + 2, etag, tree));
  CHECK_STR(etag, want_etag);
  CHECK_STR(tree, want_tree);
  CHECK_OK(oas_etag_compute_buffer(data + 100, len - 100, want_etag, NULL));
  CHECK_OK(oas_etag_compute_fd(fd, 100, OAS_SIZE_TO_END, etag, NULL));
  CHECK_STR(etag, want_etag);
  CHECK(lseek(fd, 0, SEEK_CUR) == 12345);

  /* Past the end: nothing written, INVALID_ARGUMENT naming the descriptor. */
  memset(etag, 'x', sizeof etag);
  CHECK_ERR(oas_etag_compute_fd(fd, len - 1, 2, etag, tree), OAS_RESULT_INVALID_ARGUMENT, "past the end");
  CHECK(etag[0] == 'x');
  CHECK_ERR(oas_etag_compute_fd(fd, len + 1, OAS_SIZE_TO_END, etag, tree), OAS_RESULT_INVALID_ARGUMENT,
            "descriptor");
  /* Exactly at the end with size 0: empty digests. */
  CHECK_OK(oas_etag_compute_fd(fd, len, 0, etag, tree));
  CHECK_STR(etag, "D41D8CD98F00B204E9800998ECF8427E");
  CHECK_STR(tree, "");

  /* The descriptor is still open and usable. */
  {
    unsigned char b = 0;
    CHECK(pread(fd, &b, 1, 7) == 1 && b == 7);
  }
  close(fd);
  /* A closed descriptor is an I/O error, a negative one an invalid argument. */
  CHECK_ERR(oas_etag_compute_fd(fd, 0, OAS_SIZE_TO_END, etag, tree), OAS_RESULT_IO, "descriptor");
  CHECK_ERR(oas_etag_compute_fd(-1, 0, OAS_SIZE_TO_END, etag, tree), OAS_RESULT_INVALID_ARGUMENT, "fd");
  /* A pipe cannot be read positionally: refused up front. */
  CHECK(pipe(pipefd) == 0);
  CHECK(write(pipefd[1], "abc", 3) == 3);
  CHECK_ERR(oas_etag_compute_fd(pipefd[0], 0, 3, etag, tree), OAS_RESULT_INVALID_ARGUMENT, "not a regular file");
  close(pipefd[0]);
  close(pipefd[1]);

  unlink(path);
  free(path);
  free(data);
  return finish("test_fd");
}
