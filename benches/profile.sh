#!/usr/bin/env bash
# The release profile (issue 20, part 3): builds nfa twice, with Cargo's
# default release profile and with the one Cargo.toml keeps (thin LTO, one
# codegen unit, symbols stripped), each in a target directory of its own,
# and prints for both: the binary's size, the start-up (median of RUNS runs
# of `nfa --version`), and the median whole-process time of three lists
# over a seeded database of TASKS tasks (examples/seed.rs). The goal: keep
# what helps (smaller, and nothing slower beyond noise).
#
#   benches/profile.sh [TASKS] [RUNS]        (default 200000 tasks, 21 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=${1:-200000}
runs=${2:-21}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
build() { # name: builds target/bench-NAME with the profile settings in the environment
  CARGO_TARGET_DIR="target/bench-$1" cargo build --release --quiet --bin nfa --example seed
}
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_STRIP=none build default
build kept
export NFA_NOW=2026-11-30T08:00:00Z NFA_DB="$dir/big.db"
target/bench-kept/release/examples/seed "$NFA_DB" "$tasks" 5000 2>/dev/null
target/bench-kept/release/nfa accounts list >/dev/null
median() { sort -n | sed -n "$(( (runs + 1) / 2 ))p"; }
# Seconds of the median of RUNS runs of a command.
time_of() {
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1
  done | median
}
# Microseconds of the median start-up (a loop of RUNS runs, each timed).
startup() {
  for _ in $(seq "$runs"); do
    s=$(date +%s%N); "$1" --version >/dev/null; e=$(date +%s%N)
    echo $(( (e - s) / 1000 ))
  done | median
}
printf '%-10s %10s %10s %10s %10s %10s\n' profile "bytes" "start µs" "tasks csv" "logs json" "accounts"
for p in default kept; do
  nfa=target/bench-$p/release/nfa
  printf '%-10s %10s %10s %10s %10s %10s\n' "$p" "$(stat -c %s "$nfa")" "$(startup "$nfa")" \
    "$(time_of "$nfa" -o csv tasks --limit 0 --show-automated)" \
    "$(time_of "$nfa" -o json logs --limit 0)" \
    "$(time_of "$nfa" -o json accounts list)"
done
echo "goal: the kept profile smaller, and no column slower beyond noise"
