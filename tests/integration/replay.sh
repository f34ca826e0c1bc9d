#!/bin/sh
# Integration tests of trace recording and replay (`cloudmix run
# --record-trace`, `cloudmix replay`), on loopback only:
#  a. a simulated run recorded, replayed in simulation and recorded again:
#     the arrivals (id, time, function, sizes) are identical, one row per
#     call, and trace_map says resnet18 -> resnet18 by name;
#  b. a real run against `cloudmix emulate` recorded, replayed in
#     simulation: its arrivals reproduced exactly; the emulator runs a
#     call for the time X-Cloudmix-Exec-Ns asks and refuses a bad value
#     with 400;
#  c. bad inputs exit 2 with one line: a missing trace, a malformed row
#     (FILE:LINE:COL), unknown --map and --spread, a name map whose trace
#     function the scenario lacks (naming it); round-robin and duration
#     map it instead.
#  d. each public trace's fixture (traces/samples/: azure2019, azure2021,
#     huawei2023) replayed round-robin: as many calls as the importer
#     yields, every one in trace_map and in the replay's own recording.
# Every step is bounded by `timeout`; the emulator is killed by the trap.
# Needs CLOUDMIX, curl, sqlite3, /usr/bin/python3. About 15 s.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export NO_PROXY='*' no_proxy='*'
S=scenarios/cloudless/fig9-fault-tolerance.ini
# arrivals ID,T,FUNCTION,REQ,RESP of a trace, by id
arrivals() { tail -n +3 "$1" | grep -v '^#' | sort -t, -k1,1n | cut -d, -f1-5; }

# --- a. sim -> trace -> replay -> trace ---------------------------------------------
timeout 60 "$CLOUDMIX" run "$S" --set run.duration_s=60 --out "$T/a.db" --record-trace "$T/a.csv" -q 2>"$T/a.err"
rc=$?
calls=$(q "$T/a.db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name = 'calls'")
rows=$(arrivals "$T/a.csv" | wc -l)
if [ $rc = 0 ] && [ "$rows" -gt 10 ] && [ "$rows" = "$calls" ] && head -1 "$T/a.csv" | grep -qx '#cloudmix-trace v1'; then
  ok "sim run recorded: $rows rows for $calls calls"
else bad "sim run recorded (rc $rc, $rows rows, $calls calls)" "$(cat "$T/a.err")"; fi
timeout 60 "$CLOUDMIX" replay "$T/a.csv" --scenario "$S" --set run.duration_s=60 --out "$T/ar.db" \
  --record-trace "$T/ar.csv" >"$T/ar.out" 2>"$T/ar.err"
rc=$?
arrivals "$T/a.csv" >"$T/a.arr"
arrivals "$T/ar.csv" >"$T/ar.arr"
if [ $rc = 0 ] && [ -s "$T/a.arr" ] && cmp -s "$T/a.arr" "$T/ar.arr"; then
  ok "sim replay re-recorded: $(wc -l <"$T/ar.arr") arrivals identical (id, t, function, sizes)"
else bad "sim replay arrivals (rc $rc)" "$(cat "$T/ar.err"; diff "$T/a.arr" "$T/ar.arr" | head -5)"; fi
map=$(q "$T/ar.db" "SELECT trace_function || '>' || function || ':' || rule || ':' || invocations FROM trace_map")
if [ "$map" = "resnet18>resnet18:name:$rows" ] && grep -q "resnet18 *-> resnet18 *$rows invocations" "$T/ar.out" &&
   [ "$(q "$T/ar.db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name = 'calls'")" = "$rows" ]; then
  ok "trace_map and the summary: resnet18 -> resnet18 by name, $rows invocations"
else bad "trace_map ($map)" "$(cat "$T/ar.out")"; fi
# a completed call's recorded exec is the replayed one's (no drift, contention or slow-down before 60 s)
e1=$(tail -n +3 "$T/a.csv" | sort -t, -k1,1n | awk -F, '$1 == 1 {print $6}')
e2=$(tail -n +3 "$T/ar.csv" | sort -t, -k1,1n | awk -F, '$1 == 1 {print $6}')
if [ -n "$e1" ] && [ "$e1" != 0 ] && [ "$e1" = "$e2" ]; then ok "call 1 ran its recorded exec time again ($e1 ns)"
else bad "call 1 exec: recorded $e1, replayed $e2"; fi

