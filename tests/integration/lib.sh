# Sourced by the integration scripts (`. "$(dirname "$0")/lib.sh"`): the
# pass/fail counters and their reporters, a one-query helper and the dump
# the determinism checks compare. Each script prints "$pass passed, $fail
# failed" at its end and exits non-zero if fail > 0.
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/     /'; }
q() { sqlite3 "$1" "$2"; }
# The results store FILE as SQL, without the wall-clock rows of runs and run_metrics.
tables_dump() {
  sqlite3 "$1" .dump | grep -v '^INSERT INTO runs ' | grep -v "^INSERT INTO run_metrics VALUES([0-9]*,'wall_"
}
