#!/usr/bin/env bash
# The audit service's throughput: W workers (`nfa worker --once --jobs 4`,
# each under a host name of its own) over the PENDING tasks of ACCOUNTS
# accounts (2 tasks each) whose fixture answers after LATENCY ms, for W = 1,
# 2 and 4, on SQLite and on PostgreSQL: tasks per second beside the ideal
# (W x 4 jobs, each a task per LATENCY), and that every task ran once. Then
# the pickup: how long after a `refresh --no-run` a waiting worker starts its
# first task (the task's started_at less its created_at; the contract's goal
# is within 2 s on PostgreSQL).
#
#   benches/worker.sh [ACCOUNTS] [LATENCY_MS]   (default 100 100)
#
# The PostgreSQL rows need a server where a database may be created:
# NFA_BENCH_POSTGRES (default postgres://root@127.0.0.1:5432/postgres); the
# script makes databases nfa_bench_worker_* there and drops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-100}
latency=${2:-100}
admin=${NFA_BENCH_POSTGRES:-postgres://root@127.0.0.1:5432/postgres}
cargo build --release --quiet --bin nfa
nfa=$PWD/target/release/nfa
dir=$(mktemp -d)
pg() { psql -q -X -d "$admin" -c "$1" >/dev/null; }
cleanup() {
  for db in $(psql -X -At -d "$admin" -c "SELECT datname FROM pg_database WHERE datname LIKE 'nfa\_bench\_worker\_%'" 2>/dev/null); do
    pg "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
  done
  psql -X -At -d "$admin" -c "SELECT rolname FROM pg_roles WHERE rolname LIKE 'nfa\_bench\_worker\_%\_nfa\_%'" 2>/dev/null |
    while read -r r; do pg "DROP ROLE \"$r\"" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
python3 - "$dir/t.json" "$latency" <<'PY'
import json, sys
json.dump({"latency_ms": int(sys.argv[2]), "azure": {"ok": True}, "office365": {"ok": True},
           "directory": {"ok": True, "users": [], "groups": []}}, open(sys.argv[1], "w"))
PY
{
  echo "name,source"
  for i in $(seq "$accounts"); do echo "customer-$i,fixture:$dir/t.json"; done
} > "$dir/accounts.csv"
tasks=$((accounts * 2))
fresh() { # backend, tag: a new empty database; prints its NFA_DB
  case $1 in
    sqlite) echo "$dir/$2.db" ;;
    postgres)
      pg "CREATE DATABASE nfa_bench_worker_$2"
      echo "${admin%/*}/nfa_bench_worker_$2?sslmode=disable" ;;
  esac
}
printf '%-10s %7s %7s %9s %9s %6s\n' backend workers tasks "tasks/s" ideal once
for backend in sqlite postgres; do
  for w in 1 2 4; do
    export NFA_DB
    NFA_DB=$(fresh "$backend" "w$w")
    "$nfa" -q accounts import "$dir/accounts.csv" >/dev/null
    "$nfa" -q refresh --refreshable --no-run >/dev/null
    s=$(date +%s%N)
    for h in $(seq "$w"); do
      NFA_HOST="worker-$h" "$nfa" -q -o json worker --once --jobs 4 > "$dir/out.$h" &
    done
    wait
    e=$(date +%s%N)
    ran=$(cat "$dir"/out.* | wc -l)
    once=$(cat "$dir"/out.* | python3 -c "import json,sys; ids=[json.loads(l)['task_id'] for l in sys.stdin]; print('yes' if len(ids)==len(set(ids))=="$tasks" else 'NO')" 2>/dev/null || echo NO)
    [ "$ran" = "$tasks" ] || once=NO
    rm -f "$dir"/out.*
    python3 -c "
t=($e-$s)/1e9; print(f'%-10s %7d %7d %9.1f %9.1f %6s' % ('$backend', $w, $ran, $ran/t, $w*4*1000/$latency, '$once'))"
  done
done
echo
printf '%-10s %s\n' backend "pickup: started_at - created_at of a refresh's first task (5 refreshes, ms)"
for backend in sqlite postgres; do
  export NFA_DB
  NFA_DB=$(fresh "$backend" pickup)
  "$nfa" -q accounts import "$dir/accounts.csv" >/dev/null
  "$nfa" -q worker --jobs 2 >/dev/null 2>&1 &
  wpid=$!
  sleep 1
  picks=()
  for i in 1 2 3 4 5; do
    id=$("$nfa" -q -o json refresh "customer-$i" --no-run | python3 -c "import json,sys; print(json.load(sys.stdin)['tasks'][0]['id'])")
    while :; do
      t=$("$nfa" -o json tasks show "$id")
      if python3 -c "import json,sys; sys.exit(0 if json.loads(sys.argv[1])['started_at'] else 1)" "$t"; then break; fi
      sleep 0.05
    done
    picks+=("$(python3 -c "
import json,sys; from datetime import datetime
t=json.loads(sys.argv[1]); f=lambda s: datetime.fromisoformat(s.replace('Z','+00:00'))
print(int((f(t['started_at'])-f(t['created_at'])).total_seconds()*1000))" "$t")")
  done
  kill -TERM "$wpid"; wait "$wpid" || true
  printf '%-10s %s   (goal: under 2000 on postgres)\n' "$backend" "${picks[*]}"
done
