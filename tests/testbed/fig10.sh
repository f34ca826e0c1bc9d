#!/bin/sh
# `make testbed`: a Fig. 10-like run (seed section 5.3: load ramped, nodes
# added) on the namespace testbed. Every host's link: LINK_MS delay (+-
# JITTER_MS), and a tbf rate limit RATE on what each node receives (so a
# node saturates on its link, not on this machine's 2 cores). A probe
# client sends PROBE_RATE loops/s for the whole run (its RTT is the series'
# latency); every STEP_S seconds a load client joins with LOAD_RATE
# loops/s (the offered load ramps up). UPDATER=1 (the default): `cloudmix
# updater` decides, in a namespace of its own, from the nodes' metrics
# read by CTRL packets (thresholds THRESHOLDS, settle SETTLE_S); this
# script only answers its provision_cmd and commit_cmd (tb_request.sh):
# start the next node at the committed epoch and reload the nodes'
# configs; after a commit, the clients' configs from the updater's
# topology, SIGHUP (tests/testbed/README.md, "Scale-out by the updater").
# UPDATER=0: after each step the script looks at the last STEP_S/2
# seconds: if the delivered share fell under 95% or the probe's p99 rose
# over 2x that of the first step, it adds a node (a new namespace, `cloudmix
# node init`, configs rewritten, SIGHUP: nodes first, then clients), up to
# NODES_MAX.
#
# Writes OUT/elasticity.csv (t_s, nodes, offered_per_s, delivered_per_s,
# p50_ms, p99_ms: offered and delivered summed over every client per
# second; latency: the probe's), OUT/events.csv (t_s, nodes, event: a node
# provisioned / an epoch committed / added by the script), OUT/updater.out,
# OUT/attempts.txt and OUT/updater_events.txt (the updater's output, its
# attempts, its decisions), OUT/epochs.txt (each node's epoch at its end),
# OUT/nodes.csv, OUT/clients.csv, OUT/links.txt (tbf drops per
# node link), OUT/NAME.out (each node's and client's full output) and
# OUT/elasticity.png (gnuplot, tests/testbed/elasticity.gp).
# Env: CLOUDMIX, OUT; NODES_START (2), NODES_MAX (6), STEPS (10), STEP_S
# (6), PROBE_RATE (10), LOAD_RATE (20), LINK_MS (2), JITTER_MS (1), RATE
# (2mbit), UPDATER (1), THRESHOLDS, SETTLE_S (3). Root.
set -u
: "${CLOUDMIX:?set CLOUDMIX}"
: "${OUT:?set OUT}"
NODES_START=${NODES_START:-2}
NODES_MAX=${NODES_MAX:-6}
STEPS=${STEPS:-10}
STEP_S=${STEP_S:-6}
PROBE_RATE=${PROBE_RATE:-10}
LOAD_RATE=${LOAD_RATE:-20}
LINK_MS=${LINK_MS:-2}
JITTER_MS=${JITTER_MS:-1}
RATE=${RATE:-2mbit}
UPDATER=${UPDATER:-1}
SETTLE_S=${SETTLE_S:-3}
THRESHOLDS=${THRESHOLDS:-300, 230, 290, 360, 430, 500, 570, 640}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
[ "$(id -u)" = 0 ] || { echo "testbed: needs root (ip netns)" >&2; exit 2; }
mkdir -p "$OUT" && rm -f "$OUT"/*.csv "$OUT"/*.png "$OUT"/*.out "$OUT"/links.txt
trap tb_teardown EXIT
trap 'exit 130' INT TERM
pause() { sleep "$1" & wait $!; }

tb_init || exit 1
echo "testbed: prefix $TB_PREFIX, scratch $TB_DIR"
echo "testbed: link delay/loss from: the fault decorator (netem: $([ "$(tb_delay_method)" = netem ] && echo works || echo 'not available on this kernel')); rate: tbf $RATE into each node"
DUR=$((STEPS * STEP_S))
# hosts: nodes 1..NODES_MAX, probe 100, load clients 101..
add_client probe 100
k=1; while [ $k -le "$STEPS" ]; do add_client "l$k" $((100 + k)); k=$((k + 1)); done
k=1; while [ $k -le "$NODES_MAX" ]; do
  start_ns "n$k" "$k" && link "n$k" "$LINK_MS" "$JITTER_MS" 0 "$RATE" || exit 1
  k=$((k + 1))
done
start_ns probe 100 && link probe "$LINK_MS" "$JITTER_MS" 0 || exit 1
if [ "$UPDATER" = 1 ]; then # the updater's host, its operator key, the digest folder
  TB_UPD_IDX=99
  start_ns upd 99 && link upd "$LINK_MS" "$JITTER_MS" 0 || exit 1
  "$CLOUDMIX" operator init --dir "$TB_DIR/op" >/dev/null && mkdir -p "$TB_DIR/digests" || exit 1
fi
nodes=""; k=1; while [ $k -le "$NODES_START" ]; do nodes="$nodes n$k"; k=$((k + 1)); done
start_node $nodes || exit 1
reload
N=$NODES_START
T0=$(date +%s.%N)
if [ "$UPDATER" = 1 ]; then
  { printf '[updater]\naddress = %s\nlisten = %s.99:%s\noperator = %s/op\ndigests = %s/digests\n' $((1000 + 99)) \
      "$TB_SUBNET" "$TB_CLIENT_PORT" "$TB_DIR" "$TB_DIR"
    printf 'thresholds = %s\nsample_s = 1\nreply_timeout_ms = 1000\nconverge_timeout_s = 5\nmax_attempts = 3\nsettle_s = %s\n' "$THRESHOLDS" "$SETTLE_S"
    printf 'max_nodes = %s\ntopology = %s/topology.ini\n' "$NODES_MAX" "$TB_DIR"
    printf 'provision_cmd = sh %s/tb_request.sh %s provision\ncommit_cmd = sh %s/tb_request.sh %s commit\n' "$HERE" "$TB_DIR" "$HERE" "$TB_DIR"
    tb_peers; } >"$TB_DIR/updater.ini"
  ip netns exec "$(tb_ns upd)" "$CLOUDMIX" updater --config "$TB_DIR/updater.ini" --duration "$((STEPS * STEP_S))" \
    >"$TB_DIR/updater.out" 2>&1 &
  TB_PID_upd=$!
  TB_PIDS="$TB_PIDS $!"
  tb_wait_line "$TB_DIR/updater.out" "^updater [0-9]* on" 50 || { tb_log "the updater did not start:"; cat "$TB_DIR/updater.out"; exit 1; }
fi
# serve_until T: answer the updater's requests (tb_request.sh) until T0 + T:
# provision = start the next node (at the committed epoch) and reload the
# nodes' configs; commit = the clients' configs from its topology, SIGHUP
serve_until() {
  while awk -v t0="$T0" -v a="$1" -v t="$(date +%s.%N)" 'BEGIN { exit !(t < t0 + a) }'; do
    if [ -f "$TB_DIR/req.provision" ]; then
      TB_EPOCH=$(cat "$TB_DIR/req.provision"); rm -f "$TB_DIR/req.provision"
      if [ "$N" -lt "$NODES_MAX" ]; then
        N=$((N + 1))
        start_node "n$N" && reload_nodes && sleep 0.2 && r="$TB_DIR/n$N/keys/node.descriptor" || r=FAIL
        echo "$(now),$N,provisioned" >>"$OUT/events.csv"
        echo "testbed: t=$(now) s: the updater asked for a node: n$N started at epoch $TB_EPOCH, nodes' configs reloaded"
      else r=FAIL; fi
      echo "$r" >"$TB_DIR/resp.provision.new" && mv "$TB_DIR/resp.provision.new" "$TB_DIR/resp.provision"
    fi
    if [ -f "$TB_DIR/req.commit" ]; then
      e=$(cat "$TB_DIR/req.commit"); rm -f "$TB_DIR/req.commit"
      TB_TOPOLOGY=$TB_DIR/topology.ini
      reload_clients
      echo "$(now),$(grep -c '^\[node\.' "$TB_TOPOLOGY"),committed epoch $e" >>"$OUT/events.csv"
      echo "testbed: t=$(now) s: the updater committed epoch $e; clients reloaded"
      echo ok >"$TB_DIR/resp.commit.new" && mv "$TB_DIR/resp.commit.new" "$TB_DIR/resp.commit"
    fi
    sleep 0.1
  done
}
now() { awk -v t0="$T0" -v t="$(date +%s.%N)" 'BEGIN { printf "%.1f", t - t0 }'; }
# seconds from now until T0 + $1 (at least 0.1): steps keep to the clock, not to the overheads
until_t() { awk -v t0="$T0" -v a="$1" -v t="$(date +%s.%N)" 'BEGIN { d = t0 + a - t; printf "%.2f", d < 0.1 ? 0.1 : d }'; }
echo "t_s,nodes,event" >"$OUT/events.csv"
echo "0.0,$N,start" >>"$OUT/events.csv"
start_client probe "$PROBE_RATE" "$DUR" 3 || exit 1

# offered, delivered (per s, all clients) and the probe's p99 over the last S seconds
window() {
  cat "$TB_DIR"/*/series.csv 2>/dev/null | awk -F, -v from="$(awk -v s="$1" -v t="$(date +%s.%N)" 'BEGIN { printf "%.3f", t - s }')" '
    $1 >= from { o += $3; d += $4 } END { printf "%.1f %.1f\n", o / '"$1"', d / '"$1"' }'
}
probe_p99() { tail -n "$1" "$TB_DIR/probe/series.csv" | awk -F, '$7 != "nan" && $7 > m { m = $7 } END { print m + 0 }'; }

