#!/usr/bin/env bash
# Bytes per task of a database built the way an MSP builds one: ACCOUNTS
# accounts over fixture tenants (one in ten failing its check), refreshed by
# an engineer every morning and audited every night for DAYS days, with the
# real binary. Prints tasks, log lines, file size and bytes per task (after
# VACUUM, so that free pages do not count), and the share of the indexes
# when the sqlite3 shell has the dbstat table.
#
#   benches/storage.sh [ACCOUNTS] [DAYS]        (default 200 accounts, 10 days)
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-200}
days=${2:-10}
cargo build --release --quiet --bin nfa
nfa=$PWD/target/release/nfa
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export NFA_DB="$dir/nfa.db"
cp fixtures/tenants/healthy.json fixtures/tenants/o365-token-expired.json "$dir/"
{
  echo "name,source"
  for i in $(seq "$accounts"); do
    if (( i % 10 == 0 )); then t=o365-token-expired.json; else t=healthy.json; fi
    echo "customer-$i,fixture:$dir/$t"
  done
} > "$dir/accounts.csv"
NFA_NOW=2026-01-01T00:00:00Z "$nfa" -q accounts import "$dir/accounts.csv" >/dev/null
for d in $(seq "$days"); do
  day=$(date -u -d "2026-01-01 + $d days" +%Y-%m-%d)
  NFA_NOW=${day}T02:00:00Z "$nfa" -q audit --all --jobs 2 >/dev/null || true
  seq "$accounts" | sed 's/^/customer-/' |
    NFA_NOW=${day}T09:00:00Z "$nfa" -q refresh - --jobs 2 >/dev/null || true
done
sqlite3 "$NFA_DB" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
tasks=$(sqlite3 "$NFA_DB" "SELECT count(*) FROM tasks")
lines=$(sqlite3 "$NFA_DB" "SELECT count(*) FROM logs")
bytes=$(stat -c %s "$NFA_DB")
echo "schema version $(sqlite3 "$NFA_DB" 'PRAGMA user_version')"
echo "$accounts accounts, $days days: $tasks tasks, $lines log lines ($(( lines * 10 / tasks )) per 10 tasks)"
echo "file: $bytes bytes = $(( bytes / tasks )) bytes per task (goal <= 200; 760 before the compact schema)"
if sqlite3 "$NFA_DB" "SELECT 1 FROM dbstat LIMIT 1" >/dev/null 2>&1; then
  sqlite3 -column "$NFA_DB" "SELECT name, sum(pgsize) AS bytes, sum(pgsize) / $tasks AS per_task
                             FROM dbstat GROUP BY name ORDER BY bytes DESC"
fi
