#!/usr/bin/env bash
# `nfa ui`'s frame at ACCOUNTS accounts (default 5,000): ms per frame at
# 80x24 and 120x40 beside the goal (< 50 ms), and the time to take in a
# read of them. Release build (the bench profile).
#
#   benches/screen.sh [ACCOUNTS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --quiet --bench screen -- "${1:-5000}"