step=1; base_p99=""
while [ $step -le "$STEPS" ]; do
  i=$((100 + step))
  start_ns "l$step" "$i" && link "l$step" "$LINK_MS" "$JITTER_MS" 0 || exit 1
  start_client "l$step" "$LOAD_RATE" "$(until_t "$DUR")" 3 || exit 1 # every client ends at T0 + DUR
  if [ "$UPDATER" = 1 ]; then # the updater decides: this script only serves its requests
    serve_until $((step * STEP_S))
    set -- $(window $(((STEP_S + 1) / 2)))
    echo "testbed: t=$(now) s step $step: $N nodes, offered $1/s, delivered $2/s"
    step=$((step + 1))
    continue
  fi
  pause "$(until_t $((step * STEP_S - 1)))" # the check a second before the step's end
  half=$((STEP_S / 2)); [ $half -ge 1 ] || half=1
  set -- $(window $half)
  p99=$(probe_p99 $half)
  [ -n "$base_p99" ] || base_p99=$p99
  echo "testbed: t=$(now) s step $step: $N nodes, offered $1/s, delivered $2/s, probe p99 $p99 ms (first step $base_p99)"
  if [ $step -lt "$STEPS" ] && [ "$N" -lt "$NODES_MAX" ] &&
    awk -v o="$1" -v d="$2" -v p="$p99" -v b="$base_p99" 'BEGIN { exit !(d < 0.95 * o || p > 2 * b) }'; then
    N=$((N + 1))
    start_node "n$N" || exit 1
    reload
    echo "$(now),$N,added" >>"$OUT/events.csv"
    echo "testbed: t=$(now) s: saturated; node n$N added (script: new namespace, node init, configs, SIGHUP)"
  fi
  pause "$(until_t $((step * STEP_S)))"
  step=$((step + 1))
