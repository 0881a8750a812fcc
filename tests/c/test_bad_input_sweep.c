/* The bad-input sweep: every function of include/oas.h, called with NULL
 * for each pointer argument in turn (the others valid, from live handles
 * against the emulator of the ctest fixture), with invalid UTF-8 and "" for
 * each string. The calls are generated from the header at build time by
 * tests/c/gen_bad_input_sweep.py (build/generated/bad_input_sweep.h), so a
 * new export is swept without being listed here.
 *
 *   test_bad_input_sweep [--call-timeout SECONDS]
 *
 * Expectations: a required pointer gives OAS_RESULT_NULL_ARGUMENT with a
 * message naming it and untouched outputs; invalid UTF-8 gives
 * OAS_RESULT_INVALID_UTF8 naming the argument; "" a failure with a message;
 * accessors and free functions give their documented NULL value and leave
 * the last-error slot alone; an optional pointer is accepted. */
#include "sweep_util.h"

#include "bad_input_sweep.h"

/* What the strict sweep must not have changed on the server or on disk. */
struct snapshot {
  size_t uploads, jobs;
};

static struct snapshot take_snapshot(void) {
  struct snapshot s = {0, 0};
  oas_uploader_list *ul = NULL;
  oas_job_list *jl = NULL;
  CHECK_OK(oas_vault_list_all_multipart_uploads(F.vault, &ul));
  CHECK_OK(oas_vault_list_all_jobs(F.vault, &jl));
  s.uploads = oas_uploader_list_len(ul);
  s.jobs = oas_job_list_len(jl);
  oas_uploader_list_free(ul);
  oas_job_list_free(jl);
  return s;
}

int main(int argc, char **argv) {
  struct snapshot before, after;
  if (argc == 3 && strcmp(argv[1], "--call-timeout") == 0) g_call_timeout = (unsigned)atoi(argv[2]);
  sweep_fixture_make("c-sweep");

  sweep_no_pointer();
  before = take_snapshot();
  sweep_strict();
  after = take_snapshot();
  /* Refused calls had no effect: no upload or job was started, no file made. */
  CHECK(before.uploads == after.uploads && before.jobs == after.jobs);
  CHECK(access(F.out_path, F_OK) != 0);
  sweep_optional();

  printf("swept %d functions of include/oas.h with %u checked calls\n", SWEEP_N_FUNCTIONS, g_calls);
  /* Every generated call ran (the edge checks of NO_POINTER count apart). */
  CHECK(g_calls == SWEEP_N_CALLS - SWEEP_N_NO_POINTER);
  sweep_fixture_free();
  return finish("test_bad_input_sweep");
}
