#!/bin/sh
# The control plane in real mode, on loopback UDP only (models/mixclaves/
# ctrl.h; cli/ctrl.c): `cloudmix operator init` makes the operator key;
# three nodes n1..n3 load its public half and run with loop cover;
# `cloudmix ctrl` reaches n3 through n1 and n2 (3 hops, a 2-hop reply
# block): READ_METRICS comes back signed by n3 with counters of the scale
# of n3's own final ones; SET_COVER raises n3's loop rate (seen in its
# counters); a replayed datagram of an accepted command gets no reply;
# POISON_PILL makes n3 drop every later packet (poisoned). Twins: three
# lone nodes get 5 commands signed with another key (t1), 5 DROP cover
# packets (t2), 5 correctly signed commands while holding no operator key
# (t3), and one replay of the last datagram each: their public counters
# must be identical, line for line. Bad usage exits 2. Needs CLOUDMIX and
# /usr/bin/python3; every step bounded by `timeout`.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
set -- $(free_ports 8)
P1=$1 P2=$2 P3=$3 PC=$4 PT=$5 Q1=$6 Q2=$7 Q3=$8

# --- keys -------------------------------------------------------------------------
ok_keys=1
timeout 10 "$CLOUDMIX" operator init --dir "$T/op" >"$T/op.out" 2>&1 || ok_keys=0
timeout 10 "$CLOUDMIX" operator init --dir "$T/op2" >/dev/null 2>&1 || ok_keys=0
for i in 1 2 3; do
  eval port=\$P$i
  timeout 10 "$CLOUDMIX" node init --dir "$T/k$i" --address $i --listen "127.0.0.1:$port" >/dev/null 2>&1 || ok_keys=0
  eval port=\$Q$i
  timeout 10 "$CLOUDMIX" node init --dir "$T/t$i" --address $((10 + i)) --listen "127.0.0.1:$port" >/dev/null 2>&1 || ok_keys=0
done
if [ $ok_keys = 1 ] && [ "$(stat -c %a "$T/op/operator.key")" = 600 ] && grep -Eq '^[0-9a-f]{64}$' "$T/op/operator.pub"
then ok "operator init: secret 0600, public key 64 hex digits"
else bad "operator init and node init" "$(cat "$T/op.out"; ls -l "$T/op")"; fi
timeout 10 "$CLOUDMIX" operator init --dir "$T/op" >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q 'refusing to overwrite' "$T/err" && ok "operator init never overwrites (exit 2)" ||
  bad "operator init never overwrites" "rc=$rc $(cat "$T/err")"

clients="[client.ctrl]
address = 100
listen = 127.0.0.1:$PC

[client.tap]
address = 200
listen = 127.0.0.1:$PT"
for i in 1 2 3; do
  cat >"$T/n$i.ini" <<EOF
[node]
keys = k$i
operator = op/operator.pub
loop_rate_per_s = 5
loop_hops = 2

[node.n1]
descriptor = k1/node.descriptor
[node.n2]
descriptor = k2/node.descriptor
[node.n3]
descriptor = k3/node.descriptor

$clients
EOF
  # the twins: alone, no loop cover; t3 has no operator key
  { printf '[node]\nkeys = t%s\n' $i; [ $i != 3 ] && printf 'operator = op/operator.pub\n'; printf '\n%s\n' "$clients"; } >"$T/t$i.ini"
done
for o in op op2; do
  cat >"$T/$o.ini" <<EOF
[ctrl]
address = 100
listen = 127.0.0.1:$PC
operator = $o

[node.n1]
descriptor = k1/node.descriptor
[node.n2]
descriptor = k2/node.descriptor
[node.n3]
descriptor = k3/node.descriptor
[node.t1]
descriptor = t1/node.descriptor
[node.t2]
descriptor = t2/node.descriptor
[node.t3]
descriptor = t3/node.descriptor
EOF
done
ctrl() { timeout 20 "$CLOUDMIX" ctrl "$@"; }
# resend FILE PORT [WAIT]: send the datagram in FILE to 127.0.0.1:PORT from
# the ctrl's own address, then count the datagrams coming back within WAIT s
resend() {
  timeout 10 $PY - "$1" "$2" "$PC" "${3:-0}" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[3])))
s.sendto(open(sys.argv[1], "rb").read(), ("127.0.0.1", int(sys.argv[2])))
s.settimeout(0.1)
got, end = 0, time.time() + float(sys.argv[4])
while time.time() < end:
    try:
        s.recv(4096); got += 1
    except socket.timeout:
        pass
print(got)
EOF
}

# --- usage ----------------------------------------------------------------------------
timeout 5 "$CLOUDMIX" ctrl --help >"$T/help" 2>&1 && grep -q 'read_metrics' "$T/help" && grep -q 'Exit codes' "$T/help" &&
  ok "ctrl --help" || bad "ctrl --help" "$(cat "$T/help")"
