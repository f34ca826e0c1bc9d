#!/bin/sh
# Integration tests of Mixclaves real mode through the program, on loopback
# UDP only: `cloudmix node` and `cloudmix client` exchange traffic with
# every packet accounted for (client: lost 0; node: received = the client's
# sent + the malformed datagrams we sent it, delivered = the client's
# received + late, and the node's outcome identity balances); malformed
# datagrams (short, long, empty, random, truncated header) are counted as
# malformed and the node keeps serving; datagrams from a host:port the
# config does not name are dropped before the node; SIGTERM stops the node
# cleanly with its counters; the client needs each node's key (a descriptor
# or a pk); `cloudmix node init` makes keys once and never overwrites them;
# bad configs exit 2 with one line; --help works. Real mode is full Sphinx
# (security.sh tries it as an attacker). Every step is bounded by `timeout`; background processes are
# killed by the trap. Lost bound: 0 (loopback, late_after 1 s against a
# 1 ms mean mixing delay). Needs CLOUDMIX and /usr/bin/python3.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
set -- $(free_ports 5)
NODE_PORT=$1 CLIENT_PORT=$2 TAP_PORT=$3 NODE2_PORT=$4 CLIENT2_PORT=$5

# --- node init: keys once, never overwritten -------------------------------------------
if timeout 10 "$CLOUDMIX" node init --dir "$T/k1" --address 10 --listen "127.0.0.1:$NODE_PORT" >"$T/init.out" 2>&1 &&
   [ "$(stat -c %a "$T/k1/x25519.key")" = 600 ] && [ "$(stat -c %a "$T/k1/ed25519.key")" = 600 ] &&
   grep -q '^pk=' "$T/k1/node.descriptor"; then
  ok "node init: keys 0600 and a public descriptor"
else bad "node init" "$(cat "$T/init.out"; ls -l "$T/k1")"; fi
cp "$T/k1/x25519.key" "$T/k1.saved"
timeout 10 "$CLOUDMIX" node init --dir "$T/k1" --address 10 --listen "127.0.0.1:$NODE_PORT" >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 2 ] && grep -q 'refusing to overwrite' "$T/err" && cmp -s "$T/k1/x25519.key" "$T/k1.saved"; then
  ok "node init refuses to overwrite an identity: exit 2, key unchanged"
else bad "node init refuses to overwrite" "rc=$rc $(cat "$T/err")"; fi
timeout 10 "$CLOUDMIX" node init --dir "$T/k2" --address 11 --listen "127.0.0.1:$NODE2_PORT" >/dev/null 2>&1 ||
  bad "node init (second node)" ""

cat >"$T/node.ini" <<EOF
[node]
id = 1
keys = k1
buffer = oblivious
buffer_capacity = 4096
queue_max = 1024

[client.bench]
address = 100
listen = 127.0.0.1:$CLIENT_PORT

# where this test sends its malformed datagrams from
[client.tap]
address = 200
listen = 127.0.0.1:$TAP_PORT
EOF
cat >"$T/client.ini" <<EOF
[client]
address = 100
listen = 127.0.0.1:$CLIENT_PORT
hops = 1
late_after_ms = 1000

[node.n1]
descriptor = k1/node.descriptor
EOF

# --- help --------------------------------------------------------------------------
for sub in node client; do
  if timeout 5 "$CLOUDMIX" $sub --help >"$T/help" 2>&1 && grep -q -- '--config' "$T/help" && grep -q 'Exit codes' "$T/help"
  then ok "$sub --help"; else bad "$sub --help" "$(cat "$T/help")"; fi
done

# --- a node and a client over loopback, plus malformed datagrams ---------------------
if start_node node "$T/node.ini" --duration 6; then
  ok "node starts and listens on 127.0.0.1:$NODE_PORT"
  # from the tap (a known source): short, long, empty, random with a bad
  # version byte, truncated header (a Sphinx packet is 2415 bytes); then 2
  # from a source the node does not know
  timeout 5 $PY - "$NODE_PORT" "$TAP_PORT" <<'EOF'
import os, socket, sys
node = ("127.0.0.1", int(sys.argv[1]))
tap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tap.bind(("127.0.0.1", int(sys.argv[2])))
for d in (b"x" * 10, os.urandom(2416), b"", b"\x07" + os.urandom(2414), b"\x02" + os.urandom(199)):
    tap.sendto(d, node)
stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
stranger.bind(("127.0.0.1", 0))
for _ in range(2):
    stranger.sendto(os.urandom(2415), node)
EOF
  sleep 0.2
  if timeout 15 "$CLOUDMIX" client --config "$T/client.ini" --rate 200 --duration 2 >"$T/client.out" 2>"$T/client.err"; then
    sent=$(val sent "$T/client.out") got=$(val received "$T/client.out") lost=$(val lost "$T/client.out")
    late=$(val late "$T/client.out") out=$(val outstanding "$T/client.out")
    if [ "$got" -gt 0 ] && [ "$lost" = 0 ] && [ "$out" = 0 ] && [ "$sent" = "$got" ]; then
      ok "client: $sent loops sent, $got back, lost 0 (p50 $(val rtt_p50_ms "$T/client.out") ms, p99 $(val rtt_p99_ms "$T/client.out") ms)"
    else bad "client: loops back, none lost" "$(cat "$T/client.out" "$T/client.err")"; fi
    grep -q '^rtt_p95_ms' "$T/client.out" && grep -q '^throughput_per_s' "$T/client.out" &&
      ok "client prints throughput and RTT p50/p95/p99" || bad "client prints throughput and RTT" "$(cat "$T/client.out")"
  else bad "client exits 0" "$(cat "$T/client.out" "$T/client.err")"; sent=x got=x late=x; fi
  wait "$NODE_PID"
  rc=$?
  N=$T/node.out
  if [ $rc = 0 ] && grep -q 'stopped by --duration' "$N"; then ok "node stops after --duration, exit 0"
  else bad "node stops after --duration, exit 0" "rc=$rc $(cat "$N" "$T/node.err")"; fi
  sum=0
  for k in malformed stale_epoch rate_limited replay_filter_full replay delay_too_long source_share_full \
           queue_full buffer_full unknown_next_hop discarded_drop loop_returned forwarded delivered send_failed \
           in_cpu held; do
    sum=$((sum + $(val $k "$N")))
  done
  recv=$(val received "$N")
  if [ "$(val balanced "$N")" = yes ] && [ "$recv" = "$sum" ]; then ok "node counters balance: received $recv = sum of outcomes"
  else bad "node counters balance" "$(cat "$N")"; fi
  if [ "$(val malformed "$N")" = 5 ] && [ "$(val net_dropped_unknown_source "$N")" = 2 ]; then
    ok "5 malformed datagrams counted malformed, 2 from an unknown source dropped before the node"
  else bad "malformed counted" "$(cat "$N")"; fi
  if [ "$recv" = $((sent + 5)) ] && [ "$(val delivered "$N")" = $((got + late)) ]; then
    ok "every packet accounted for: node received = client sent + 5 malformed; delivered = client received + late"
  else bad "every packet accounted for" "client sent=$sent received=$got late=$late; $(cat "$N")"; fi
else bad "node starts" "$(cat "$T/node.out" "$T/node.err")"; fi

# --- SIGTERM -------------------------------------------------------------------------
if start_node term "$T/node.ini"; then
  kill -TERM "$NODE_PID"
  wait "$NODE_PID"
  rc=$?
  if [ $rc = 0 ] && grep -q 'stopped by SIGTERM' "$T/term.out" && [ "$(val balanced "$T/term.out")" = yes ]; then
    ok "SIGTERM stops the node: exit 0, counters printed"
  else bad "SIGTERM stops the node" "rc=$rc $(cat "$T/term.out" "$T/term.err")"; fi
else bad "node starts (SIGTERM)" "$(cat "$T/term.out" "$T/term.err")"; fi

