/* Range and part-size helpers against the SDK's rules (spec §7). */
#include "test_util.h"

#define MIB (1ull << 20)

int main(void) {
  uint64_t n = 0, part = 0;
  size_t count = 0, i;
  oas_byte_range r[8];

  CHECK(oas_range_size(0, 0) == 1);
  CHECK(oas_range_size(10, 19) == 10);
  CHECK(oas_range_size(5, 4) == 0);
  CHECK(oas_range_size(0, UINT64_MAX - 1) == UINT64_MAX);

  CHECK_OK(oas_calc_num_part(10, 25, &n));
  CHECK(n == 3);
  CHECK_OK(oas_calc_num_part(10, 0, &n));
  CHECK(n == 0);
  CHECK_OK(oas_calc_num_part(64 * MIB, 64 * MIB + 13, &n));
  CHECK(n == 2);

  CHECK_OK(oas_calc_ranges(10, 25, r, 8, &count));
  CHECK(count == 3);
  CHECK(r[0].start == 0 && r[0].end == 9);
  CHECK(r[1].start == 10 && r[1].end == 19);
  CHECK(r[2].start == 20 && r[2].end == 24);
  CHECK_OK(oas_calc_ranges(10, 0, NULL, 0, &count)); /* no ranges: nothing needed */
  CHECK(count == 0);
  CHECK_OK(oas_calc_ranges(3 * MIB, 5 * MIB, r, 2, &count));
  CHECK(count == 2 && r[1].start == 3 * MIB && r[1].end == 5 * MIB - 1);
  /* Contiguous and complete for an awkward split. */
  CHECK_OK(oas_calc_ranges(7, 50, r, 8, &count));
  CHECK(count == 8 && r[0].start == 0 && r[7].end == 49);
  for (i = 1; i < count; i++) CHECK(r[i].start == r[i - 1].end + 1);

  /* Part sizes: default 64 MiB, valid requests kept, invalid ones (not a
   * multiple of 1 MiB, below 64 MiB, larger than the archive) replaced,
   * doubled (power of two MiB) to stay within 10 000 parts: the SDK's
   * Uploader.calc_part_size. */
  CHECK_OK(oas_calc_part_size(100 * MIB, 0, &part));
  CHECK(part == 64 * MIB);
  CHECK_OK(oas_calc_part_size(256 * MIB, 128 * MIB, &part));
  CHECK(part == 128 * MIB);
  CHECK_OK(oas_calc_part_size(100 * MIB, 100 * MIB, &part));
  CHECK(part == 100 * MIB);
  CHECK_OK(oas_calc_part_size(100 * MIB, 101 * MIB, &part)); /* issue 10, defect 8 */
  CHECK(part == 64 * MIB);
  CHECK_OK(oas_calc_part_size(100 * MIB, 128 * MIB, &part));
  CHECK(part == 64 * MIB);
  CHECK_OK(oas_calc_part_size(100 * MIB, 32 * MIB, &part));
  CHECK(part == 64 * MIB);
  CHECK_OK(oas_calc_part_size(100 * MIB, 64 * MIB + 1, &part));
  CHECK(part == 64 * MIB);
  CHECK_OK(oas_calc_part_size(100 * MIB, 8ull << 30, &part));
  CHECK(part == 64 * MIB);
  CHECK_OK(oas_calc_part_size(1ull << 40, 0, &part)); /* 1 TiB / 10000 = 104.9 MiB */
  CHECK(part == 128 * MIB);
  CHECK_OK(oas_calc_part_size(40000ull << 30, 0, &part));
  CHECK_OK(oas_calc_num_part(part, 40000ull << 30, &n));
  CHECK(n <= 10000);
  CHECK_ERR(oas_calc_part_size(64 * MIB - 1, 0, &part), OAS_RESULT_INVALID_ARGUMENT, "archive size");
  CHECK_ERR(oas_calc_part_size((40000ull << 30) + 1, 0, &part), OAS_RESULT_INVALID_ARGUMENT, "archive size");

  return finish("test_ranges");
}
