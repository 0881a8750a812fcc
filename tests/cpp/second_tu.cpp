// oas.hpp in a second translation unit of cpp_test: everything in the
// header is inline, so two TUs including it must link without duplicates.
#include "oas.hpp"

#include <string>

std::string second_tu_version();

std::string second_tu_version() {
  const oas::Result<std::uint64_t> parts = oas::calc_num_part(1, 1);
  return parts.ok() ? std::string(oas::version()) : std::string();
}
