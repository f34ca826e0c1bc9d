#!/bin/sh
# Integration tests of the cloudmix program: determinism of the results
# tables, exit codes and messages for malformed scenarios, --help on every
# subcommand, `trace info` on the public traces' fixtures, the benchmarks
# in quick mode. Needs CLOUDMIX (the binary);
# run from the repository root (make integration does both).
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"

# Everything in the results store but the wall-clock columns of runs.
model_dump() {
  tables_dump "$1"
  sqlite3 "$1" 'SELECT id, model, scenario_path, scenario_text, seed, version, events, sim_end_ns, status FROM runs'
}

short="--set run.duration_s=600"
# --- determinism -----------------------------------------------------------
$CLOUDMIX run scenarios/demo.ini $short --quiet --out "$T/a.db" &&
  $CLOUDMIX run scenarios/demo.ini $short --quiet --out "$T/b.db" &&
  $CLOUDMIX run scenarios/demo.ini $short --quiet --seed 2 --out "$T/c.db" || bad "demo runs exit 0"
model_dump "$T/a.db" > "$T/a.sql"; model_dump "$T/b.db" > "$T/b.sql"; model_dump "$T/c.db" > "$T/c.sql"
if [ -s "$T/a.sql" ] && cmp -s "$T/a.sql" "$T/b.sql"; then ok "same scenario and seed: byte-identical model tables"
else bad "same scenario and seed: byte-identical model tables" "$(diff "$T/a.sql" "$T/b.sql" | head -5)"; fi
if ! cmp -s "$T/a.sql" "$T/c.sql"; then ok "different seed: different tables"; else bad "different seed: different tables"; fi
jobs=$(sqlite3 "$T/a.db" "SELECT count(*) FROM demo_jobs")
arr=$(sqlite3 "$T/a.db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name = 'arrivals'")
if [ "$jobs" -gt 0 ] && [ "$jobs" = "$arr" ]; then ok "every invocation has one recorded outcome ($jobs)"
else bad "every invocation has one recorded outcome" "jobs=$jobs arrivals=$arr"; fi
# A finite queue drops, and the drops are recorded with their reason.
$CLOUDMIX run scenarios/demo.ini $short --quiet --set demo.queue_capacity=1 --set demo.arrival_rate_per_s=60 \
  --out "$T/d.db" || bad "finite queue run exits 0"
dropped=$(sqlite3 "$T/d.db" "SELECT count(*) FROM demo_jobs WHERE outcome = 'dropped_queue_full'")
total=$(sqlite3 "$T/d.db" "SELECT count(*) = (SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name='arrivals') FROM demo_jobs")
if [ "$dropped" -gt 0 ] && [ "$total" = 1 ]; then ok "queue-full drops recorded ($dropped)"; else bad "queue-full drops recorded" "dropped=$dropped"; fi

# --- run_params: the effective parameters of each run, --set and --seed included
params() { sqlite3 "$1" "SELECT group_concat(key || '=' || value, ' ') FROM run_params WHERE run_id = 1 AND key IN ($2)"; }
got=$(params "$T/d.db" "'demo.queue_capacity', 'demo.arrival_rate_per_s', 'demo.servers', 'demo.service_cv', 'run.seed', 'run.mode'")
want="demo.arrival_rate_per_s=60 demo.queue_capacity=1 demo.servers=10 demo.service_cv=1 run.mode=sim run.seed=1"
[ "$got" = "$want" ] && ok "run_params: --set values, file values, schema defaults, seed, mode ($got)" ||
  bad "run_params: --set values, file values, schema defaults, seed, mode" "got:  $got
want: $want"
got=$(params "$T/c.db" "'run.seed'")
[ "$got" = "run.seed=2" ] && ok "run_params: run.seed is the --seed given" || bad "run_params: run.seed is the --seed given" "$got"

# --- run status: a killed run becomes incomplete at the next open; a live one stays running
K=$T/status.db
long="--set demo.record_jobs=false --set run.duration_s=1e9" # no rows until its end: holds no write lock
# wait_running ID: wait (at most 10 s) until run ID is visible as running in $K
wait_running() {
  i=0
  while [ "$(sqlite3 "$K" "SELECT status FROM runs WHERE id = $1" 2>/dev/null)" != running ] && [ $i -lt 100 ]; do
    sleep 0.1; i=$((i + 1)); done
}
statuses() { sqlite3 "$K" "SELECT group_concat(id || ':' || status, ' ') FROM runs"; }
$CLOUDMIX run scenarios/demo.ini $long --quiet --out "$K" & live=$!
wait_running 1
$CLOUDMIX run scenarios/demo.ini $long --quiet --out "$K" & victim=$!
wait_running 2
kill -9 $victim; wait $victim 2>/dev/null
before=$(statuses)
$CLOUDMIX run scenarios/cloudless/fig9-fault-tolerance.ini --out "$K" >/dev/null 2>"$T/status.err" ||
  bad "a run after the killed one exits 0" "$(cat "$T/status.err")"
