#include "oas.hpp"
