/* liboas needs no global init or shutdown (docs/abi.md): clients are created
 * and freed before main (a constructor), after main (a destructor), from
 * several threads at once, on another thread than the one that made them and
 * in another order. Each client makes a real request to the emulator
 * (OAS_ENDPOINT & co. from tests/c/with_emulator.sh) and hashes a buffer big
 * enough for the internal thread pool, so the HTTP stack and the pools start
 * and stop in each of those places. A failure in the destructor, after main
 * has returned, ends the process with _exit(1). */
#include "test_util.h"

#include <pthread.h>

#define THREADS 4
#define HASH_BYTES (2u * 1024u * 1024u + 1u) /* the smallest buffer hashed on the pool */

static unsigned char *g_data; /* HASH_BYTES of pattern(), made in the constructor */
static char g_etag[OAS_DIGEST_BUF_LEN], g_tree[OAS_DIGEST_BUF_LEN];

static const oas_client *g_from_constructor; /* used by the threads, freed in the destructor */
static const oas_client *g_for_destructor;   /* made in main, used and freed in the destructor */
static const oas_client *g_made_by_main;     /* freed by thread 0 */

static oas_result options_init(oas_client_options *o) {
  return oas_client_options_init(o, sizeof *o);
}

/* make_client and use_client run on several threads at once, so they do not
 * use CHECK (test_util.h counts into one plain int): they print what failed
 * and return NULL / a failure count, which the calling thread checks. */
static void report(const char *what, oas_result rc) {
  fprintf(stderr, "%s returned %u (%s): %s\n", what, (unsigned)rc, oas_result_str(rc),
          oas_error_message(oas_last_error()));
}

static const oas_client *make_client(void) {
  oas_client_options o;
  const oas_client *c = NULL;
  oas_result rc;
  const char *endpoint = getenv("OAS_ENDPOINT");
  if (endpoint == NULL) {
    fprintf(stderr, "OAS_ENDPOINT not set: run through tests/c/with_emulator.sh\n");
    _exit(2);
  }
  if ((rc = options_init(&o)) != OAS_RESULT_OK) {
    report("oas_client_options_init", rc);
    return NULL;
  }
  o.endpoint = endpoint;
  o.access_id = getenv("OAS_ACCESS_ID");
  o.access_key = getenv("OAS_ACCESS_KEY");
  if ((rc = oas_client_new(&o, &c)) != OAS_RESULT_OK) {
    report("oas_client_new", rc);
    return NULL;
  }
  return c;
}

/* One request (list the vaults) and one pooled hash; returns the failures. */
static int use_client(const oas_client *c) {
  oas_vault_list *list = NULL;
  char etag[OAS_DIGEST_BUF_LEN], tree[OAS_DIGEST_BUF_LEN];
  oas_result rc;
  int failed = 0;
  if (c == NULL) return 1;
  if ((rc = oas_vault_list_all(c, &list)) != OAS_RESULT_OK) {
    report("oas_vault_list_all", rc);
    failed++;
  }
  oas_vault_list_free(list);
  if ((rc = oas_etag_compute_buffer(g_data, HASH_BYTES, etag, tree)) != OAS_RESULT_OK) {
    report("oas_etag_compute_buffer", rc);
    failed++;
  } else if (strcmp(etag, g_etag) != 0 || strcmp(tree, g_tree) != 0) {
    fprintf(stderr, "etag %s / %s, expected %s / %s\n", etag, tree, g_etag, g_tree);
    failed++;
  }
  return failed;
}

__attribute__((constructor)) static void before_main(void) {
  const oas_client *scratch;
  g_data = pattern(HASH_BYTES);
  CHECK_OK(oas_etag_compute_buffer(g_data, HASH_BYTES, g_etag, g_tree));
  scratch = make_client(); /* made, used and freed before main */
  CHECK(use_client(scratch) == 0);
  oas_client_free(scratch);
  g_from_constructor = make_client(); /* kept until the destructor */
  CHECK(use_client(g_from_constructor) == 0);
}

__attribute__((destructor)) static void after_main(void) {
  const oas_client *late;
  CHECK(use_client(g_from_constructor) == 0);
  oas_client_free(g_from_constructor);
  CHECK(use_client(g_for_destructor) == 0);
  oas_client_free(g_for_destructor);
  late = make_client(); /* made, used and freed after main */
  CHECK(use_client(late) == 0);
  oas_client_free(late);
  free(g_data);
  if (g_failures != 0) {
    fprintf(stderr, "test_no_global_init: %d check(s) failed after main\n", g_failures);
    _exit(1);
  }
  fprintf(stderr, "test_no_global_init: checks after main passed\n");
}

struct worker {
  int index;
  const oas_client *made; /* made by the worker, freed by main */
  int failed;
};

static void *work(void *arg) {
  struct worker *w = (struct worker *)arg;
  w->made = make_client();
  w->failed = w->made == NULL;
  w->failed += use_client(w->made);
  w->failed += use_client(g_from_constructor); /* one client shared by every thread */
  if (w->index == 0) {
    w->failed += use_client(g_made_by_main);
    oas_client_free(g_made_by_main); /* freed on another thread than its maker */
  }
  return NULL;
}

int main(void) {
  pthread_t threads[THREADS];
  struct worker workers[THREADS];
  int i;

  g_made_by_main = make_client();
  g_for_destructor = make_client();
  CHECK(g_made_by_main != NULL && g_for_destructor != NULL);
  for (i = 0; i < THREADS; i++) {
    workers[i].index = i;
    workers[i].made = NULL;
    workers[i].failed = 0;
    CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
  }
  for (i = 0; i < THREADS; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].failed == 0);
  }
  /* Freed by main, in the reverse order of their making on the workers. */
  for (i = THREADS - 1; i >= 0; i--) {
    CHECK(workers[i].made != NULL);
    oas_client_free(workers[i].made);
  }
  return finish("test_no_global_init (main)");
}
