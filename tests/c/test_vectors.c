/* Every digest vector of tests/data/hash_vectors.json (generated into
 * oas_vectors.h) through the C API: one-shot buffers, the streaming hasher,
 * files, leaves, multipart parts, ranges and tree-etag combination.
 *
 * Usage: test_vectors [--max-size BYTES]  (skips larger inputs; the valgrind
 * run uses it because valgrind slows MD5 down ~50x). */
#include "test_util.h"

#include "oas_vectors.h"

static uint64_t g_max_size = UINT64_MAX;

static void check_single(const oas_vec_single *v) {
  unsigned char *data = pattern((size_t)v->size);
  char etag[OAS_DIGEST_BUF_LEN], tree[OAS_DIGEST_BUF_LEN];
  char *path;
  oas_etag *h;
  size_t i, off;

  CHECK_OK(oas_etag_compute_buffer(data, (size_t)v->size, etag, tree));
  CHECK_STR(etag, v->etag);
  CHECK_STR(tree, v->tree_etag);

  /* Each digest alone (the library then computes only that one). */
  memset(tree, 'x', sizeof tree);
  CHECK_OK(oas_etag_compute_buffer(data, (size_t)v->size, NULL, tree));
  CHECK_STR(tree, v->tree_etag);
  memset(etag, 'x', sizeof etag);
  CHECK_OK(oas_etag_compute_buffer(data, (size_t)v->size, etag, NULL));
  CHECK_STR(etag, v->etag);

  /* Streaming in 100 003-byte chunks. */
  h = oas_etag_new();
  CHECK(h != NULL);
  for (off = 0; off < v->size; off += 100003) {
    size_t n = (size_t)(v->size - off < 100003 ? v->size - off : 100003);
    CHECK_OK(oas_etag_update(h, data + off, n));
  }
  CHECK_OK(oas_etag_finish(h, etag, tree));
  oas_etag_free(h);
  CHECK_STR(etag, v->etag);
  CHECK_STR(tree, v->tree_etag);

  /* From a file, whole and to-end. */
  path = temp_file_with(data, (size_t)v->size);
  CHECK_OK(oas_etag_compute_file(path, 0, OAS_SIZE_TO_END, etag, tree));
  CHECK_STR(etag, v->etag);
  CHECK_STR(tree, v->tree_etag);
  CHECK_OK(oas_etag_compute_file(path, 0, v->size, NULL, tree));
  CHECK_STR(tree, v->tree_etag);
  unlink(path);
  free(path);

  /* Leaves: each 1 MiB slice's digest. */
  for (i = 0; i < v->n_leaves; i++) {
    uint64_t start = i * (uint64_t)OAS_VEC_LEAF_SIZE;
    uint64_t len = v->size - start < OAS_VEC_LEAF_SIZE ? v->size - start : OAS_VEC_LEAF_SIZE;
    CHECK_OK(oas_etag_compute_buffer(data + start, (size_t)len, etag, NULL));
    CHECK_STR(etag, v->leaves[i]);
  }
  {
    uint64_t n = 0;
    CHECK_OK(oas_calc_num_part(OAS_VEC_LEAF_SIZE, v->size, &n));
    CHECK(n == v->leaf_count);
  }
  free(data);
}

static void check_multipart(const oas_vec_multipart *v) {
  unsigned char *data = pattern((size_t)v->archive_size);
  char etag[OAS_DIGEST_BUF_LEN], tree[OAS_DIGEST_BUF_LEN], combined[OAS_DIGEST_BUF_LEN];
  char **trees = (char **)calloc(v->n_parts, sizeof(char *));
  oas_byte_range *ranges = (oas_byte_range *)calloc(v->n_parts, sizeof(oas_byte_range));
  char *path = temp_file_with(data, (size_t)v->archive_size);
  size_t count = 0, i;

  CHECK_OK(oas_calc_ranges(v->part_size, v->archive_size, ranges, v->n_parts, &count));
  CHECK(count == v->n_parts);
  for (i = 0; i < v->n_parts && i < count; i++) {
    char expect_range[64];
    uint64_t len = oas_range_size(ranges[i].start, ranges[i].end);
    snprintf(expect_range, sizeof expect_range, "%llu-%llu", (unsigned long long)ranges[i].start,
             (unsigned long long)ranges[i].end);
    CHECK_STR(expect_range, v->parts[i].range);
    CHECK_OK(oas_etag_compute_buffer(data + ranges[i].start, (size_t)len, etag, tree));
    CHECK_STR(etag, v->parts[i].etag);
    CHECK_STR(tree, v->parts[i].tree_etag);
    /* The same part read from the file at its offset. */
    CHECK_OK(oas_etag_compute_file(path, ranges[i].start, len, etag, tree));
    CHECK_STR(etag, v->parts[i].etag);
    CHECK_STR(tree, v->parts[i].tree_etag);
    trees[i] = (char *)malloc(OAS_DIGEST_BUF_LEN);
    memcpy(trees[i], tree, OAS_DIGEST_BUF_LEN);
  }
  CHECK_OK(oas_tree_etag_combine((const char *const *)trees, count, combined));
  CHECK_STR(combined, v->combined);
  CHECK_OK(oas_etag_compute_file(path, 0, OAS_SIZE_TO_END, NULL, tree));
  CHECK_STR(tree, v->whole);
  CHECK((strcmp(combined, tree) == 0) == v->combined_equals_whole);

  for (i = 0; i < v->n_parts; i++) free(trees[i]);
  free(trees);
  free(ranges);
  unlink(path);
  free(path);
  free(data);
}

int main(int argc, char **argv) {
  size_t i, ran = 0, skipped = 0;
  if (argc == 3 && strcmp(argv[1], "--max-size") == 0) g_max_size = strtoull(argv[2], NULL, 10);
  CHECK(OAS_VEC_N_SINGLE >= 7 && OAS_VEC_N_MULTIPART >= 4);
  for (i = 0; i < OAS_VEC_N_SINGLE; i++) {
    if (OAS_VEC_SINGLE[i].size > g_max_size) {
      skipped++;
      continue;
    }
    check_single(&OAS_VEC_SINGLE[i]);
    ran++;
  }
  for (i = 0; i < OAS_VEC_N_MULTIPART; i++) {
    if (OAS_VEC_MULTIPART[i].archive_size > g_max_size) {
      skipped++;
      continue;
    }
    check_multipart(&OAS_VEC_MULTIPART[i]);
    ran++;
  }
  printf("vectors: %zu checked, %zu skipped (larger than --max-size)\n", ran, skipped);
  CHECK(ran > 0);
  return finish("test_vectors");
}
