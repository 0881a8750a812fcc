#!/usr/bin/env bash
# The architecture test (docs/architecture.md): crate arrows from cargo
# metadata, no cycles among the top-level modules of each crate, no Rust file
# over 600 lines. First the checker's self-test (each violation planted in a
# scratch tree must be reported), then the real tree. Runs in seconds.
#
#   scripts/check-architecture.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/check_architecture.py --self-test
python3 scripts/check_architecture.py .
