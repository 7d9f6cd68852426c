#!/usr/bin/env bash
# N engineers (processes) refreshing the same M accounts at once, as a team
# does on a Monday morning: the wall time of the whole burst, and whether
# the policy held (exactly one `new` per account, every other call
# deduplicated). Each account's fixture answers after LATENCY ms.
# SQLite only for now (team mode's PostgreSQL backend is not built yet).
#
#   benches/team.sh [ENGINEERS] [ACCOUNTS] [LATENCY_MS]   (default 8 50 200)
set -euo pipefail
cd "$(dirname "$0")/.."
engineers=${1:-8}
accounts=${2:-50}
latency=${3:-200}
cargo build --release --quiet --bin nfa
nfa=$PWD/target/release/nfa
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export NFA_DB="$dir/nfa.db" NFA_NOW=2026-11-30T08:00:00Z
python3 - "$dir/t.json" "$latency" <<'PY'
import json, sys
json.dump({"latency_ms": int(sys.argv[2]), "azure": {"ok": True}, "office365": {"ok": True},
           "directory": {"ok": True, "users": [], "groups": []}}, open(sys.argv[1], "w"))
PY
{
  echo "name,source,last_activity_at"
  for i in $(seq "$accounts"); do echo "customer-$i,fixture:$dir/t.json,2026-11-01T08:00:00Z"; done
} > "$dir/accounts.csv"
"$nfa" -q accounts import "$dir/accounts.csv" >/dev/null
burst() { # engineers: all refresh every account at once; prints wall seconds
  local n=$1 s e
  s=$(date +%s%N)
  for p in $(seq "$n"); do
    seq "$accounts" | sed 's/^/customer-/' | "$nfa" -q -o json refresh - --jobs 2 > "$dir/out.$p.json" &
  done
  wait
  e=$(date +%s%N)
  python3 -c "print(f'{($e - $s) / 1e9:.2f}')"
}
printf '%-8s %10s %9s %8s %6s %13s %s\n' backend engineers accounts "wall s" new deduplicated "policy held"
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
printf '%-8s %10s %9s %8s %6s %13s %s\n' sqlite "$engineers" "$accounts" "$wall" "$new" "$dedup" "$held"
solo=$(NFA_DB="$dir/solo.db"; export NFA_DB; "$nfa" -q accounts import "$dir/accounts.csv" >/dev/null; burst 1)
echo "for scale: the same $accounts accounts refreshed by one engineer alone (--jobs 2): $solo s"