# --- b. real (emulator) -> trace -> sim replay ---------------------------------------
SETS="--set run.duration_s=2 --set workload.mode=open --set workload.rate_per_s=20 --set workload.function=empty"
timeout 60 "$CLOUDMIX" emulate "$S" $SETS >"$T/em.out" 2>"$T/em.err" &
EM=$!
PIDS="$PIDS $EM"
i=0
while ! grep -q '^listening on ' "$T/em.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$T/em.out")
if [ -n "$port" ]; then
  sed "s/@PORT@/$port/" scenarios/real/emulator.profile >"$T/prof.ini"
  s0=$(date +%s)
  AWS_ACCESS_KEY_ID=AKIDEXAMPLETEST AWS_SECRET_ACCESS_KEY=test-not-a-secret CLOUDMIX_DEMO_AZURE_KEY=test \
  CLOUDMIX_DEMO_CLOUDRUN_TOKEN=test timeout 60 "$CLOUDMIX" run "$S" $SETS --real "$T/prof.ini" --out "$T/b.db" \
    --record-trace "$T/b.csv" -q >"$T/b.out" 2>"$T/b.err"
  rc=$?
  rows=$(arrivals "$T/b.csv" | wc -l)
  calls=$(q "$T/b.db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name = 'calls'")
  if [ $rc = 0 ] && [ "$rows" -gt 5 ] && [ "$rows" = "$calls" ] && [ "$(q "$T/b.db" "SELECT mode FROM runs")" = real ]; then
    ok "real run against the emulator recorded: $rows rows for $calls calls in $(( $(date +%s) - s0 )) s"
  else bad "real run recorded (rc $rc, $rows rows, $calls calls)" "$(cat "$T/b.out" "$T/b.err")"; fi
  timeout 60 "$CLOUDMIX" replay "$T/b.csv" --scenario "$S" $SETS --out "$T/br.db" --record-trace "$T/br.csv" -q \
    2>"$T/br.err"
  rc=$?
  arrivals "$T/b.csv" >"$T/b.arr"
  arrivals "$T/br.csv" >"$T/br.arr"
  if [ $rc = 0 ] && [ -s "$T/b.arr" ] && cmp -s "$T/b.arr" "$T/br.arr" &&
     [ "$(q "$T/br.db" "SELECT mode FROM runs")" = sim ]; then
    ok "the real run's trace replayed in sim: $(wc -l <"$T/br.arr") arrivals reproduced exactly"
  else bad "real trace replayed in sim (rc $rc)" "$(cat "$T/br.err"; diff "$T/b.arr" "$T/br.arr" | head -5)"; fi
  body='{"cloudmix":1,"id":"1","function":"empty","bin":0,"response_bytes":20}'
  r1=$(curl -s --max-time 10 -H 'X-Cloudmix-Exec-Ns: 7000000' -d "$body" "http://127.0.0.1:$port/edge-openfaas/function/empty-0")
  c2=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H 'X-Cloudmix-Exec-Ns: 7ms' -d "$body" \
    "http://127.0.0.1:$port/edge-openfaas/function/empty-0")
  if printf '%s' "$r1" | grep -q '"exec_ms":7\.000,' && [ "$c2" = 400 ]; then
    ok "emulator: X-Cloudmix-Exec-Ns 7000000 runs 7.000 ms; a malformed one is 400"
  else bad "emulator exec header (400? $c2)" "$r1"; fi
else bad "emulate did not start" "$(cat "$T/em.out" "$T/em.err")"; fi
kill "$EM" 2>/dev/null
wait "$EM" 2>/dev/null

