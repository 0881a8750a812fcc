/* digest_bench LIB MODE FILE: loads liboas from LIB with dlopen (so several
 * builds can be compared without relinking) and hashes FILE once.
 * MODE: both | tree | etag. Prints the digests; the caller times the run. */
#define _XOPEN_SOURCE 700
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint32_t (*compute_file_fn)(const char *, uint64_t, uint64_t, char *, char *);

int main(int argc, char **argv) {
  char etag[33] = "", tree[33] = "";
  void *lib;
  compute_file_fn compute;
  uint32_t rc;
  if (argc != 4) {
    fprintf(stderr, "usage: %s LIB both|tree|etag FILE\n", argv[0]);
    return 2;
  }
  lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 2;
  }
  *(void **)&compute = dlsym(lib, "oas_etag_compute_file");
  if (!compute) {
    fprintf(stderr, "dlsym: %s\n", dlerror());
    return 2;
  }
  rc = compute(argv[3], 0, UINT64_MAX, strcmp(argv[2], "tree") ? etag : NULL,
               strcmp(argv[2], "etag") ? tree : NULL);
  if (rc != 0) {
    fprintf(stderr, "oas_etag_compute_file failed: %u\n", (unsigned)rc);
    return 1;
  }
  printf("%s %s\n", etag, tree);
  return 0;
}
