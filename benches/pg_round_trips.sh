#!/usr/bin/env bash
# Round trips to PostgreSQL per command (issue 20): the socket writes of the
# nfa process to the server's port, counted with strace (each write is one
# flight of messages the client then waits on), for the open of a command
# that only reads, a refresh decided "new" (which then runs its tasks: the
# decision and the task writes), a refresh deduplicated (the decision
# alone), and a list. Needs strace and the server of NFA_BENCH_POSTGRES
# (default postgres://root@127.0.0.1:5432/postgres); makes and drops a
# database of its own.
#
#   benches/pg_round_trips.sh
set -euo pipefail
cd "$(dirname "$0")/.."
admin=${NFA_BENCH_POSTGRES:-postgres://root@127.0.0.1:5432/postgres}
db=nfa_bench_rt_$$
cargo build --quiet --bin nfa
nfa=$PWD/target/debug/nfa
psql "$admin" -qc "CREATE DATABASE $db"
dir=$(mktemp -d)
url=${admin%/*}/$db?sslmode=disable # (plain text: the decision is found by its BEGIN)
cleanup() {
  rm -rf "$dir"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  psql "$admin" -Atc "SELECT rolname FROM pg_roles WHERE rolname LIKE '${db}_nfa_%'" |
    while read -r r; do psql "$admin" -qc "DROP ROLE \"$r\"" >/dev/null; done
}
trap cleanup EXIT
export NFA_DB=$url NFA_NOW=2026-11-30T08:00:00Z
port=${url##*:}; port=${port%%/*}
cp fixtures/tenants/healthy.json "$dir/"
"$nfa" -q accounts add contoso --source "fixture:$dir/healthy.json" >/dev/null
"$nfa" -q accounts add fabrikam --source "fixture:$dir/healthy.json" >/dev/null
writes() { # the command's socket writes to the server
  strace -f -qq -yy -s 65536 -e trace=write,sendto,sendmsg -o "$dir/trace" "$nfa" -q "$@" >/dev/null 2>&1 || true
  grep ":$port\]>" "$dir/trace" >"$dir/flights" || true
  wc -l <"$dir/flights"
}
decision() { # of the last command: its first write transaction, BEGIN to COMMIT
  awk '/BEGIN/ { on = 1 } on { n++ } on && /COMMIT/ { print n; exit }' "$dir/flights"
}
printf '%-44s %8s %s\n' "command" "writes" "goal"
printf '%-44s %8s %s\n' "accounts list (open + one list)" "$(writes accounts list)" ""
printf '%-44s %8s %s\n' "refresh contoso (new, runs 2 tasks)" "$(writes refresh contoso)" ""
printf '%-44s %8s %s\n' "refresh contoso (deduplicated)" "$(writes refresh contoso)" ""
printf '%-44s %8s %s\n' "  of it, the decision (BEGIN .. COMMIT)" "$(decision)" "<= 6"
printf '%-44s %8s %s\n' "tasks --limit 20" "$(writes tasks --limit 20)" ""
echo "(connecting itself: the startup, TLS if any, and authentication, are counted in each line)"