usage_bad=""
for args in "--target 3 read_metrics" "--config $T/op.ini read_metrics" "--config $T/op.ini --target 3 frobnicate" \
            "--config $T/op.ini --target 3 set_cover" "--config $T/op.ini --target 3 set_cover fast" \
            "--config $T/op.ini --target 3 --via 1,x read_metrics" "--config $T/op.ini --target 3 --back none read_metrics"; do
  ctrl $args >/dev/null 2>"$T/err"
  rc=$?
  if [ $rc != 2 ] || [ "$(wc -l <"$T/err")" != 2 ]; then usage_bad="$usage_bad; $args: rc=$rc $(cat "$T/err")"; fi
done
[ -z "$usage_bad" ] && ok "ctrl refuses 7 bad usages with exit 2, the problem and the --help hint" ||
  bad "ctrl bad usage: exit 2" "$usage_bad"
ctrl --config "$T/op.ini" --target 99 read_metrics >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q 'target 99' "$T/err" && ok "ctrl: an unknown target is a config error naming it" ||
  bad "ctrl: unknown target" "rc=$rc $(cat "$T/err")"

# --- bad operator keys: exit 2, one line naming the file and key ---------------------------
keybad=""
for case in "operator_pk = 12ab|operator_pk: expected 64 hex digits" \
            "operator = nothere.pub|operator: .*nothere.pub: cannot read" \
            "operator = op/operator.pub
operator_pk = $(cat "$T/op/operator.pub")|operator_pk: given with operator"; do
  sed '/^operator = /d' "$T/t1.ini" | awk -v add="${case%%|*}" '{ print } /^keys = / { print add }' >"$T/badop.ini"
  timeout 5 "$CLOUDMIX" node --config "$T/badop.ini" --duration 1 >/dev/null 2>"$T/err"
  rc=$?
  if [ $rc != 2 ] || [ "$(wc -l <"$T/err")" != 1 ] || ! grep -q "badop.ini: \[node\] ${case#*|}" "$T/err"; then
    keybad="$keybad; ${case%%|*}: rc=$rc $(cat "$T/err")"
  fi
done
[ -z "$keybad" ] && ok "node: a bad, missing or doubly given operator key is exit 2 with one line" ||
  bad "node: bad operator key" "$keybad"
cp -r "$T/op" "$T/oploose" && chmod 644 "$T/oploose/operator.key" && sed 's/^operator = op$/operator = oploose/' "$T/op.ini" >"$T/loose.ini"
ctrl --config "$T/loose.ini" --target 3 read_metrics >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q 'too open' "$T/err" && ok "ctrl refuses an operator key readable by others (exit 2)" ||
  bad "ctrl refuses a loose operator key" "rc=$rc $(cat "$T/err")"

# --- three nodes: metrics, cover rate, replay, poison -------------------------------------
started=1
# (start_node uses $i)
for j in 1 2 3; do start_node n$j "$T/n$j.ini" --duration 60 || started=0; eval NPID$j=\$NODE_PID; done
for j in 1 2 3; do start_node t$j "$T/t$j.ini" --duration 60 || started=0; eval TPID$j=\$NODE_PID; done
if [ $started = 1 ] && grep -q '^operator key [0-9a-f]' "$T/n3.out" && grep -q 'operator key: none' "$T/t3.out"; then
  ok "6 nodes start; n3 prints its operator key, t3 says it has none"
else bad "nodes start" "$(cat "$T"/n*.out "$T"/t*.err "$T"/n*.err)"; fi

C=$T/m1.out
if ctrl --config "$T/op.ini" --target 3 --via 1,2 --save "$T/acc.pkt" read_metrics >"$C" 2>"$T/err" &&
   grep -q '^reply ack from node 3' "$C" && [ "$(val ctrl_accepted "$C")" = 1 ] && [ "$(val received "$C")" -ge 1 ]; then
  ok "read_metrics through 3 hops: signed reply from n3 ($(sed -n 2p "$C" | sed 's/.*, //'), received $(val received "$C"))"
else bad "read_metrics through 3 hops" "$(cat "$C" "$T/err")"; fi
got=$(resend "$T/acc.pkt" "$P1" 1)
[ "$got" = 0 ] && ok "the same datagram sent again: no reply" || bad "replayed datagram: no reply" "got $got"

rate0=$(val loop_rate_ups "$C")
if ctrl --config "$T/op.ini" --target 3 --via 1,2 set_cover 200 >"$T/sc.out" 2>&1 && grep -q '^reply ack' "$T/sc.out"; then
  ok "set_cover 200: ack"
else bad "set_cover 200" "$(cat "$T/sc.out")"; fi
sleep 2
C2=$T/m2.out
ctrl --config "$T/op.ini" --target 3 --via 1,2 read_metrics >"$C2" 2>&1
l1=$(val loops_sent "$C") l2=$(val loops_sent "$C2")
if [ "$rate0" = 5000000 ] && [ "$(val loop_rate_ups "$C2")" = 200000000 ] && [ $((l2 - l1)) -ge 200 ]; then
  ok "n3's loop rate 5/s -> 200/s: loops_sent $l1 -> $l2 in ~2 s"
else bad "set_cover changes the loop rate" "rate0=$rate0 l1=$l1 $(cat "$C2")"; fi