# --- the client needs the node's key: a descriptor, or address + listen + pk ----------------
sed -e "s/$CLIENT_PORT/$CLIENT2_PORT/; s#keys = k1#keys = k2#" "$T/node.ini" >"$T/node2.ini"
if start_node full "$T/node2.ini" --duration 4; then
  pk=$(val pk "$T/full.out")
  printf '[client]\naddress = 100\nlisten = 127.0.0.1:%s\n[node.n1]\naddress = 11\nlisten = 127.0.0.1:%s\n' \
    "$CLIENT2_PORT" "$NODE2_PORT" >"$T/client-pk.ini"
  timeout 5 "$CLOUDMIX" client --config "$T/client-pk.ini" --rate 50 --duration 0.2 >/dev/null 2>"$T/err"
  rc=$?
  if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q '\[node.n1\] pk' "$T/err"; then ok "client without the node's key: exit 2, one line"
  else bad "client without the node's key: exit 2" "rc=$rc $(cat "$T/err")"; fi
  echo "pk = $pk" >>"$T/client-pk.ini"
  if timeout 15 "$CLOUDMIX" client --config "$T/client-pk.ini" --rate 100 --duration 1 >"$T/cf.out" 2>"$T/cf.err" &&
     [ "$(val received "$T/cf.out")" -gt 0 ] && [ "$(val lost "$T/cf.out")" = 0 ]; then
    ok "client with the node's pk inline: $(val received "$T/cf.out") loops back, lost 0"
  else bad "client with pk inline" "$(cat "$T/cf.out" "$T/cf.err")"; fi
  wait "$NODE_PID"
  [ "$(val balanced "$T/full.out")" = yes ] && [ "$(val malformed "$T/full.out")" = 0 ] &&
    ok "second node balances, nothing malformed" || bad "second node balances" "$(cat "$T/full.out")"
else bad "node starts (second)" "$(cat "$T/full.out" "$T/full.err")"; fi

# --- nobody home: exit 1 -----------------------------------------------------------------
timeout 10 "$CLOUDMIX" client --config "$T/client.ini" --rate 50 --duration 0.2 >"$T/out" 2>"$T/err"
rc=$?
[ $rc = 1 ] && [ "$(val received "$T/out")" = 0 ] && ok "client with no node: exit 1" || bad "client with no node: exit 1" "rc=$rc $(cat "$T/out" "$T/err")"

# --- bad configs: exit 2, one line naming the file, group and key -------------------------
badcfg() { # DESCRIPTION SUBCOMMAND EXPECTED-IN-MESSAGE CONFIG-TEXT (printf format, no pipe: counters stay)
  printf "$4" "$NODE_PORT" >"$T/bad.ini"
  timeout 5 "$CLOUDMIX" "$2" --config "$T/bad.ini" --duration 1 >/dev/null 2>"$T/err"
  rc=$?
  if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "bad.ini: $3" "$T/err"; then ok "bad config ($1): exit 2, one line"
  else bad "bad config ($1)" "rc=$rc $(cat "$T/err")"; fi
}
K="keys = $T/k1"
badcfg "listen unlike the descriptor" node '\[node\] listen' "[node]\n$K\nlisten = 127.0.0.1:x%s\n"
badcfg "unknown buffer" node '\[node\] buffer' "[node]\n$K\nbuffer = fifo\n"
badcfg "no keys" node '\[node\] keys' '[node]\naddress = 10\nlisten = 127.0.0.1:%s\n'
badcfg "unknown crypto" node '\[node\] crypto' "[node]\n$K\ncrypto = fast\n"
badcfg "key_seed is gone" node '\[node\] key_seed' "[node]\n$K\nkey_seed = 1\n"
badcfg "unknown key" node '\[node\] queue' "[node]\n$K\nqueue = 5\n"
badcfg "unknown group" node '\[peers\]' "[node]\n$K\n[peers]\n"
badcfg "client without nodes" client '\[node.NAME\]' '[client]\naddress = 100\nlisten = 127.0.0.1:%s\n'
badcfg "client seed is gone" client '\[client\] seed' '[client]\naddress = 100\nlisten = 127.0.0.1:%s\nseed = 5\n'
badcfg "small-order pk" client '\[node.n\] pk' "[client]\naddress = 100\nlisten = 127.0.0.1:%s\n[node.n]\naddress = 9\nlisten = 127.0.0.1:1\npk = $(printf '%064d' 0)\n"
badcfg "missing descriptor" client '\[node.n\] descriptor' "[client]\naddress = 100\nlisten = 127.0.0.1:%s\n[node.n]\ndescriptor = $T/nowhere\n"
mkdir -p "$T/empty"
badcfg "keys absent" node '\[node\] keys: .*make them once with .cloudmix node init' "[node]\nkeys = $T/empty\n"
cp -r "$T/k1" "$T/k3" && chmod 644 "$T/k3/x25519.key"
badcfg "key file too open" node '\[node\] keys: .*too open' "[node]\nkeys = $T/k3\n"
badcfg "not a key file" node 'cannot read' 'not a key file\n'
timeout 5 "$CLOUDMIX" node --duration 1 >/dev/null 2>"$T/err"
[ $? = 2 ] && ok "node without --config: exit 2" || bad "node without --config: exit 2" "$(cat "$T/err")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
