# Sourced by the real-mode integration scripts (realmode.sh, security.sh)
# after `set -u` and the CLOUDMIX check: a temp folder $T removed at exit,
# background PIDs killed at exit, the counters of lib.sh, and helpers to
# read counters, pick free loopback ports and start a node.
PY=/usr/bin/python3
T=$(mktemp -d)
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$(dirname "$0")/lib.sh"
# val KEY FILE: the value of a "KEY VALUE" line (two fields only)
val() { awk -v k="$1" '$1 == k && NF == 2 { print $2 }' "$2"; }
# free_ports N: N free loopback UDP ports, chosen by the OS (closed again at once)
free_ports() {
  $PY -c '
import socket, sys
ss = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}
# start_node NAME CONFIG ARGS...: node in the background (NODE_PID), its
# output in $T/NAME.out; waits (5 s at most) for its "listening" line.
start_node() {
  name=$1 cfg=$2
  shift 2
  timeout 120 "$CLOUDMIX" node --config "$cfg" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  NODE_PID=$!
  PIDS="$PIDS $NODE_PID"
  i=0
  while ! grep -q listening "$T/$name.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  grep -q listening "$T/$name.out"
}
