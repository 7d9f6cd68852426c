#!/usr/bin/env bash
# Whole-process time and peak memory of the unbounded list commands in every
# format, beside the stock sqlite3 shell reading the same rows of the same
# file (-column, -csv, -json), with the ratio and the issue's goal. Seeds
# TASKS tasks (default 1,000,000) over ACCOUNTS accounts (default 5,000)
# with examples/seed.rs, or reuses BENCH_DB.
#
#   benches/output.sh [TASKS] [ACCOUNTS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
tasks=${1:-1000000}
accounts=${2:-5000}
runs=${3:-3}
cargo build --release --quiet --bin nfa --example seed
export NFA_NOW=2026-11-30T08:00:00Z
if [ -n "${BENCH_DB:-}" ]; then
  export NFA_DB="$BENCH_DB"
else
  dir=$(mktemp -d)
  export NFA_DB="$dir/big.db"
  ./target/release/examples/seed "$NFA_DB" "$tasks" "$accounts" 2>/dev/null
  ./target/release/nfa accounts list >/dev/null # migrate, if needed
fi
nfa=$PWD/target/release/nfa
# "seconds peak-KiB" of the median run (by time) of a command.
measure() {
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1
  done | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
TASKS_SQL="SELECT t.id, t.parent_id, t.account_id, a.name, t.kind, t.automated, t.status, t.decision,
  t.description, t.error, t.created_at, t.started_at, t.finished_at
  FROM tasks t JOIN accounts a ON a.id = t.account_id ORDER BY t.id DESC"
LOGS_SQL="SELECT l.id, l.time, l.level, l.task_id, l.account_id, l.event, l.detail, a.name
  FROM logs l LEFT JOIN accounts a ON a.id = l.account_id ORDER BY l.id DESC"
ACCOUNTS_SQL="SELECT a.*, c.* FROM accounts a
  LEFT JOIN checks c ON c.id = (SELECT max(id) FROM checks WHERE account_id = a.id) ORDER BY a.id"
rows=$(sqlite3 "$NFA_DB" "SELECT count(*) FROM tasks")
printf '%-44s %8s %8s %9s %7s %s\n' "command ($rows tasks)" "nfa s" "sqlite3" "ratio" "MiB" "goal"
compare() { # label goal shell-mode sql nfa-args...
  local label=$1 goal=$2 mode=$3 sql=$4; shift 4
  read -r ns nk < <(measure "$nfa" "$@")
  read -r ss _ < <(measure sqlite3 "$mode" "$NFA_DB" "$sql")
  printf '%-44s %8s %8s %8.2fx %7d %s\n' "$label" "$ns" "$ss" \
    "$(python3 -c "print($ns / max($ss, 0.001))")" "$(( nk / 1024 ))" "$goal"
}
compare "tasks --limit 0 --show-automated (table)" "<=1.5x, <64MiB" -column "$TASKS_SQL" tasks --limit 0 --show-automated
compare "tasks --limit 0 --show-automated -o csv" "<=1.5x, <64MiB" -csv "$TASKS_SQL" -o csv tasks --limit 0 --show-automated
compare "tasks --limit 0 --show-automated -o json" "<=1.2x, <64MiB" -json "$TASKS_SQL" -o json tasks --limit 0 --show-automated
compare "logs --limit 0 (table)" "<=1.5x, <64MiB" -column "$LOGS_SQL" logs --limit 0
compare "logs --limit 0 -o csv" "<=1.5x, <64MiB" -csv "$LOGS_SQL" -o csv logs --limit 0
compare "logs --limit 0 -o json" "<=1.2x, <64MiB" -json "$LOGS_SQL" -o json logs --limit 0
compare "accounts list ($accounts accounts)" "<=1.5x" -column "$ACCOUNTS_SQL" accounts list
compare "accounts list -o json" "<=1.5x" -json "$ACCOUNTS_SQL" -o json accounts list
echo "database: $NFA_DB ($(du -h "$NFA_DB" | cut -f1))"
