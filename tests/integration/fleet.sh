#!/bin/sh
# Integration tests of a UAV fleet (scenarios/cloudless/fleet.ini, cli/run_fleet.c)
# through the program, with a small N: the comparison table names both
# placements; the tables fleet_uavs and fleet_placements add up (each UAV's
# calls = completed + failed, the UAVs' sums = the placement's row, the same
# calls under both placements); the same seed gives the same tables and
# another seed others; one placement alone; paths from trace files; bad
# [fleet] keys fail with one line naming the key and exit code 2. Needs
# CLOUDMIX; run from the repository root (make integration does both).
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
S=scenarios/cloudless/fleet.ini
SMALL="--set fleet.uavs=40 --set run.duration_s=300"

# --- the comparison table and the tables ---------------------------------------
if $CLOUDMIX run $S $SMALL --out "$T/a.db" >"$T/out" 2>"$T/err"; then
  if grep -q '^fleet: 40 UAVs, 300 s' "$T/out" && grep -q '^shared-cloud ' "$T/out" && grep -q '^per-uav-edge ' "$T/out"
  then ok "fleet.ini with 40 UAVs prints both placements side by side"
  else bad "comparison table" "$(cat "$T/out")"; fi
else bad "fleet.ini runs" "$(cat "$T/err")"; fi
n=$(q "$T/a.db" "SELECT count(*) FROM fleet_uavs")
p=$(q "$T/a.db" "SELECT group_concat(placement) FROM fleet_placements")
[ "$n" = 80 ] && [ "$p" = "shared-cloud,per-uav-edge" ] && ok "40 fleet_uavs rows per placement, two fleet_placements rows" \
  || bad "table rows" "fleet_uavs $n, placements $p"
