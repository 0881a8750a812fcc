/* Proof that the memory checkers can fail: run under valgrind or an ASan
 * build, each mode must be reported (tests/c/expect_failure.sh checks the
 * exit code and the report). Never registered as a plain test.
 *
 *   canary_memcheck leak       a library handle (Rust allocation) never freed
 *   canary_memcheck overflow   a read one byte past a heap block */
#include "oas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "leak") == 0) {
    /* Forgotten on purpose: the checker must see the library's allocation. */
    oas_etag *volatile h = oas_etag_new();
    h = NULL;
    return h != NULL;
  }
  if (argc == 2 && strcmp(argv[1], "overflow") == 0) {
    char *volatile p = (char *)malloc(16);
    int past;
    memset(p, 1, 16);
    past = p[16]; /* one byte past the block */
    free(p);
    printf("read %d\n", past);
    return 0;
  }
  fprintf(stderr, "usage: %s leak|overflow\n", argv[0]);
  return 2;
}
