#include "oas.h"
