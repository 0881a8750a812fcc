/* Bad input: every failure returns its code, leaves outputs untouched and
 * describes itself through oas_last_error(); success clears the slot. */
#include "test_util.h"

static void check_untouched(const char *buf) { CHECK(buf[0] == 'x' && buf[1] == 'x'); }

int main(void) {
  char etag[OAS_DIGEST_BUF_LEN], tree[OAS_DIGEST_BUF_LEN], out[OAS_DIGEST_BUF_LEN];
  const unsigned char data[4] = {1, 2, 3, 4};
  unsigned char *small = pattern(1000);
  char *path = temp_file_with(small, 1000);
  oas_etag *h = oas_etag_new();
  uint64_t n64 = 77;
  size_t n = 0;
  const char *good = "8F293A2F6C19B345152F7A49BB4C643C";
  const char *with_null[2];
  const char *with_bad[2];
  const char bad_utf8[] = {'/', 't', 'm', 'p', '/', (char)0xff, (char)0xfe, 0};
  oas_byte_range ranges[2];
  const oas_error *e;

  memset(etag, 'x', sizeof etag);
  memset(tree, 'x', sizeof tree);
  memset(out, 'x', sizeof out);

  /* NULL pointers, each named in the message. */
  CHECK_ERR(oas_etag_update(NULL, data, 4), OAS_RESULT_NULL_ARGUMENT, "`etag`");
  CHECK_ERR(oas_etag_update(h, NULL, 4), OAS_RESULT_NULL_ARGUMENT, "`data`");
  CHECK_ERR(oas_etag_finish(NULL, etag, tree), OAS_RESULT_NULL_ARGUMENT, "`etag`");
  CHECK_ERR(oas_etag_compute_buffer(NULL, 1, etag, tree), OAS_RESULT_NULL_ARGUMENT, "`data`");
  CHECK_ERR(oas_etag_compute_file(NULL, 0, OAS_SIZE_TO_END, etag, tree), OAS_RESULT_NULL_ARGUMENT, "`path`");
  CHECK_ERR(oas_tree_etag_combine(NULL, 1, out), OAS_RESULT_NULL_ARGUMENT, "`tree_etags`");
  CHECK_ERR(oas_tree_etag_combine(&good, 1, NULL), OAS_RESULT_NULL_ARGUMENT, "`tree_etag_out`");
  with_null[0] = good;
  with_null[1] = NULL;
  CHECK_ERR(oas_tree_etag_combine(with_null, 2, out), OAS_RESULT_NULL_ARGUMENT, "`tree_etags[1]`");
  CHECK_ERR(oas_calc_num_part(10, 20, NULL), OAS_RESULT_NULL_ARGUMENT, "`count_out`");
  CHECK_ERR(oas_calc_ranges(10, 20, NULL, 5, &n), OAS_RESULT_NULL_ARGUMENT, "`ranges_out`");
  CHECK_ERR(oas_calc_ranges(10, 20, ranges, 2, NULL), OAS_RESULT_NULL_ARGUMENT, "`count_out`");
  CHECK_ERR(oas_calc_part_size(1ull << 30, 0, NULL), OAS_RESULT_NULL_ARGUMENT, "`part_size_out`");
  check_untouched(etag);
  check_untouched(tree);
  check_untouched(out);

  /* The error object: kind, code, no server fields, NULL-safe accessors. */
  CHECK_ERR(oas_etag_update(NULL, data, 4), OAS_RESULT_NULL_ARGUMENT, "NULL");
  e = oas_last_error();
  CHECK(oas_error_kind(e) == OAS_ERROR_KIND_CLIENT);
  CHECK(oas_error_http_status(e) == 0);
  CHECK_STR(oas_error_server_code(e), "");
  CHECK_STR(oas_error_server_type(e), "");
  CHECK_STR(oas_error_request_id(e), "");
  CHECK_STR(oas_error_header(e, "x-oas-request-id"), "");
  CHECK(oas_error_code(NULL) == OAS_RESULT_OK);
  CHECK(oas_error_kind(NULL) == OAS_ERROR_KIND_NONE);
  CHECK_STR(oas_error_message(NULL), "");
  CHECK_STR(oas_error_header(NULL, NULL), "");
  /* Accessors, result text and versions leave the slot alone... */
  (void)oas_result_str(OAS_RESULT_IO);
  (void)oas_version();
  oas_etag_free(NULL);
  oas_string_free(NULL);
  CHECK(oas_last_error() == e);
  /* ...and the next successful fallible call clears it. */
  CHECK_OK(oas_calc_num_part(10, 20, &n64));
  CHECK(n64 == 2);
  CHECK(oas_last_error() == NULL);

  /* Missing file: I/O error naming the path. */
  CHECK_ERR(oas_etag_compute_file("/nonexistent/oas-missing", 0, OAS_SIZE_TO_END, etag, tree), OAS_RESULT_IO,
            "/nonexistent/oas-missing");
  CHECK(oas_error_kind(oas_last_error()) == OAS_ERROR_KIND_CLIENT);
  /* A directory is not a regular file. */
  CHECK_ERR(oas_etag_compute_file("/", 0, OAS_SIZE_TO_END, etag, tree), OAS_RESULT_INVALID_ARGUMENT,
            "not a regular file");
  /* Invalid UTF-8 path. */
  CHECK_ERR(oas_etag_compute_file(bad_utf8, 0, OAS_SIZE_TO_END, etag, tree), OAS_RESULT_INVALID_UTF8, "`path`");
  /* Ranges past the end of the file. */
  CHECK_ERR(oas_etag_compute_file(path, 0, 1001, etag, tree), OAS_RESULT_INVALID_ARGUMENT, "past the end");
  CHECK_ERR(oas_etag_compute_file(path, 1001, OAS_SIZE_TO_END, etag, tree), OAS_RESULT_INVALID_ARGUMENT,
            "past the end");
  CHECK_ERR(oas_etag_compute_file(path, UINT64_MAX, 2, etag, tree), OAS_RESULT_INVALID_ARGUMENT, "past the end");
  check_untouched(etag);
  check_untouched(tree);

  /* Malformed tree etags. */
  with_bad[0] = good;
  with_bad[1] = "not-a-tree-etag";
  CHECK_ERR(oas_tree_etag_combine(with_bad, 2, out), OAS_RESULT_INVALID_ARGUMENT, "#1");
  with_bad[1] = "8F293A2F6C19B345152F7A49BB4C643";
  CHECK_ERR(oas_tree_etag_combine(with_bad, 2, out), OAS_RESULT_INVALID_ARGUMENT, "#1");
  check_untouched(out);

  /* Buffer too small: nothing written, count_out tells the size. */
  ranges[0].start = ranges[0].end = 42;
  CHECK_ERR(oas_calc_ranges(10, 25, ranges, 2, &n), OAS_RESULT_BUFFER_TOO_SMALL, "3 are needed");
  CHECK(n == 3);
  CHECK(ranges[0].start == 42 && ranges[0].end == 42);
  CHECK_ERR(oas_calc_ranges(10, 25, NULL, 0, &n), OAS_RESULT_BUFFER_TOO_SMALL, "needed");
  CHECK(n == 3);

  /* Argument values. */
  CHECK_ERR(oas_calc_num_part(0, 20, &n64), OAS_RESULT_INVALID_ARGUMENT, "part size");
  CHECK_ERR(oas_calc_ranges(0, 20, ranges, 2, &n), OAS_RESULT_INVALID_ARGUMENT, "part size");
  CHECK_ERR(oas_calc_part_size(1000, 0, &n64), OAS_RESULT_INVALID_ARGUMENT, "archive size 1000");
  CHECK(n64 == 2);

  /* Text for every code, and for unknown codes. */
  CHECK_STR(oas_result_str(OAS_RESULT_OK), "success");
  CHECK_STR(oas_result_str(OAS_RESULT_BUFFER_TOO_SMALL), "output buffer too small");
  CHECK_STR(oas_result_str(12345), "unknown result code");
  {
    const oas_result codes[] = {OAS_RESULT_INVALID_ARGUMENT, OAS_RESULT_NULL_ARGUMENT, OAS_RESULT_INVALID_UTF8,
                                OAS_RESULT_IO, OAS_RESULT_TRANSPORT, OAS_RESULT_TIMEOUT, OAS_RESULT_SERVER,
                                OAS_RESULT_PROTOCOL, OAS_RESULT_HASH_MISMATCH, OAS_RESULT_UPLOAD_FAILED,
                                OAS_RESULT_DOWNLOAD_FAILED, OAS_RESULT_JOB_NOT_READY, OAS_RESULT_JOB_FAILED,
                                OAS_RESULT_WAIT_TIMEOUT, OAS_RESULT_INVALID_STATE, OAS_RESULT_CANCELLED,
                                OAS_RESULT_PANIC, OAS_RESULT_INTERNAL};
    size_t i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
      CHECK(strcmp(oas_result_str(codes[i]), "unknown result code") != 0);
      CHECK(oas_result_str(codes[i])[0] != '\0');
    }
  }

  oas_etag_free(h);
  unlink(path);
  free(path);
  free(small);
  return finish("test_bad_input");
}