after=$(statuses)
want="cloudmix: $K: run 2 was left running by a process of this host that is gone; marked incomplete"
[ "$(cat "$T/status.err")" = "$want" ] && ok "the run that marked it says so: $want" ||
  bad "the run that marked it says so" "$(cat "$T/status.err")"
host=$(sqlite3 "$K" "SELECT count(*) FROM runs WHERE writer_host IS NOT NULL AND writer_pid > 0 AND writer_start LIKE '% % %'")
if [ "$before" = "1:running 2:running" ] && [ "$after" = "1:running 2:incomplete 3:complete" ] && [ "$host" = 3 ]; then
  ok "killed run -> incomplete at the next open, live run stays running ($after)"
else bad "killed run -> incomplete at the next open, live run stays running" "before: $before; after: $after; writers: $host"; fi
# plot_refuses NAME WANT ARGS...: plot exits 2 with WANT in one line
plot_refuses() {
  name=$1; want=$2; shift 2
  out=$($CLOUDMIX plot "$@" --out "$T/p.png" 2>&1 >/dev/null); rc=$?
  case "$out" in
    *"$want"*) [ $rc -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && ok "$name -> exit 2: $out" || bad "$name" "rc=$rc: $out" ;;
    *) bad "$name" "rc=$rc, wanted '$want' in: $out" ;;
  esac
}
plot_refuses "plot refuses an incomplete run" "$K: run 2 is incomplete" "$K" --run 2
plot_refuses "plot refuses a running run" "$K: run 1 is running" "$K" --run 1
$CLOUDMIX run scenarios/demo.ini $long --quiet --out "$K" & victim=$!
wait_running 4
kill -9 $victim; wait $victim 2>/dev/null
if command -v gnuplot >/dev/null; then
  out=$($CLOUDMIX plot "$K" --out "$T/p.png" 2>&1); rc=$?
  case "$out" in
    *"$K: skipped run 4 (running): not complete"*"fig9 of run 3"*) [ $rc -eq 0 ] && ok "plot skips the newer unfinished run: $(echo $out)" || bad "plot skips the newer unfinished run" "rc=$rc: $out" ;;
    *) bad "plot skips the newer unfinished run" "rc=$rc: $out" ;;
  esac
fi
kill $live; wait $live 2>/dev/null
$CLOUDMIX run scenarios/demo.ini $short --quiet --set demo.record_jobs=false --out "$K" || bad "a run after the live one was stopped exits 0"
[ "$(statuses)" = "1:incomplete 2:incomplete 3:complete 4:incomplete 5:complete" ] && ok "stopped run -> incomplete ($(statuses))" ||
  bad "stopped run -> incomplete" "$(statuses)"

