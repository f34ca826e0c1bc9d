#!/bin/sh
# make demo-real: start `cloudmix emulate` on a free loopback port, fly a
# shortened UAV flight (60 s, three zones) through it in real mode, fly the
# same flight in simulation, print both summaries and a side-by-side line,
# stop the emulator. Usage: demo-real.sh CLOUDMIX OUTDIR
set -eu
CLOUDMIX=$1
OUT=$2
HERE=$(dirname "$0")
S=$HERE/../cloudless/uav-flight.ini
# 1 to 90 km in 60 s: zone borders (31 and 60 km) fall between the flight's
# 1 s position updates, so sim and real see each zone change at the same tick
SHORT="--set run.duration_s=60 --set flight.waypoints=0:1,0;60:90,0"
mkdir -p "$OUT"
rm -f "$OUT/uav-real.db" "$OUT/uav-real-sim.db"
"$CLOUDMIX" emulate "$S" $SHORT > "$OUT/emulate.out" 2> "$OUT/emulate.err" &
EMU=$!
trap 'kill $EMU 2>/dev/null || true' EXIT INT TERM
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$OUT/emulate.out")
  [ -n "$port" ] && break
  kill -0 $EMU 2>/dev/null || { cat "$OUT/emulate.err" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "demo-real: the emulator did not start (see $OUT/emulate.err)" >&2; exit 1; }
sed "s/@PORT@/$port/" "$HERE/emulator.profile" > "$OUT/emulator-profile.ini"
echo "== emulator on 127.0.0.1:$port; the shortened flight in real mode (about 70 s of wall time)"
# the emulator takes any credentials: these name what a real platform would check
AWS_ACCESS_KEY_ID=AKIDEXAMPLEDEMO AWS_SECRET_ACCESS_KEY=demo-not-a-secret \
CLOUDMIX_DEMO_AZURE_KEY=demo-not-a-secret CLOUDMIX_DEMO_CLOUDRUN_TOKEN=demo-not-a-secret \
  "$CLOUDMIX" run "$S" $SHORT --real "$OUT/emulator-profile.ini" --out "$OUT/uav-real.db"
echo "== the same flight in simulation"
"$CLOUDMIX" run "$S" $SHORT --out "$OUT/uav-real-sim.db"
kill $EMU
while kill -0 $EMU 2>/dev/null; do sleep 0.1; done
trap - EXIT INT TERM
echo "== the emulator's answers"
grep '^emulate:' "$OUT/emulate.out" || true
echo "== side by side (calls, completed, failed, mean/p50/p99 latency in s, cost in \$)"
for db in "$OUT/uav-real.db" "$OUT/uav-real-sim.db"; do
  sqlite3 -separator '  ' "$db" "SELECT printf('%-5s', r.mode),
    (SELECT CAST(value AS INTEGER) FROM run_metrics WHERE run_id = r.id AND name = 'calls'),
    (SELECT CAST(value AS INTEGER) FROM run_metrics WHERE run_id = r.id AND name = 'completed'),
    (SELECT CAST(value AS INTEGER) FROM run_metrics WHERE run_id = r.id AND name = 'failed'),
    (SELECT printf('%.3f', value) FROM run_metrics WHERE run_id = r.id AND name = 'mean_latency_s'),
    (SELECT printf('%.3f', value) FROM run_metrics WHERE run_id = r.id AND name = 'p50_latency_s'),
    (SELECT printf('%.3f', value) FROM run_metrics WHERE run_id = r.id AND name = 'p99_latency_s'),
    (SELECT printf('%.6f', value) FROM run_metrics WHERE run_id = r.id AND name = 'cost_usd')
    FROM runs r"
done
