/* oas_vault_purge against the emulator of its own fixture (faults on, so
 * that the rules installed here meet no other test): arguments refused before
 * any request; a purge stopped from its progress callback (uploads already
 * aborted, the report untouched); a rerun with two failed deletes (the vault
 * kept); a rerun whose vault delete the service refuses (VaultNotEmpty, as
 * the real service until a later inventory shows the vault empty); a last
 * rerun that finds every archive gone and deletes the vault. Progress calls
 * are never concurrent and never go backwards; a report struct of an older,
 * smaller header gets only its fields, one of a newer header a zero tail. */
#include "emulator_control.h"

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#define N_ARCHIVES 12
#define GUARD 0xA5

struct progress {
  pthread_mutex_t inside; /* held during a call: a trylock that fails means two at once */
  uint64_t last, total, stop_at;
  unsigned calls, concurrent, backwards;
};

static int progress_cb(void *userdata, uint64_t done, uint64_t total) {
  struct progress *p = (struct progress *)userdata;
  struct timespec pause = {0, 2000000}; /* 2 ms: room for another worker to call in */
  if (pthread_mutex_trylock(&p->inside) != 0) {
    p->concurrent++;
    return 0;
  }
  p->calls++;
  if (done <= p->last) p->backwards++;
  p->last = done;
  p->total = total;
  nanosleep(&pause, NULL);
  pthread_mutex_unlock(&p->inside);
  return p->stop_at != 0 && done >= p->stop_at;
}

static void progress_reset(struct progress *p, uint64_t stop_at) {
  p->last = p->total = 0;
  p->calls = p->concurrent = p->backwards = 0;
  p->stop_at = stop_at;
}

static oas_purge_options purge_opts(unsigned workers, struct progress *p) {
  oas_purge_options o;
  CHECK_OK(oas_purge_options_init(&o, sizeof o));
  o.workers = workers;
  o.wait_first_interval_ms = 50;
  o.wait_max_interval_ms = 200;
  o.wait_timeout_ms = 60000;
  o.progress = p ? progress_cb : NULL;
  o.userdata = p;
  return o;
}

static int all_guard(const unsigned char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (b[i] != GUARD) return 0;
  return 1;
}

static size_t upload_count(const oas_vault *v) {
  oas_uploader_list *l = NULL;
  size_t n = 0;
  CHECK_OK(oas_vault_list_all_multipart_uploads(v, &l));
  n = oas_uploader_list_len(l);
  oas_uploader_list_free(l);
  return n;
}

/* What a program built against a header with only the first two fields saw. */
struct old_report {
  uint64_t size;
  uint64_t uploads_aborted;
};

