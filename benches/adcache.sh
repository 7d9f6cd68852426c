#!/usr/bin/env bash
# The AD cache with USERS users (default 100,000): the first sync, an
# unchanged re-sync and a re-sync with 1% changed, each timed as the whole
# `nfa audit` (both tasks) and as the UpdateAdCache task alone (its
# started_at -> finished_at), with the ratio of the unchanged re-sync to the
# first one.
#
#   benches/adcache.sh [USERS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
users=${1:-100000}
cargo build --release --quiet --bin nfa
nfa=$PWD/target/release/nfa
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export NFA_DB="$dir/nfa.db"   # real time: the task times are measured
write_fixture() { # $1: how many users are renamed
  python3 - "$users" "$1" > "$dir/t.json" <<'PY'
import json, sys
n, changed = int(sys.argv[1]), int(sys.argv[2])
users = [{"id": f"u{i}", "display_name": f"User {i}" + (" (renamed)" if i < changed else ""),
          "upn": f"user{i}@contoso.com", "enabled": True} for i in range(n)]
groups = [{"id": f"g{i}", "display_name": f"Group {i}"} for i in range(n // 20)]
print(json.dumps({"azure": {"ok": True}, "office365": {"ok": True},
                  "directory": {"ok": True, "users": users, "groups": groups}}))
PY
}
run() { # prints whole-process ms and the cache task's ms
  local s e task
  s=$(date +%s%N)
  "$nfa" -q -o json audit c > "$dir/out.json"
  e=$(date +%s%N)
  task=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tasks"][0]["id"])' "$dir/out.json")
  echo "$(( (e - s) / 1000000 )) $(sqlite3 "$NFA_DB" "SELECT finished_at - started_at FROM tasks WHERE id = $task")"
}
median() { sort -n | sed -n "$(( ($1 + 1) / 2 ))p"; }
runs=${2:-5}
: > "$dir/first"; : > "$dir/same"; : > "$dir/changed"
: > "$dir/first_t"; : > "$dir/same_t"; : > "$dir/changed_t"
for _ in $(seq "$runs"); do
  rm -f "$NFA_DB" "$NFA_DB-wal" "$NFA_DB-shm"
  write_fixture 0
  "$nfa" -q accounts add c --source "fixture:$dir/t.json" >/dev/null
  read -r a t < <(run); echo "$a" >> "$dir/first"; echo "$t" >> "$dir/first_t"
  read -r a t < <(run); echo "$a" >> "$dir/same"; echo "$t" >> "$dir/same_t"
  write_fixture $(( users / 100 ))
  read -r a t < <(run); echo "$a" >> "$dir/changed"; echo "$t" >> "$dir/changed_t"
done
m() { median "$runs" < "$dir/$1"; }
printf '%-28s %10s %14s\n' "$users users, median of $runs" "audit ms" "cache task ms"
printf '%-28s %10s %14s\n' "first sync" "$(m first)" "$(m first_t)"
printf '%-28s %10s %14s\n' "unchanged re-sync" "$(m same)" "$(m same_t)"
printf '%-28s %10s %14s\n' "1% changed re-sync" "$(m changed)" "$(m changed_t)"
python3 -c "import sys; a,b,c,d=map(int,sys.argv[1:]); print(f'unchanged / first: {c/max(1,a):.2f} whole audit, {d/max(1,b):.2f} cache task, which includes reading the fixture (goal <= 0.5)')" "$(m first)" "$(m first_t)" "$(m same)" "$(m same_t)"
