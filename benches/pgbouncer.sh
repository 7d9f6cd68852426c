#!/usr/bin/env bash
# Team mode behind a real PgBouncer in transaction pooling mode, with no
# NFA_PG_POOLER set: N engineers (processes, `--jobs 2` each) refresh the
# same M accounts at once through the pooler, as benches/team.sh does
# against the server. Prints the wall time, whether the policy held
# (exactly one `new` per account, every other call deduplicated), the
# errors seen, and how many server connections the pooler held.
#
#   benches/pgbouncer.sh [ENGINEERS] [ACCOUNTS]   (default 32 200)
#
# Needs pgbouncer on PATH (Debian: apt-get install pgbouncer) and a server
# where a database may be created: NFA_BENCH_POSTGRES (default
# postgres://root@127.0.0.1:5432/postgres), reached by the pooler with
# trust authentication. The pooler listens on 127.0.0.1:6439 for the run;
# the database nfa_bench_pooler is dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
engineers=${1:-32}
accounts=${2:-200}
admin=${NFA_BENCH_POSTGRES:-postgres://root@127.0.0.1:5432/postgres}
command -v pgbouncer >/dev/null || { echo "pgbouncer: skipped (not installed)"; exit 0; }
cargo build --release --quiet --bin nfa
nfa=$PWD/target/release/nfa
dir=$(mktemp -d)
chmod 755 "$dir"
pgdb=nfa_bench_pooler
pg() { psql -q -X -d "$admin" -c "$1" >/dev/null; }
cleanup() {
  [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
  pg "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" 2>/dev/null || true
  psql -X -At -d "$admin" -c "SELECT rolname FROM pg_roles WHERE rolname LIKE '${pgdb}\_nfa\_%'" 2>/dev/null |
    while read -r r; do pg "DROP ROLE \"$r\"" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
user=$(psql -X -At -d "$admin" -c "SELECT current_user")
cat > "$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6439
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
echo "\"$user\" \"\"" > "$dir/userlist.txt"
# PgBouncer will not run as root.
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$dir"
  su postgres -s /bin/sh -c "pgbouncer -d '$dir/pgbouncer.ini'"
else
  pgbouncer -d "$dir/pgbouncer.ini"
fi
for _ in $(seq 50); do [ -f "$dir/pgbouncer.pid" ] && break; sleep 0.1; done
echo "$(pgbouncer --version | head -1), pool_mode = transaction, default_pool_size = 20; NFA_PG_POOLER unset"
pg "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" 2>/dev/null || true
pg "CREATE DATABASE $pgdb"
export NFA_NOW=2026-11-30T08:00:00Z
export NFA_DB="postgres://$user@127.0.0.1:6439/$pgdb?sslmode=disable"
unset NFA_PG_POOLER
echo '{"latency_ms": 100, "azure": {"ok": true}, "office365": {"ok": true}, "directory": {"ok": true, "users": [], "groups": []}}' > "$dir/t.json"
{
  echo "name,source,last_activity_at"
  for i in $(seq "$accounts"); do echo "customer-$i,fixture:$dir/t.json,2026-11-01T08:00:00Z"; done
} > "$dir/accounts.csv"
"$nfa" -q accounts import "$dir/accounts.csv" >/dev/null
s=$(date +%s%N)
for p in $(seq "$engineers"); do
  seq "$accounts" | sed 's/^/customer-/' \
    | NFA_HOST="engineer-$p" "$nfa" -q -o json refresh - --jobs 2 > "$dir/out.$p.json" 2> "$dir/err.$p.txt" &
done
wait
e=$(date +%s%N)
servers=$(psql -X -At -d "$admin" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$pgdb'")
python3 - "$dir" "$engineers" "$accounts" "$(( (e - s) / 1000000 ))" "$servers" <<'PY'
import collections, json, sys
d, n, m, ms, servers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
per = collections.Counter()
new = dedup = 0
errors = collections.Counter()
for p in range(1, n + 1):
    for line in open(f"{d}/err.{p}.txt"):
        errors[line.strip()] += 1
    try:
        for r in json.load(open(f"{d}/out.{p}.json")):
            if r["decision"] == "new":
                new += 1
                per[r["account"]] += 1
            elif r["decision"] == "deduplicated":
                dedup += 1
    except ValueError:
        pass
held = new == m and dedup == (n - 1) * m and all(v == 1 for v in per.values())
print(f"{n} engineers, {m} accounts through the pooler: {ms / 1000:.2f} s, "
      f"{new} new, {dedup} deduplicated, policy held: {'yes' if held else 'NO'} (goal: yes)")
print(f"lines on standard error: {sum(errors.values())} (goal: 0)")
for line, k in errors.most_common(5):
    print(f"  {k} x {line}")
print(f"server connections the pooler held at the end: {servers}")
PY