done
[ "$UPDATER" = 1 ] && serve_until $((DUR + 1)) # a commit late in the run
for c in $TB_CLIENTS; do p=$(eval echo "\${TB_PID_$c:-}"); [ -n "$p" ] && wait "$p"; done
if [ "$UPDATER" = 1 ]; then
  stop upd
  cp "$TB_DIR/updater.out" "$OUT/updater.out"
  grep '^attempt ' "$OUT/updater.out" >"$OUT/attempts.txt"
  grep '^updater: t=' "$OUT/updater.out" | grep -v ' epoch [0-9]* nodes [0-9]* throughput' >"$OUT/updater_events.txt"
fi
for n in $TB_NODES; do stop "$n"; done
collect
cp "$TB_DIR/nodes.csv" "$TB_DIR/clients.csv" "$OUT/"
for n in $TB_NODES; do cp "$TB_DIR/$n/node.out" "$OUT/$n.out"; done # every counter, the reloads
for c in $TB_CLIENTS; do cp "$TB_DIR/$c/client.out" "$OUT/$c.out"; cp "$TB_DIR/$c/series.csv" "$OUT/$c.series.csv"; done
for n in $TB_NODES; do
  i=$(eval echo "\$TB_IDX_$n")
  echo "$n $(ip netns exec "$TB_HUB" tc -s qdisc show dev "v$i" | awk '/dropped/ { gsub(",", ""); print "tbf sent", $2, "bytes", $4, "pkts, dropped", $7 }')" >>"$OUT/links.txt"