# --- malformed scenarios: exit 2, one line naming file (group, key) --------
expect_bad() { # name, expected message fragment, args...
  name=$1; want=$2; shift 2
  out=$($CLOUDMIX run "$@" --quiet --out "$T/bad.db" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$out" | wc -l)
  case "$out" in
    *"$want"*) if [ $rc -eq 2 ] && [ "$lines" -eq 1 ]; then ok "$name -> exit 2: $out"; else bad "$name" "rc=$rc lines=$lines: $out"; fi ;;
    *) bad "$name" "rc=$rc, wanted '$want' in: $out" ;;
  esac
}
D=tests/integration/data
expect_bad "unknown key" "$D/unknown_key.ini:15: [demo] servres: unknown key; did you mean 'servers'?" $D/unknown_key.ini
expect_bad "wrong type" "$D/wrong_type.ini:13: [demo] servers: found 'ten', expected an integer" $D/wrong_type.ini
expect_bad "negative rate" "$D/negative_rate.ini:11: [demo] arrival_rate_per_s: found '-5', expected a number" $D/negative_rate.ini
expect_bad "missing file" "$T/nope.ini: cannot open: No such file or directory" "$T/nope.ini"
: > "$T/empty.ini"
expect_bad "empty file" "$T/empty.ini: empty scenario" "$T/empty.ini"
head -c 4096 /dev/urandom > "$T/garbage.ini"
expect_bad "binary garbage" "$T/garbage.ini: not a scenario file" "$T/garbage.ini"
printf '\177ELF\002\001\001\000garbage\n' > "$T/elf.ini"
expect_bad "binary header" "$T/elf.ini: not a scenario file" "$T/elf.ini"
expect_bad "unknown group" "$D/unknown_group.ini:13: [dmeo]: unknown group; did you mean [demo]?" $D/unknown_group.ini
expect_bad "missing required key" "[demo] arrival_rate_per_s: missing" $D/missing_rate.ini
expect_bad "bad --set" "--set demo.servers=0: [demo] servers: found '0'" scenarios/demo.ini --set demo.servers=0
expect_bad "bad --set syntax" "--set 'servers': expected group.key=value" scenarios/demo.ini --set servers
# bad usage
$CLOUDMIX run >/dev/null 2>&1; [ $? -eq 2 ] && ok "run without scenario -> 2" || bad "run without scenario -> 2"
$CLOUDMIX nosuch >/dev/null 2>&1; [ $? -eq 2 ] && ok "unknown subcommand -> 2" || bad "unknown subcommand -> 2"
$CLOUDMIX run scenarios/demo.ini --seed x >/dev/null 2>&1; [ $? -eq 2 ] && ok "bad --seed -> 2" || bad "bad --seed -> 2"
printf 'not sqlite' > "$T/notdb.db"
out=$($CLOUDMIX run scenarios/demo.ini --quiet --out "$T/notdb.db" 2>&1); rc=$?
case "$out" in *notdb.db*) [ $rc -eq 2 ] && ok "results file not ours -> 2" || bad "results file not ours" "rc=$rc $out" ;; *) bad "results file not ours" "$out" ;; esac

# --- help and version --------------------------------------------------------
for sub in run bench trace; do
  if $CLOUDMIX $sub --help | grep -qi usage; then ok "$sub --help"; else bad "$sub --help"; fi
done
$CLOUDMIX --help | grep -q Subcommands && ok "--help" || bad "--help"
$CLOUDMIX --version | grep -q '^cloudmix ' && ok "--version" || bad "--version"

# --- trace info on the public traces' fixtures (traces/README.md) ------------
trace_expect() { # name, file, expected lines (grep -F, one per line), args...
  name=$1; file=$2; want=$3; shift 3
  out=$($CLOUDMIX trace info "$file" "$@" 2>&1); rc=$?
  miss=$(printf '%s\n' "$want" | while IFS= read -r l; do printf '%s\n' "$out" | grep -qF -- "$l" || echo "$l"; done)
  if [ $rc -eq 0 ] && [ -z "$miss" ]; then ok "trace info $name"; else bad "trace info $name" "rc=$rc missing: $miss"; fi
}
trace_expect azure2019 traces/samples/azure2019 "$(printf '(azure2019)\ninvocations: 223\nfunctions:   4\ndurations:   221 of 223 known\n           207  fn2a')"
trace_expect "azure2021 window" traces/samples/azure2021/invocations.csv \
  "$(printf '(azure2021)\ninvocations: 6\nspan:        5.000000 s to 14.375000 s')" --start 5 --length 60
trace_expect "huawei2023 filter" traces/samples/huawei2023/requests_minute \
  "$(printf '(huawei2023)\ninvocations: 63\nfunctions:   1\n            63  7')" --functions 7 --spread uniform
printf 'app,func,end_timestamp,duration\nA,f,1,x\n' > "$T/bad-trace.csv"
out=$($CLOUDMIX trace info "$T/bad-trace.csv" 2>&1); rc=$?
if [ $rc -eq 2 ] && [ "$out" = "cloudmix trace: $T/bad-trace.csv:2:7: expected a duration in seconds from 0 to 1e+09" ]; then
  ok "trace info: a malformed row exits 2 naming FILE:LINE:COL"
else bad "trace info: a malformed row exits 2 naming FILE:LINE:COL" "rc=$rc: $out"; fi
$CLOUDMIX trace info traces/samples/azure2019 --spread sideways >/dev/null 2>&1
[ $? -eq 2 ] && ok "trace info: a bad --spread exits 2" || bad "trace info: a bad --spread exits 2"

# --- benchmarks run (quick sizes; figures are not judged here) --------------
bout=$($CLOUDMIX bench --quick 2>/dev/null); rc=$?
for b in engine-hold mm1 results-store cloudless-live sphinx mixnet-sim mixnode-udp real-storage replay; do
  if [ $rc -eq 0 ] && printf '%s\n' "$bout" | grep -q "^bench $b "; then ok "bench $b prints"; else bad "bench $b prints" "rc=$rc"; fi
done

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
