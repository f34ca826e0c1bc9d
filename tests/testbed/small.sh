#!/bin/sh
# The CI testbed run (tests/integration/testbed.sh drives it; one process
# per run, so each has its own prefix cmtb-<pid>-): 3 mix nodes (n1..n3)
# and 2 benchmark clients (ca, cb), each in its own namespace on the hub;
# node links 10 +- 2 ms, ca's link 0 ms, cb's 20 ms with 5% loss; both
# clients send 3-hop loops at RATE/s for DUR s; at 2 s a 4th node (n4) is
# started in a new namespace and the others are told by a config rewrite
# and SIGHUP (the script drives the scale-out, not an updater). Then every
# process is stopped, the counters collected into OUT, everything torn
# down (trap EXIT INT TERM).
#   MODE ok         the run above; exit 0
#   MODE kill-node  n2 is killed (SIGKILL) at 2 s; the run then fails on
#                   purpose (exit 3) after the clients end
#   MODE hang       starts, prints "running", then waits 60 s (the caller
#                   sends SIGTERM: the trap must tear down)
# Env: CLOUDMIX (absolute), OUT (a folder for the results), RATE (50), DUR (5).
set -u
MODE=${1:-ok}
: "${CLOUDMIX:?set CLOUDMIX}"
: "${OUT:?set OUT}"
RATE=${RATE:-50}
DUR=${DUR:-5}
. "$(dirname "$0")/lib.sh"
trap tb_teardown EXIT
trap 'exit 130' INT TERM

pause() { sleep "$1" & wait $!; } # a trapped signal interrupts wait, not a foreground sleep

tb_init || exit 1
echo "prefix $TB_PREFIX" >"$OUT/state"
echo "delay_method $(tb_delay_method)" >>"$OUT/state"
i=1
for n in n1 n2 n3 n4; do start_ns $n $i || exit 1; link $n 10 2 0 || exit 1; i=$((i + 1)); done
start_ns ca 11 && start_ns cb 12 || exit 1
link ca 0 0 0 && link cb 20 0 0.05 || exit 1
add_client ca 11
add_client cb 12
start_node n1 n2 n3 || exit 1
reload # n1 and n2 learn of the nodes started after them
start_client ca "$RATE" "$DUR" 3 && start_client cb "$RATE" "$DUR" 3 || exit 1
for n in n1 n2 n3 ca cb; do
  p=$(eval echo "\$TB_PID_$n")
  echo "pid $n $p $(ip netns identify "$p")" >>"$OUT/state"
done
echo "running" >>"$OUT/state"
[ "$MODE" = hang ] && { pause 60; exit 0; }
pause 2
if [ "$MODE" = kill-node ]; then
  kill -9 "$TB_PID_n2"
  echo "killed n2" >>"$OUT/state"
else
  t_add=$(date +%s.%N)
  start_node n4 || exit 1
  echo "pid n4 $TB_PID_n4 $(ip netns identify "$TB_PID_n4")" >>"$OUT/state"
  reload
  echo "added n4 at $t_add" >>"$OUT/state"
fi
for c in ca cb; do p=$(eval echo "\$TB_PID_$c"); wait "$p"; echo "client $c exit $?" >>"$OUT/state"; done
for n in n1 n2 n3 n4; do stop $n; done
collect
cp "$TB_DIR/nodes.csv" "$TB_DIR/clients.csv" "$OUT/"
for n in $TB_NODES; do cp "$TB_DIR/$n/node.out" "$OUT/$n.out"; done
for c in $TB_CLIENTS; do cp "$TB_DIR/$c/client.out" "$OUT/$c.out"; cp "$TB_DIR/$c/series.csv" "$OUT/$c.series.csv"; done
# what crossed each host's veth, counted by the kernel at the hub's end
for x in $TB_NODES $TB_CLIENTS; do
  i=$(eval echo "\$TB_IDX_$x")
  echo "veth $x $(ip netns exec "$TB_HUB" cat /sys/class/net/v$i/statistics/tx_packets /sys/class/net/v$i/statistics/rx_packets | tr '\n' ' ')" >>"$OUT/state"
done
# the node-side outcome lines: net_dropped_unknown_source per node
for n in $TB_NODES; do echo "unknown_source $n $(tb_val "$TB_DIR/$n/node.out" net_dropped_unknown_source)" >>"$OUT/state"; done
echo "done" >>"$OUT/state"
[ "$MODE" = kill-node ] && exit 3
exit 0
