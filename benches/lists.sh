#!/usr/bin/env bash
# Times the list commands on a big database: seeds TASKS tasks (default
# 1,000,000; a third activities, two thirds refresh tasks, one log line each)
# over ACCOUNTS accounts (default 1,000), then runs each command RUNS times
# (default 5) and prints the median wall time of the whole process.
#
#   benches/lists.sh [TASKS] [ACCOUNTS] [RUNS]
#   BENCH_DB=/tmp/x/big.db benches/lists.sh 10000000 5000   # reuse a seeded one
#
# The database is kept in a temporary directory (its path is printed); it
# needs about 400 MB per million tasks.
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=${1:-1000000}
accounts=${2:-1000}
runs=${3:-5}

cargo build --release --quiet --bin nfa --example seed
export NFA_NOW=2026-11-30T08:00:00Z
if [ -n "${BENCH_DB:-}" ]; then
  # Reuse a database seeded by an earlier run (same TASKS and ACCOUNTS).
  export NFA_DB="$BENCH_DB"
  dir=$(dirname "$BENCH_DB")
else
  dir=$(mktemp -d)
  export NFA_DB="$dir/big.db"
  echo "seeding $tasks tasks over $accounts accounts into $NFA_DB"
  start=$(date +%s)
  ./target/release/examples/seed "$NFA_DB" "$tasks" "$accounts" 2>/dev/null
  echo "seeded in $(( $(date +%s) - start )) s; $(du -h "$NFA_DB" | cut -f1)"
fi

nfa=./target/release/nfa
median_ms() {
  local times=()
  for _ in $(seq "$runs"); do
    local s e
    s=$(date +%s%N)
    "$nfa" -o json "$@" >/dev/null
    e=$(date +%s%N)
    times+=($(( (e - s) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
last_activity=$(( tasks / 3 * 3 - 2 ))
echo "goal: every bounded list in milliseconds at any size, each through an index meant for it"
echo "(the plans are checked by src/store/plans.rs); whole-process median of $runs runs, -o json:"
while IFS= read -r cmd; do
  # shellcheck disable=SC2086
  printf '%6s ms  nfa %s\n' "$(median_ms $cmd)" "$cmd"
done <<LIST
accounts list
accounts list --refreshable
tasks
tasks --show-automated
tasks --account account-00042
tasks --status ERROR --show-automated
tasks --status ERROR --status PENDING --show-automated
tasks --status ERROR --status COMPLETE --account account-00042 --show-automated
tasks --kind UpdateAdCache --show-automated
tasks --kind UpdateAdCache
tasks --since 1h
tasks --since 400d
tasks --since 2027-01-01T00:00:00Z
tasks show $last_activity
logs
logs --task $last_activity
logs --level error
logs --account account-00007
logs --since 1d
logs --since 2027-01-01T00:00:00Z
refresh account-00001 --no-run
LIST
echo "database kept at $NFA_DB (rm -r $dir)"
