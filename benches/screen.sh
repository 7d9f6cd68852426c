#!/usr/bin/env bash
# `nfa ui`'s frame at ACCOUNTS accounts (default 5,000): ms per frame at
# 80x24 and 120x40 beside the goal (< 50 ms), and the time to take in a
# read of them (release build: the bench profile). Then how soon another
# process's refresh shows on the screen (benches/screen_latency.py, on a
# pty, RUNS refreshes, default 5), on SQLite and on PostgreSQL, beside the
# goal (< 2 s).
#
#   benches/screen.sh [ACCOUNTS] [RUNS]
#
# The PostgreSQL row needs a server where a database may be created:
# NFA_BENCH_POSTGRES (default postgres://root@127.0.0.1:5432/postgres); the
# script makes the database nfa_bench_screen there and drops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${2:-5}
admin=${NFA_BENCH_POSTGRES:-postgres://root@127.0.0.1:5432/postgres}
cargo bench --quiet --bench screen -- "${1:-5000}"
cargo build --release --quiet --bin nfa
nfa=$PWD/target/release/nfa
dir=$(mktemp -d)
pg() { psql -q -X -d "$admin" -c "$1" >/dev/null; }
cleanup() {
  pg "DROP DATABASE IF EXISTS nfa_bench_screen WITH (FORCE)" 2>/dev/null || true
  psql -X -At -d "$admin" -c "SELECT rolname FROM pg_roles WHERE rolname LIKE 'nfa\_bench\_screen\_nfa\_%'" 2>/dev/null |
    while read -r r; do pg "DROP ROLE \"$r\"" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
echo '{"azure": {"ok": true}, "office365": {"ok": true}, "directory": {"ok": true, "users": [], "groups": []}}' > "$dir/t.json"
{
  echo "name,source"
  for i in $(seq $((runs + 1))); do echo "customer-$i,fixture:$dir/t.json"; done
} > "$dir/accounts.csv"
echo
printf '%-10s %s\n' backend "another process's refresh shown (ms from its exit, $runs refreshes)"
for backend in sqlite postgres; do
  export NFA_DB
  case $backend in
    sqlite) NFA_DB=$dir/screen.db ;;
    postgres)
      pg "CREATE DATABASE nfa_bench_screen"
      NFA_DB="${admin%/*}/nfa_bench_screen?sslmode=disable" ;;
  esac
  "$nfa" -q accounts import "$dir/accounts.csv" >/dev/null
  printf '%-10s %s\n' "$backend" "$(python3 benches/screen_latency.py "$nfa" "$runs")"
done
