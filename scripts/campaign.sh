#!/usr/bin/env bash
# The fault campaign in the release profile (crates/oas/tests/fault_campaign.rs):
#
#   ./scripts/campaign.sh --full          # the documented long campaign: 200 runs
#   ./scripts/campaign.sh --seed 12345    # reproduce one run
#   ./scripts/campaign.sh --runs 60       # the first 60 runs of the seed list
#
# Other arguments (--jobs N, --verbose, --dry-run) go through as well. With no
# argument it runs the short campaign (24 runs), as `cargo test` does.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo test --release -p oas --test fault_campaign -- "$@"