ctrl --config "$T/op.ini" --target 3 read_metrics >"$T/one.out" 2>&1 && grep -q '^reply ack from node 3' "$T/one.out" &&
  ok "read_metrics with no --via: the reply block leaves through the target itself" ||
  bad "read_metrics, 1 hop" "$(cat "$T/one.out")"
ctrl --config "$T/op.ini" --target 3 --via 2 --back 1 canary "no warrants served" >"$T/can.out" 2>&1
want=$($PY -c 'import hashlib; print(hashlib.blake2b(b"no warrants served", digest_size=32).hexdigest())')
[ "$(val canary_hash "$T/can.out")" = "$want" ] && ok "canary (via n2, back via n1): the node signs BLAKE2b-256 of the text" ||
  bad "canary" "want $want $(cat "$T/can.out")"
ctrl --config "$T/op.ini" --target 3 --via 1,2 install_epoch 1 "$want" >"$T/ie.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q '^reply nack_unknown' "$T/ie.out" && ok "install_epoch of a digest the node does not hold: nack_unknown, exit 1" ||
  bad "install_epoch unknown" "rc=$rc $(cat "$T/ie.out")"
if ctrl --config "$T/op.ini" --target 3 --via 1,2 poison_pill >"$T/pp.out" 2>&1 && grep -q '^reply ack' "$T/pp.out"; then
  ok "poison_pill: ack"
else bad "poison_pill" "$(cat "$T/pp.out")"; fi
ctrl --config "$T/op.ini" --target 3 --via 1,2 --timeout 1 read_metrics >"$T/after.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'timed_out 1' "$T/after.out" && ok "after the poison pill n3 answers nothing (exit 1, timed out)" ||
  bad "poisoned node answers nothing" "rc=$rc $(cat "$T/after.out")"

# --- the twins ----------------------------------------------------------------------------
ctrl --config "$T/op2.ini" --target 11 --count 5 --timeout 1 --save "$T/t1.pkt" read_metrics >"$T/c1.out" 2>&1
rc1=$?
ctrl --config "$T/op.ini" --target 12 --count 5 --save "$T/t2.pkt" drop >"$T/c2.out" 2>&1
rc2=$?
ctrl --config "$T/op.ini" --target 13 --back 13 --count 5 --timeout 1 --save "$T/t3.pkt" read_metrics >"$T/c3.out" 2>&1
rc3=$?
if [ $rc1 = 1 ] && grep -q 'replied 0 acked 0 timed_out 5' "$T/c1.out" && [ $rc2 = 0 ] &&
   [ $rc3 = 1 ] && grep -q 'replied 0 acked 0 timed_out 5' "$T/c3.out"; then
  ok "5 commands signed with another key, and 5 to a node without an operator key: no reply"
else bad "refused commands get no reply" "rc $rc1 $rc2 $rc3 $(cat "$T"/c?.out)"; fi
for i in 1 2 3; do resend "$T/t$i.pkt" "$(eval echo \$Q$i)" >/dev/null; done

sleep 0.2 # the replays in
# stopped by SIGTERM: they print their counters and exit 0
for p in $NPID1 $NPID2 $NPID3 $TPID1 $TPID2 $TPID3; do kill -TERM "$p"; done
for p in $NPID1 $NPID2 $NPID3 $TPID1 $TPID2 $TPID3; do wait "$p" || bad "a node exits 0 on SIGTERM" "pid $p"; done
N3=$T/n3.out
if [ "$(val balanced "$N3")" = yes ] && [ "$(val poisoned "$N3")" -ge 1 ] &&
   [ "$(val received "$C")" -le "$(val received "$N3")" ] && [ "$l2" -le "$(val loops_sent "$N3")" ] &&
   [ "$(val loops_sent "$N3")" -le $((l2 + 3000)) ]; then
  ok "n3's final counters: balanced, poisoned $(val poisoned "$N3"), received $(val received "$N3") >= the $(val received "$C") reported, loops_sent $(val loops_sent "$N3")"
else bad "n3's final counters" "$(cat "$N3")"; fi
[ "$(val replay "$T/n1.out")" = 1 ] && ok "n1 counted the replayed datagram as replay" ||
  bad "n1 counted the replay" "$(cat "$T/n1.out")"
pub() { sed -n '/^received/,/^balanced/p' "$1"; }
if [ "$(val received "$T/t1.out")" = 6 ] && [ "$(val discarded_drop "$T/t1.out")" = 5 ] && [ "$(val replay "$T/t1.out")" = 1 ] &&
   pub "$T/t1.out" >"$T/p1" && pub "$T/t2.out" >"$T/p2" && pub "$T/t3.out" >"$T/p3" &&
   cmp -s "$T/p1" "$T/p2" && cmp -s "$T/p1" "$T/p3"; then
  ok "public counters of the twins identical ($(wc -l <"$T/p1") lines): bad signature = DROP cover = no operator key"
else bad "twins' public counters identical" "$(for f in t1 t2 t3; do pub "$T/$f.out" >"$T/p$f"; done; diff "$T/pt1" "$T/pt2"; diff "$T/pt1" "$T/pt3"; cat "$T/pt1")"; fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
