/* Header macros, runtime version text and number, and Cargo.toml (passed by
 * CMake as OAS_CARGO_VERSION) all agree. */
#include "test_util.h"

#define STR2(x) #x
#define STR(x) STR2(x)

int main(void) {
  char expected[64];
  snprintf(expected, sizeof expected, "%d.%d.%d", OAS_VERSION_MAJOR, OAS_VERSION_MINOR, OAS_VERSION_PATCH);
  CHECK_STR(oas_version(), expected);
  CHECK_STR(oas_version(), OAS_CARGO_VERSION);
  CHECK(oas_version_number() ==
        (uint32_t)(OAS_VERSION_MAJOR * 10000 + OAS_VERSION_MINOR * 100 + OAS_VERSION_PATCH));
  CHECK(oas_version() == oas_version()); /* static, not allocated per call */
  printf("liboas %s (%u), header %s\n", oas_version(), (unsigned)oas_version_number(),
         STR(OAS_VERSION_MAJOR) "." STR(OAS_VERSION_MINOR) "." STR(OAS_VERSION_PATCH));
  return finish("test_version");
}