done
# the series: per whole second since T0, summed over clients; latency: the probe's
t0=$(echo "$T0" | awk '{ printf "%.3f", $1 }')
echo "t_s,nodes,offered_per_s,delivered_per_s,p50_ms,p99_ms" >"$OUT/elasticity.csv"
{ for c in $TB_CLIENTS; do [ -f "$TB_DIR/$c/series.csv" ] && sed "s/^/$c,/" "$TB_DIR/$c/series.csv"; done; } |
  awk -F, -v t0="$t0" '{ s = int($2 - t0); o[s] += $4; d[s] += $5; if (s > m) m = s
      if ($1 == "probe") { n[s] = $3; p50[s] = $7; p99[s] = $8 } }
    END { for (s = 1; s <= m && s <= '"$DUR"'; s++) if (s in n) printf "%d,%d,%d,%d,%s,%s\n", s, n[s], o[s], d[s], p50[s], p99[s] }' >>"$OUT/elasticity.csv"
# what the run started, for a leftover check after its teardown (tests/integration/testbed.sh)
{ echo "prefix $TB_PREFIX"
  for x in $TB_NODES $TB_CLIENTS upd; do p=$(eval echo "\${TB_PID_$x:-}"); [ -n "$p" ] && echo "pid $x $p -"; done; } >"$OUT/state"
cat "$OUT/nodes.csv" "$OUT/clients.csv" "$OUT/links.txt"
echo "testbed: series $OUT/elasticity.csv ($(($(wc -l <"$OUT/elasticity.csv") - 1)) s), node additions $OUT/events.csv"
if command -v gnuplot >/dev/null; then
  gnuplot -e "dir='$OUT'; who='$([ "$UPDATER" = 1 ] && echo 'cloudmix updater' || echo 'the script')'" "$HERE/elasticity.gp" && echo "testbed: plot $OUT/elasticity.png"
fi
# every node's key epoch at its end (the last "epoch" line it printed)
for n in $TB_NODES; do echo "$n $(awk '$1 == "epoch" && NF == 2 { e = $2 } END { print e }' "$TB_DIR/$n/node.out")"; done >"$OUT/epochs.txt"
echo "testbed: node epochs at the end: $(tr '\n' ' ' <"$OUT/epochs.txt")"
[ "$UPDATER" = 1 ] && { cat "$OUT/updater_events.txt" "$OUT/attempts.txt"; grep -E '^(epoch|nodes|committed|balanced) ' "$OUT/updater.out"; }
bal=$(grep -c ',yes$' "$OUT/nodes.csv")
echo "testbed: $bal of $(($(wc -l <"$OUT/nodes.csv") - 1)) nodes' counters balance"
[ "$bal" = "$(($(wc -l <"$OUT/nodes.csv") - 1))" ]