int main(void) {
  const oas_client *c = emu_client(4, 1024 * 1024, 0);
  oas_vault *v = NULL, *again = NULL;
  oas_uploader *up = NULL;
  oas_purge_options o;
  oas_purge_report r;
  struct progress p;
  unsigned char *data = pattern(3 * 1024 * 1024);
  char *big = temp_file_with(data, 3 * 1024 * 1024);
  int i;

  pthread_mutex_init(&p.inside, NULL);
  CHECK_OK(oas_vault_create(c, "c-purge", &v));
  for (i = 0; i < N_ARCHIVES; i++) {
    char *id = NULL;
    char *path = temp_file_with(data + i, 1000 + (size_t)i);
    CHECK_OK(oas_vault_upload_archive(v, path, "to purge", NULL, &id));
    oas_string_free(id);
    remove(path);
    free(path);
  }
  CHECK_OK(oas_vault_initiate_uploader(v, big, NULL, NULL, &up));
  CHECK(upload_count(v) == 1);
  emu_reset_stats();

  /* Refused before any request. */
  memset(&r, GUARD, sizeof r);
  r.size = sizeof r;
  CHECK_ERR(oas_vault_purge(NULL, NULL, &r), OAS_RESULT_NULL_ARGUMENT, "`vault`");
  CHECK_ERR(oas_vault_purge(v, NULL, NULL), OAS_RESULT_NULL_ARGUMENT, "`report_out`");
  r.size = 4;
  CHECK_ERR(oas_vault_purge(v, NULL, &r), OAS_RESULT_INVALID_ARGUMENT, "report_out->size");
  r.size = sizeof r;
  o = purge_opts(300, NULL);
  CHECK_ERR(oas_vault_purge(v, &o, &r), OAS_RESULT_INVALID_ARGUMENT, "opts->workers");
  o = purge_opts(0, NULL);
  o.size = 1u << 20;
  CHECK_ERR(oas_vault_purge(v, &o, &r), OAS_RESULT_INVALID_ARGUMENT, "opts->size");
  CHECK(all_guard((const unsigned char *)&r + sizeof r.size, sizeof r - sizeof r.size));
  CHECK(emu_count("ListMultipartUploads") == 0 && emu_count("ListJobs") == 0);

  /* Stopped from the callback after 4 archives (one worker): CANCELLED, the
   * upload in progress already aborted, the report not written. */
  progress_reset(&p, 4);
  o = purge_opts(1, &p);
  CHECK_ERR(oas_vault_purge(v, &o, &r), OAS_RESULT_CANCELLED, "purge of vault c-purge");
  CHECK(emu_count("DeleteArchive") == 4);
  CHECK(p.last == 4 && p.total == N_ARCHIVES);
  CHECK(upload_count(v) == 0);
  CHECK(all_guard((const unsigned char *)&r + sizeof r.size, sizeof r - sizeof r.size));

  /* Two deletes fail (403, not retried): counted, the vault kept. Progress
   * from 4 workers: one call at a time, growing, ending at the total. */
  emu_set_faults("[{\"op\":\"DeleteArchive\",\"times\":2,\"action\":\"error\",\"status\":403,"
                 "\"code\":\"AccessDenied\"}]");
  progress_reset(&p, 0);
  o = purge_opts(4, &p);
  CHECK_OK(oas_vault_purge(v, &o, &r));
  CHECK(r.size == sizeof r);
  CHECK(r.uploads_aborted == 0);
  CHECK(r.archives_listed == N_ARCHIVES);
  CHECK(r.archives_failed == 2);
  CHECK(r.archives_deleted + r.archives_already_gone + 2 == N_ARCHIVES);
  CHECK(r.archives_already_gone <= 4);
  CHECK(r.vault_deleted == 0);
  CHECK(p.calls >= 1 && p.concurrent == 0 && p.backwards == 0);
  CHECK(p.last == N_ARCHIVES && p.total == N_ARCHIVES);
  CHECK_OK(oas_vault_get_by_name(c, "c-purge", &again));
  oas_vault_free(again);
  again = NULL;

  /* The service refuses the vault delete once (VaultNotEmpty); every archive
   * is now deleted or gone. An older, smaller report gets its two fields
   * only. */
  emu_set_faults("[{\"op\":\"DeleteVault\",\"times\":1,\"action\":\"error\",\"status\":409,"
                 "\"code\":\"VaultNotEmpty\"}]");
  {
    static struct {
      struct old_report r;
      unsigned char after[64];
    } old;
    memset(&old, GUARD, sizeof old);
    old.r.size = sizeof old.r;
    o = purge_opts(4, NULL);
    CHECK_OK(oas_vault_purge(v, &o, (oas_purge_report *)&old.r));
    CHECK(old.r.size == sizeof old.r && old.r.uploads_aborted == 0);
    CHECK(all_guard(old.after, sizeof old.after));
  }
  CHECK_OK(oas_vault_get_by_name(c, "c-purge", &again));
  oas_vault_free(again);
  again = NULL;
  emu_set_faults("[]");

  /* Last run, with the report of a newer header (a zero tail): nothing left
   * to delete, the vault goes. */
  {
    static struct {
      oas_purge_report r;
      uint64_t future[2];
    } newer;
    memset(&newer, GUARD, sizeof newer);
    newer.r.size = sizeof newer;
    CHECK_OK(oas_vault_purge(v, NULL, &newer.r));
    CHECK(newer.r.size == sizeof newer);
    CHECK(newer.r.archives_listed == N_ARCHIVES);
    CHECK(newer.r.archives_deleted == 0);
    CHECK(newer.r.archives_already_gone == N_ARCHIVES);
    CHECK(newer.r.archives_failed == 0);
    CHECK(newer.r.vault_deleted == 1);
    CHECK(newer.future[0] == 0 && newer.future[1] == 0);
  }
  CHECK_ERR(oas_vault_get_by_name(c, "c-purge", &again), OAS_RESULT_NOT_FOUND, "c-purge");
  CHECK(again == NULL);
  /* The handle stays valid; the vault behind it is gone. */
  CHECK_ERR(oas_vault_refresh(v), OAS_RESULT_NOT_FOUND, "");

  oas_uploader_free(up);
  oas_vault_free(v);
  oas_client_free(c);
  remove(big);
  free(big);
  free(data);
  pthread_mutex_destroy(&p.inside);
  return finish("test_purge");
}
