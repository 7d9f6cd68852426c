#!/usr/bin/env bash
# N engineers (processes) refreshing the same M accounts at once, as a team
# does on a Monday morning: the wall time of the whole burst, and whether
# the policy held (exactly one `new` per account, every other call
# deduplicated), on SQLite (one shared file) and on PostgreSQL (team mode),
# each engineer under a host name of its own (NFA_HOST). Each account's
# fixture answers after LATENCY ms.
#
#   benches/team.sh [ENGINEERS] [ACCOUNTS] [LATENCY_MS]   (default 8 50 200)
#
# The PostgreSQL row needs a server where a database may be created:
# NFA_BENCH_POSTGRES (default postgres://root@127.0.0.1:5432/postgres); the
# script makes a database nfa_bench_team there and drops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
engineers=${1:-8}
accounts=${2:-50}
latency=${3:-200}
admin=${NFA_BENCH_POSTGRES:-postgres://root@127.0.0.1:5432/postgres}
cargo build --release --quiet --bin nfa
nfa=$PWD/target/release/nfa
dir=$(mktemp -d)
pgdb=nfa_bench_team
pg() { psql -q -X -d "$admin" -c "$1" >/dev/null; }
cleanup() {
  rm -rf "$dir"
  pg "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" 2>/dev/null || true
  # The database's nfa group roles (schema 7) are the server's, not the database's.
  psql -X -At -d "$admin" -c "SELECT rolname FROM pg_roles WHERE rolname LIKE '${pgdb}\_nfa\_%'" 2>/dev/null |
    while read -r r; do pg "DROP ROLE \"$r\"" 2>/dev/null || true; done
}
trap cleanup EXIT
export NFA_NOW=2026-11-30T08:00:00Z
python3 - "$dir/t.json" "$latency" <<'PY'
import json, sys
json.dump({"latency_ms": int(sys.argv[2]), "azure": {"ok": True}, "office365": {"ok": True},
           "directory": {"ok": True, "users": [], "groups": []}}, open(sys.argv[1], "w"))
PY
{
  echo "name,source,last_activity_at"
  for i in $(seq "$accounts"); do echo "customer-$i,fixture:$dir/t.json,2026-11-01T08:00:00Z"; done
} > "$dir/accounts.csv"
burst() { # engineers: all refresh every account at once; prints wall seconds
  local n=$1 s e
  s=$(date +%s%N)
  for p in $(seq "$n"); do
    seq "$accounts" | sed 's/^/customer-/' \
      | NFA_HOST="engineer-$p" "$nfa" -q -o json refresh - --jobs 2 > "$dir/out.$p.json" &
  done
  wait
  e=$(date +%s%N)
  python3 -c "print(f'{($e - $s) / 1e9:.2f}')"
}
row() { # backend, database: imports the accounts, runs the burst, prints a row
  local backend=$1 wall new dedup held
  export NFA_DB=$2
  "$nfa" -q accounts import "$dir/accounts.csv" >/dev/null
  wall=$(burst "$engineers")
  read -r new dedup held < <(python3 - "$dir" "$engineers" "$accounts" <<'PY'
import json, sys, collections
d, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
per = collections.Counter()
new = dedup = 0
for p in range(1, n + 1):
    for r in json.load(open(f"{d}/out.{p}.json")):
        if r["decision"] == "new":
            new += 1
            per[r["account"]] += 1
        elif r["decision"] == "deduplicated":
            dedup += 1
held = new == m and dedup == (n - 1) * m and all(v == 1 for v in per.values())
print(new, dedup, "yes" if held else "NO")
PY
)
  printf '%-8s %10s %9s %8s %6s %13s %s\n' "$backend" "$engineers" "$accounts" "$wall" "$new" "$dedup" "$held"
}
printf '%-8s %10s %9s %8s %6s %13s %s\n' backend engineers accounts "wall s" new deduplicated "policy held"
row sqlite "$dir/nfa.db"
if pg "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" 2>/dev/null && pg "CREATE DATABASE $pgdb"; then
  row postgres "${admin%/*}/$pgdb"
else
  echo "postgres: skipped (no server at $admin; set NFA_BENCH_POSTGRES)"
fi
solo=$(NFA_DB="$dir/solo.db"; export NFA_DB; "$nfa" -q accounts import "$dir/accounts.csv" >/dev/null; burst 1)
echo "for scale: the same $accounts accounts refreshed by one engineer alone (--jobs 2, SQLite): $solo s"
