#!/usr/bin/env bash
# The live path against a local stand-in for login, Graph and ARM
# (benches/live_standin.py: each on a port of its own, every answer after
# LATENCY ms): per live refresh of one account (its two tasks, run by
# `nfa audit`: a first sync, then an unchanged re-sync) the requests, the
# sequential round trips (the span of its requests over the latency) and
# the TCP connections to each host (two to the sign-in host: its two tokens
# are asked for at once), each beside issue 20's floor and goal; an audit
# of TENANTS tenants at --jobs 1 and --jobs 32 against the ideal (the
# floor's round trips, one after the other per job), with the connections
# per account per host of the run (the pool keeps them); and the bytes a
# 100,000-user first sync downloads, against the same answers uncompressed.
#
#   benches/live.sh [LATENCY_MS] [TENANTS]   (default 50 200)
#
# The floor (issue 20): both tokens at once, then one $batch with the
# users, groups and organization reads and the ARM read beside it:
# 2 round trips, 4 requests.
set -euo pipefail
cd "$(dirname "$0")/.."
latency=${1:-50}
tenants=${2:-200}
cargo build --release --quiet --bin nfa
nfa=$PWD/target/release/nfa
dir=$(mktemp -d)
pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; pid=; }
trap 'stop; rm -rf "$dir"' EXIT
export NFA_NOW=2026-11-30T08:00:00Z NFA_BENCH_SECRET=bench-secret
start() { # users: starts a fresh stand-in (fresh counts), points nfa at it
  stop
  rm -f "$dir/ports" "$dir/stats"
  python3 benches/live_standin.py "$dir/ports" "$dir/stats" "$latency" "$1" &
  pid=$!
  while [ ! -f "$dir/ports" ]; do sleep 0.05; done
  read -r login graph arm < <(python3 -c "import json; p=json.load(open('$dir/ports')); print(p['login'], p['graph'], p['arm'])")
  export NFA_LOGIN_URL=http://127.0.0.1:$login NFA_GRAPH_URL=http://127.0.0.1:$graph NFA_ARM_URL=http://127.0.0.1:$arm
}
finish() { # stops the stand-in; its counts are in $dir/stats
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
}
add() { # database, count: that many live accounts, each of its own tenant
  local i
  for i in $(seq "$2"); do
    NFA_DB=$1 "$nfa" -q accounts add "customer-$i" --source "graph:$(printf '%08d-0000-4000-8000-000000000000' "$i")" \
      --client-id 11111111-2222-3333-4444-555555555555 --client-secret-env NFA_BENCH_SECRET \
      --subscription aaaabbbb-0000-cccc-1111-dddd2222eeee >/dev/null
  done
}
figures() { # what: a row of the per-refresh table from $dir/stats
  python3 - "$dir/stats" "$latency" "$1" <<'PY'
import json, sys
s, lat, what = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
times = [t for h in s.values() for t in h["times"]]
span = max(e for _, e in times) - min(b for b, _ in times)
rounds = round(span * 1000 / lat)
reqs = sum(h["requests"] for h in s.values())
conns = "/".join(str(s[h]["connections"]) for h in ("login", "graph", "arm"))
print(f"{what:<26} {reqs:>4} (floor 4, x{reqs / 4:.2f})  {rounds:>3} (floor 2, x{rounds / 2:.2f})"
      f"  {conns:>7}   goal: ratios <= 1.5")
PY
}

echo "one live account, its two tasks (nfa audit), at ${latency} ms a request:"
printf '%-26s %s  %s  %s\n' "" "requests" "sequential round trips" "connections login/graph/arm"
db=$dir/one.db
add "$db" 1
start 500
NFA_DB=$db "$nfa" -q audit customer-1 >/dev/null
finish
figures "first sync (500 users)"
start 500
NFA_DB=$db "$nfa" -q audit customer-1 >/dev/null # (the stand-in's delta links carry on)
finish
figures "unchanged re-sync"

echo
echo "nfa audit --all of $tenants tenants (500 users each), at ${latency} ms a request:"
db=$dir/many.db
add "$db" "$tenants"
for jobs in 1 32; do
  start 500
  s=$(date +%s%N)
  NFA_DB=$db "$nfa" -q audit --all --jobs "$jobs" >/dev/null
  e=$(date +%s%N)
  finish
  python3 - "$s" "$e" "$latency" "$tenants" "$jobs" "$dir/stats" <<'PY'
import json, sys
s, e, lat, n, jobs = (int(x) for x in sys.argv[1:6])
st = json.load(open(sys.argv[6]))
wall = (e - s) / 1e9
ideal = 2 * lat / 1000 * -(-n // jobs)
goal = 1.5 if jobs == 1 else 2
per = max(h["connections"] for h in st.values()) / n
print(f"--jobs {jobs:<3} {wall:7.2f} s   ideal {ideal:6.2f} s   x{wall / ideal:.2f} (goal <= {goal})"
      f"   connections per account per host {per:.2f} (goal <= 1)")
PY
done

echo
db=$dir/big.db
add "$db" 1
start 100000
NFA_DB=$db "$nfa" -q audit customer-1 >/dev/null
finish
python3 - "$dir/stats" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["graph"]
print(f"first sync of 100,000 users: {g['bytes'] / 1e6:.2f} MB from Graph as sent, "
      f"{g['plain_bytes'] / 1e6:.2f} MB uncompressed (1/{g['plain_bytes'] / g['bytes']:.1f}; goal <= 1/5)")
PY
