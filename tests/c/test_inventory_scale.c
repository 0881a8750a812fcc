/* An inventory of many archives streamed through oas_inventory_*: the
 * program writes an inventory JSON of N entries (the emulator's layout,
 * about 250 bytes per entry; every 1000th description holds escapes), then
 * walks it with oas_inventory_open / oas_inventory_next and checks every
 * entry (id, description, size, tree etag) and the count. It prints the
 * time per million entries and the peak RSS of the process, and fails when
 * the peak RSS exceeds the bound (memory must not grow with the file).
 *
 *   test_inventory_scale [--entries N] [--max-rss-mib M (0 = no bound)] [--keep PATH]
 *
 * ctest runs 50 000 entries; bench/scale.sh runs 1 000 000 (≈ 250 MB). */
#include "test_util.h"

#include <stdint.h>
#include <sys/resource.h>
#include <sys/time.h>

static double now_s(void) {
  struct timeval t;
  gettimeofday(&t, NULL);
  return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static void entry_id(char *buf, size_t cap, unsigned long i) {
  snprintf(buf, cap, "%016lX%016lX", i * 2654435761ul, i);
}

static uint64_t entry_size(unsigned long i) { return (uint64_t)i * 1048576u + 1u + i % 4096u; }

static void entry_desc(char *buf, size_t cap, unsigned long i, int json) {
  if (i % 1000 == 7)
    snprintf(buf, cap, json ? "nightly \\\"%lu\\\" \\u00e9t\\u00e9\\\\x" : "nightly \"%lu\" \xc3\xa9t\xc3\xa9\\x", i);
  else
    snprintf(buf, cap, "nightly backup %lu of /srv/data", i);
}

static int write_inventory(const char *path, unsigned long n) {
  FILE *f = fopen(path, "w");
  char id[40], desc[128];
  unsigned long i;
  if (!f) return 0;
  fputs("{\n  \"VaultId\": \"0123456789ABCDEF0123456789ABCDEF\",\n"
        "  \"InventoryDate\": \"Tue, 01 Dec 2026 09:00:00 GMT\",\n  \"ArchiveList\": [",
        f);
  for (i = 0; i < n; i++) {
    entry_id(id, sizeof id, i);
    entry_desc(desc, sizeof desc, i, 1);
    fprintf(f,
            "%s\n    {\n      \"ArchiveId\": \"%s\",\n      \"ArchiveDescription\": \"%s\",\n"
            "      \"CreationDate\": \"Tue, 01 Dec 2026 08:%02lu:%02lu GMT\",\n"
            "      \"Size\": %llu,\n      \"TreeEtag\": \"%032lX\"\n    }",
            i ? "," : "", id, desc, (i / 60) % 60, i % 60, (unsigned long long)entry_size(i), i);
  }
  fputs("\n  ]\n}\n", f);
  return fclose(f) == 0;
}

int main(int argc, char **argv) {
  unsigned long n = 50000, seen = 0, bad = 0;
  long max_rss_mib = 64, rss_kib;
  const char *keep = NULL;
  const char *tmp = getenv("TMPDIR");
  char path[4200], id[40], desc[128], tree[40];
  oas_inventory *inv = NULL;
  const oas_inventory_archive *a = NULL;
  struct rusage ru;
  double t0, t1;
  long long file_size;
  FILE *f;
  int i;

  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--entries") && i + 1 < argc) n = strtoul(argv[++i], NULL, 10);
    else if (!strcmp(argv[i], "--max-rss-mib") && i + 1 < argc) max_rss_mib = atol(argv[++i]);
    else if (!strcmp(argv[i], "--keep") && i + 1 < argc) keep = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--entries N] [--max-rss-mib M] [--keep PATH]\n", argv[0]);
      return 2;
    }
  }
#if defined(__SANITIZE_ADDRESS__)
  max_rss_mib = 0; /* ASan's shadow memory is not the library's */
#endif
  if (keep)
    snprintf(path, sizeof path, "%s", keep);
  else
    snprintf(path, sizeof path, "%s/oas-inventory-%ld.json", tmp && tmp[0] ? tmp : "/tmp",
             (long)getpid());
  if (!write_inventory(path, n)) {
    perror(path);
    return 2;
  }
  f = fopen(path, "rb");
  fseek(f, 0, SEEK_END);
  file_size = (long long)ftell(f);
  fclose(f);

  t0 = now_s();
  CHECK_OK(oas_inventory_open(path, &inv));
  CHECK_STR(oas_inventory_vault_id(inv), "0123456789ABCDEF0123456789ABCDEF");
  for (;;) {
    oas_result rc = oas_inventory_next(inv, &a);
    if (rc != OAS_RESULT_OK) {
      CHECK_OK(rc);
      break;
    }
    if (!a) break;
    entry_id(id, sizeof id, seen);
    entry_desc(desc, sizeof desc, seen, 0);
    snprintf(tree, sizeof tree, "%032lX", seen);
    if (strcmp(oas_inventory_archive_id(a), id) != 0 ||
        strcmp(oas_inventory_archive_description(a), desc) != 0 ||
        strcmp(oas_inventory_archive_tree_etag(a), tree) != 0 ||
        oas_inventory_archive_size(a) != entry_size(seen)) {
      if (bad++ < 3)
        fprintf(stderr, "entry %lu: got %s \"%s\" %s %llu\n", seen, oas_inventory_archive_id(a),
                oas_inventory_archive_description(a), oas_inventory_archive_tree_etag(a),
                (unsigned long long)oas_inventory_archive_size(a));
    }
    seen++;
  }
  t1 = now_s();
  oas_inventory_free(inv);
  if (!keep) unlink(path);

  CHECK(bad == 0);
  CHECK(seen == n);
  getrusage(RUSAGE_SELF, &ru);
  rss_kib = ru.ru_maxrss;
  printf("test_inventory_scale: %lu entries, %.1f MB of JSON, streamed in %.3f s "
         "(%.2f s per million entries), peak RSS %.1f MiB (bound %ld MiB)\n",
         seen, (double)file_size / 1e6, t1 - t0, n ? (t1 - t0) * 1e6 / (double)n : 0.0,
         (double)rss_kib / 1024.0, max_rss_mib);
  if (max_rss_mib > 0) CHECK(rss_kib <= max_rss_mib * 1024);
  return finish("test_inventory_scale");
}