odd=$(q "$T/a.db" "SELECT count(*) FROM fleet_uavs WHERE calls != completed + failed OR calls = 0
  OR local_edge + remote_edge + cloud != completed")
[ "$odd" = 0 ] && ok "every UAV: calls = completed + failed > 0, each completed call on one tier" \
  || bad "per-UAV counts" "$odd rows off"
sums=$(q "$T/a.db" "SELECT count(*) FROM fleet_placements p WHERE calls != (SELECT sum(calls) FROM fleet_uavs u
  WHERE u.placement = p.placement) OR failed != (SELECT sum(failed) FROM fleet_uavs u WHERE u.placement = p.placement)
  OR completed + failed != calls OR failed != failed_throttled + failed_error + failed_timeout + failed_network + failed_other")
[ "$sums" = 0 ] && ok "each placement's calls and failures are its UAVs' sums" || bad "placement sums" "$sums rows off"
same=$(q "$T/a.db" "SELECT count(*) FROM fleet_uavs s JOIN fleet_uavs e ON s.uav = e.uav
  AND s.placement = 'shared-cloud' AND e.placement = 'per-uav-edge' WHERE s.calls = e.calls AND s.path_km = e.path_km")
[ "$same" = 40 ] && ok "each UAV flies the same path and makes the same calls under both placements" \
  || bad "same arrivals under both placements" "$same of 40 UAVs"
dist=$(q "$T/a.db" "SELECT count(DISTINCT path_km) FROM fleet_uavs WHERE placement = 'shared-cloud'")
[ "$dist" = 40 ] && ok "40 distinct generated paths" || bad "distinct paths" "$dist distinct"
un=$(q "$T/a.db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name = 'fleet_shared-cloud_calls'")
[ "$un" -gt 0 ] 2>/dev/null && ok "run_metrics fleet_shared-cloud_calls = $un" || bad "run_metrics" "$un"
# the shared broker's extra hop shows: its median latency is above the per-UAV brokers'
hop=$(q "$T/a.db" "SELECT (SELECT p50_latency_s FROM fleet_placements WHERE placement = 'shared-cloud') >
  (SELECT p50_latency_s FROM fleet_placements WHERE placement = 'per-uav-edge')")
[ "$hop" = 1 ] && ok "shared-cloud p50 above per-uav-edge p50 (the UAV -> cloud hop)" || bad "hop visible" "$hop"

# --- determinism ----------------------------------------------------------------
$CLOUDMIX run $S $SMALL --out "$T/b.db" -q 2>/dev/null
$CLOUDMIX run $S $SMALL --seed 2 --out "$T/c.db" -q 2>/dev/null
d() { sqlite3 "$1" "SELECT * FROM fleet_uavs; SELECT * FROM fleet_placements"; }
[ "$(d "$T/a.db")" = "$(d "$T/b.db")" ] && ok "same seed, same fleet tables" || bad "determinism" ""
[ "$(d "$T/a.db")" != "$(d "$T/c.db")" ] && ok "another seed, other fleet tables" || bad "seed has no effect" ""

# --- golden output: a small fleet's figures, frozen -------------------------------
# 5 UAVs for 120 s, seed 1. A change in behaviour (paths, links, scheduling,
# the world) changes these rows: explain it in the commit and refreeze with
# the query below into tests/integration/data/fleet/small.expected.
$CLOUDMIX run $S --set fleet.uavs=5 --set run.duration_s=120 --out "$T/g.db" -q 2>/dev/null
q "$T/g.db" "SELECT placement, calls, completed, failed, round(mean_latency_s, 6), round(p50_latency_s, 6),
  round(p95_latency_s, 6), round(p99_latency_s, 6), round(cost_usd, 9), round(local_edge_share, 6),
  round(cloud_share, 6), zone_changes, failed_throttled, failed_error, failed_timeout, failed_network, failed_other
  FROM fleet_placements; SELECT placement, uav, calls, completed, failed, round(p95_latency_s, 6), local_edge,
  remote_edge, cloud, zone_changes, round(path_km, 6) FROM fleet_uavs" >"$T/g.txt"
if cmp -s "$T/g.txt" tests/integration/data/fleet/small.expected; then ok "5 UAVs, 120 s: the frozen figures (data/fleet/small.expected)"
else bad "golden output data/fleet/small.expected" "$(diff tests/integration/data/fleet/small.expected "$T/g.txt" | head -8)"; fi

# --- one placement ----------------------------------------------------------------
$CLOUDMIX run $S $SMALL --set fleet.broker=per-uav-edge --out "$T/d.db" >"$T/out" 2>&1
p=$(q "$T/d.db" "SELECT group_concat(placement) FROM fleet_placements")
[ "$p" = per-uav-edge ] && ! grep -q '^shared-cloud ' "$T/out" && ok "broker = per-uav-edge runs that one alone" \
  || bad "one placement" "$p"
e=$(q "$T/d.db" "SELECT group_concat(calls) FROM fleet_uavs ORDER BY uav")
a=$(q "$T/a.db" "SELECT group_concat(calls) FROM fleet_uavs WHERE placement = 'per-uav-edge' ORDER BY uav")
[ "$e" = "$a" ] && ok "alone or after shared-cloud, per-uav-edge gives the same calls" || bad "independence" ""

# --- paths from trace files -------------------------------------------------------
TR=$(pwd)/tests/integration/data/fleet/traces
if $CLOUDMIX run $S --set fleet.uavs=2 --set run.duration_s=600 --set fleet.paths=traces --set fleet.traces="$TR" \
     --out "$T/t.db" -q 2>"$T/err"; then
  km=$(q "$T/t.db" "SELECT group_concat(CAST(round(path_km) AS INTEGER)) FROM fleet_uavs
    WHERE placement = 'shared-cloud' ORDER BY uav")
  z=$(q "$T/t.db" "SELECT group_concat(zone_changes) FROM fleet_uavs WHERE placement = 'shared-cloud' ORDER BY uav")
  [ "$km" = "40,30" ] && [ "$z" = "2,1" ] && ok "trace paths: a.csv and b.csv flown (40 and 30 km; 2 and 1 zone changes)" \
    || bad "trace paths" "km $km, zone changes $z"
else bad "fleet from traces runs" "$(cat "$T/err")"; fi

# --- bad keys: one line naming the key, exit 2 ---------------------------------------
bad_key() { # what, expected text, --set ...
  what=$1 want=$2
  shift 2
  $CLOUDMIX run $S "$@" --out "$T/x.db" >"$T/out" 2>"$T/err"
  rc=$?
  if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q -- "$want" "$T/err"; then ok "$what: exit 2, '$want'"
  else bad "$what" "rc $rc: $(cat "$T/err")"; fi
}
bad_key "broker = cloud" "\[fleet\] broker" --set fleet.broker=cloud
bad_key "uavs = -1" "\[fleet\] uavs" --set fleet.uavs=-1
bad_key "uavs = 200000" "\[fleet\] uavs" --set fleet.uavs=200000
bad_key "speeds reversed" "speed_max_kmh" --set fleet.speed_max_kmh=30
bad_key "paths = traces without traces" "\[fleet\] traces" --set fleet.paths=traces
bad_key "traces with paths = generate" "\[fleet\] paths" --set fleet.traces="$TR"
bad_key "fewer traces than UAVs" "expected at least uavs = 3" --set fleet.uavs=3 --set fleet.paths=traces \
  --set fleet.traces="$TR"
bad_key "a [flight] path beside a fleet" "\[flight\] waypoints" --set "flight.waypoints=0:20,0;10:21,0"
bad_key "closed-loop workload" "\[workload\] mode" --set workload.mode=closed
bad_key "a cache" "cache_entries" --set cloudless.cache_entries=10
bad_key "time_scale" "time_scale" --set cloudless.time_scale=0.5
$CLOUDMIX compare $S --seeds 1 --policies loi --set fleet.uavs=2 --out "$T/cmp.db" >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q "a fleet's placements are compared by .cloudmix run." "$T/err" && ok "compare refuses a fleet, naming run" \
  || bad "compare on a fleet" "rc $rc: $(cat "$T/err")"
$CLOUDMIX run $S --set fleet.uavs=2 --real /dev/null --out "$T/r.db" >"$T/out" 2>"$T/err"
[ $? = 2 ] && ok "--real on a fleet: exit 2" || bad "--real on a fleet" "$(cat "$T/err")"

echo "fleet.sh: $pass passed, $fail failed"
[ "$fail" = 0 ]