# --- c. bad inputs ----------------------------------------------------------------------
# expect2 NAME GREP ARGS...: replay exits 2 with one stderr line matching GREP
expect2() {
  name=$1 pat=$2
  shift 2
  timeout 20 "$CLOUDMIX" replay "$@" --out "$T/c.db" -q >/dev/null 2>"$T/c.err"
  rc=$?
  if [ $rc = 2 ] && grep -q -- "$pat" "$T/c.err" && [ "$(grep -cv '^Run ' "$T/c.err")" = 1 ]; then ok "$name: exit 2, $(head -1 "$T/c.err")"
  else bad "$name (exit $rc)" "$(cat "$T/c.err")"; fi
}
expect2 "missing trace" "$T/nosuch.csv: cannot open" "$T/nosuch.csv" --scenario "$S"
{ head -3 "$T/a.csv"; echo '99,12x,resnet18,1,1,0,0,completed,,0'; } >"$T/bad.csv"
expect2 "malformed row" "$T/bad.csv:4:4: expected arrival_ns: an integer >= 0, found '12x'" "$T/bad.csv" --scenario "$S"
expect2 "unknown --map" "--map: expected name, duration or round-robin" "$T/a.csv" --scenario "$S" --map nearest
expect2 "unknown --spread" "--spread: expected equidistant, uniform or poisson" "$T/a.csv" --scenario "$S" --spread even
sed 's/,resnet18,/,mystery-fn,/' "$T/a.csv" >"$T/other.csv"
expect2 "name map, unmatched function" "trace function 'mystery-fn' ([0-9]* invocations) is not a function of" \
  "$T/other.csv" --scenario "$S"
timeout 60 "$CLOUDMIX" replay "$T/other.csv" --scenario "$S" --set run.duration_s=60 --map round-robin \
  --out "$T/rr.db" -q 2>"$T/rr.err"
rc=$?
if [ $rc = 0 ] && [ "$(q "$T/rr.db" "SELECT function || ':' || rule FROM trace_map")" = "resnet18:round-robin" ]; then
  ok "round-robin maps mystery-fn to the scenario's first function"
else bad "round-robin (exit $rc)" "$(cat "$T/rr.err")"; fi

timeout 60 "$CLOUDMIX" replay "$T/other.csv" --scenario "$S" --set run.duration_s=60 --map duration \
  --out "$T/du.db" -q 2>"$T/du.err"
rc=$?
# mean recorded exec ~2.3 s: of the scenario's functions, resnet18 (about 2.2 s over its providers) is nearest
du=$(q "$T/du.db" "SELECT function || ':' || rule || ':' || (function_mean_s > 1 AND trace_mean_s > 1) FROM trace_map")
if [ $rc = 0 ] && [ "$du" = "resnet18:duration:1" ]; then ok "duration maps mystery-fn (mean ~2.3 s) to resnet18"
else bad "duration map (exit $rc, $du)" "$(cat "$T/du.err")"; fi

# --- d. the public traces' fixtures replay (traces/samples/) --------------------------
# each through the fig9 scenario, round-robin: as many calls as the importer
# yields (cloudmix trace info), trace_map accounting for every one of them,
# and the replay's own recording holding each arrival once, in order
for fx in azure2019/invocations_per_function_md.anon.d01.csv azure2021/invocations.csv huawei2023/requests_minute; do
  f=traces/samples/$fx
  n=$(timeout 30 "$CLOUDMIX" trace info "$f" 2>/dev/null | sed -n 's/^invocations: *\([0-9][0-9]*\).*/\1/p')
  fmt=$(timeout 30 "$CLOUDMIX" trace info "$f" 2>/dev/null | sed -n 's/^trace: .*(\([a-z0-9]*\))$/\1/p')
  db=$T/d-$fmt.db
  timeout 60 "$CLOUDMIX" replay "$f" --scenario "$S" --map round-robin --out "$db" --record-trace "$T/d-$fmt.csv" \
    >"$T/d.out" 2>"$T/d.err"
  rc=$?
  calls=$(q "$db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name = 'calls'" 2>/dev/null)
  mapped=$(q "$db" "SELECT sum(invocations) || ' in ' || count(*) FROM trace_map" 2>/dev/null)
  rows=$(arrivals "$T/d-$fmt.csv" 2>/dev/null | wc -l)
  if [ $rc = 0 ] && [ -n "$n" ] && [ "$n" -gt 0 ] && [ "$calls" = "$n" ] && [ "$rows" = "$n" ] &&
     [ "${mapped%% in *}" = "$n" ]; then
    ok "$fmt fixture ($fx) replayed: $n invocations, $calls calls, trace_map $mapped functions"
  else bad "$fmt fixture replay (exit $rc, trace info $n, calls $calls, rows $rows, map $mapped)" "$(cat "$T/d.err" | tail -3)"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
