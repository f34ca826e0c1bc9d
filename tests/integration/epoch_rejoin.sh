#!/bin/sh
# A real-mode mix node rejoins after a crash with the same identity and
# epoch (seed 3.3: "the mix node must persist the digest before installing
# a new configuration"), on loopback UDP:
#  1. `node init`; an operator key made here; the node's packet key of
#     epoch 2 made ahead (`node epoch prepare`); the committed digest of
#     epoch 2 signed by the operator (`node epoch sign`) and installed into
#     the node's state database (`node epoch install`);
#  2. the daemon starts in epoch 2 with that key and publishes the digest's
#     hash; a client on epoch 2 gets its packets through; the key of epoch
#     3, made ahead, is published at start and a client on epoch 3 gets
#     through too, before epoch 3 is installed;
#  3. SIGKILL; restarted: the same Ed25519 and packet keys, the same epoch
#     and digest hash; a new client run still gets through;
#  4. packets captured before the crash are refused as replays after the
#     restart (the replay journal, whose torn last record is cut off); with
#     the journal deleted they are accepted again;
#  5. the node's software quote over a client nonce verifies against the
#     operator-signed digest and the binary, and not for another nonce or
#     with a changed signature;
#  6. a corrupted state database (and a digest signed by another operator)
#     is refused with a clear error naming the file.
# Needs CLOUDMIX and /usr/bin/python3 (free ports).
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
set -- $(free_ports 3)
NP=$1 CP=$2 RELAY=$3

timeout 10 "$CLOUDMIX" node init --dir "$T/k" --address 10 --listen "127.0.0.1:$NP" >"$T/init.out" 2>&1 ||
  bad "node init" "$(cat "$T/init.out")"
timeout 10 "$CLOUDMIX" node epoch operator --out "$T/operator.key" >"$T/op.out" 2>&1 || bad "epoch operator" "$(cat "$T/op.out")"
OPK=$(val operator_pk "$T/op.out")
timeout 10 "$CLOUDMIX" node epoch prepare --keys "$T/k" --epoch 2 >"$T/prep.out" 2>&1 || bad "epoch prepare" "$(cat "$T/prep.out")"
PK2=$(val pk "$T/prep.out")
timeout 10 "$CLOUDMIX" node epoch sign --operator-key "$T/operator.key" --version 2 --node "$T/k/node.descriptor=$PK2" \
  --out "$T/e2.digest" >"$T/sign.out" 2>&1 || bad "epoch sign" "$(cat "$T/sign.out")"
DIGEST=$(val digest "$T/sign.out")
printf '[node]\nkeys = k\n[client.bench]\naddress = 100\nlisten = 127.0.0.1:%s\n' "$CP" >"$T/n.ini"
if timeout 10 "$CLOUDMIX" node epoch install --config "$T/n.ini" --digest "$T/e2.digest" --operator-pk "$OPK" \
     >"$T/inst.out" 2>&1 && [ "$(val digest "$T/inst.out")" = "$DIGEST" ] && [ -f "$T/k.state.db" ]; then
  ok "epoch 2 installed offline into k.state.db (digest $(echo "$DIGEST" | cut -c1-16)...)"
else bad "epoch install" "$(cat "$T/inst.out")"; fi

# the key of epoch 3 made ahead: the node publishes it at start
timeout 10 "$CLOUDMIX" node epoch prepare --keys "$T/k" --epoch 3 >"$T/prep3.out" 2>&1 || bad "epoch prepare 3" "$(cat "$T/prep3.out")"
PK3=$(val pk "$T/prep3.out")
# client_ini FILE PK EPOCH
client_ini() {
  printf '[client]\naddress = 100\nlisten = 127.0.0.1:%s\nhops = 1\nlate_after_ms = 1000\n[node.n1]\naddress = 10\nlisten = 127.0.0.1:%s\npk = %s\nepoch = %s\n' \
    "$CP" "$NP" "$2" "$3" >"$1"
}
client_ini "$T/c.ini" "$PK2" 2
client_ini "$T/c3.ini" "$PK3" 3
# start NAME [CONFIG]: the daemon in the background (not under timeout: SIGKILL must
# reach the node itself; --duration 60 bounds it), waits for "listening"
start() {
  "$CLOUDMIX" node --config "${2:-$T/n.ini}" --duration 60 >"$T/$1.out" 2>"$T/$1.err" &
  NODE_PID=$!
  PIDS="$PIDS $NODE_PID"
  i=0
  while ! grep -q listening "$T/$1.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  grep -q listening "$T/$1.out"
}
# run_through NAME [CONFIG EPOCH]: a 1 s client run at 100/s; ok if it got every packet back
run_through() {
  timeout 30 "$CLOUDMIX" client --config "${2:-$T/c.ini}" --rate 100 --duration 1 >"$T/$1.out" 2>"$T/$1.err"
  s=$(val sent "$T/$1.out") g=$(val received "$T/$1.out")
  if [ "${s:-0}" -gt 20 ] && [ "$g" = "$s" ]; then ok "$1: client on epoch ${3:-2} got $g of $s packets through"
  else bad "$1: client on epoch ${3:-2} gets through" "$(cat "$T/$1.out" "$T/$1.err")"; fi
}

for run in first restarted; do
  if start "$run"; then
    if [ "$(val epoch "$T/$run.out")" = 2 ] && [ "$(val epoch_digest "$T/$run.out")" = "$DIGEST" ] &&
       [ "$(val pk "$T/$run.out")" = "$PK2" ] && [ "$(val epoch_operator_pk "$T/$run.out")" = "$OPK" ]; then
      ok "$run node: epoch 2, digest $(echo "$DIGEST" | cut -c1-16)..., packet key of epoch 2, sign_pk $(val sign_pk "$T/$run.out" | cut -c1-16)..."
    else bad "$run node starts in epoch 2 with its digest and key" "$(cat "$T/$run.out")"; fi
    run_through "$run-client"
    if [ "$(val epochs_held "$T/$run.out")" = 2,3 ] && [ "$(val next_pk "$T/$run.out")" = "$PK3" ]; then ok "$run node holds the keys of epochs 2 and 3 (3 published ahead)"
    else bad "$run node holds epochs 2,3" "$(cat "$T/$run.out")"; fi
    [ $run = restarted ] && run_through "$run-client3" "$T/c3.ini" 3
    kill -KILL "$NODE_PID"
    wait "$NODE_PID" 2>/dev/null
  else bad "$run node starts" "$(cat "$T/$run.out" "$T/$run.err")"; fi
done
for k in sign_pk binary_blake2b measurement; do
  if [ -n "$(val $k "$T/first.out")" ] && [ "$(val $k "$T/first.out")" = "$(val $k "$T/restarted.out")" ]; then
    ok "after SIGKILL and restart: the same $k"
  else bad "the same $k after restart" "$(val $k "$T/first.out") vs $(val $k "$T/restarted.out")"; fi
done
if grep -q "not hardware-backed" "$T/first.out"; then ok "the quote is labelled not hardware-backed"
else bad "quote label" "$(cat "$T/first.out")"; fi

# replays across the crash: a relay on the client's path captures its
# packets (all delivered); SIGKILL; restarted, the node refuses every one
# of them resent from the relay's address (replay), from its journal
# (<state>.tags.2); with the journal deleted, the same packets are
# accepted once more, which is what the journal prevents
cat >"$T/relay.py" <<'EOF2'
import socket, sys
relay, node, cli = (("127.0.0.1", int(p)) for p in sys.argv[1:4])
cap = open(sys.argv[4], "wb")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(relay)
print("ready", flush=True)
while True:
    d, a = s.recvfrom(65536)
    if a == cli:
        cap.write(len(d).to_bytes(4, "big") + d); cap.flush(); s.sendto(d, node)
    else:
        s.sendto(d, cli)
EOF2
cat >"$T/resend.py" <<'EOF2'
import socket, sys, time
relay, node = (("127.0.0.1", int(p)) for p in sys.argv[1:3])
b = open(sys.argv[3], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(relay)
i = n = 0
while i < len(b):
    k = int.from_bytes(b[i:i + 4], "big"); s.sendto(b[i + 4:i + 4 + k], node); i += 4 + k; n += 1; time.sleep(0.001)
print("resent", n)
EOF2
# (fail_burst high: each replay costs the source a token of its failure
# budget, and past 64 they would be counted rate_limited instead)
printf '[node]\nkeys = k\nfail_burst = 100000\n[client.bench]\naddress = 100\nlisten = 127.0.0.1:%s\n' "$RELAY" >"$T/nr.ini"
printf '[client]\naddress = 100\nlisten = 127.0.0.1:%s\nhops = 1\nlate_after_ms = 1000\n[node.n1]\naddress = 10\nlisten = 127.0.0.1:%s\npk = %s\nepoch = 2\n' \
  "$CP" "$RELAY" "$PK2" >"$T/cr.ini"
$PY "$T/relay.py" "$RELAY" "$NP" "$CP" "$T/cap.bin" >"$T/relay.out" 2>&1 &
RPID=$!
PIDS="$PIDS $RPID"
i=0
while ! grep -q ready "$T/relay.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if start pre "$T/nr.ini"; then
  run_through pre-client "$T/cr.ini"
  kill -KILL "$NODE_PID"
  wait "$NODE_PID" 2>/dev/null
fi
kill "$RPID"
wait "$RPID" 2>/dev/null
NCAP=$(val sent "$T/pre-client.out")
# resend_after NAME: restart, resend the captured packets, stop (SIGTERM)
resend_after() {
  if start "$1" "$T/nr.ini"; then
    $PY "$T/resend.py" "$RELAY" "$NP" "$T/cap.bin" >"$T/$1.resend" 2>&1
    sleep 0.3
    kill -TERM "$NODE_PID"
    wait "$NODE_PID"
  else bad "$1 node starts" "$(cat "$T/$1.out" "$T/$1.err")"; fi
}
printf 'torn!!!' >>"$T/k.state.db.tags.2" # a record cut short by the kill: skipped and cut off
resend_after post
sz=$(wc -c <"$T/k.state.db.tags.2")
if [ $((sz % 32)) = 0 ]; then ok "the journal's torn last record was cut ($sz bytes, whole 32-byte tags)"
else bad "torn journal record cut" "size $sz"; fi
if [ "${NCAP:-0}" -gt 20 ] && [ "$(val received "$T/post.out")" = "$NCAP" ] && [ "$(val replay "$T/post.out")" = "$NCAP" ] &&
   [ "$(val delivered "$T/post.out")" = 0 ] && [ "$(val balanced "$T/post.out")" = yes ] &&
   [ "$(val replay_tags_restored "$T/post.out")" -ge "$NCAP" ]; then
  ok "after SIGKILL and restart: all $NCAP packets seen before the crash refused as replays ($(val replay_tags_restored "$T/post.out") tags restored from the journal)"
else bad "replays refused after the restart" "captured $NCAP; $(cat "$T/post.out" "$T/post.resend")"; fi
rm -f "$T"/k.state.db.tags.*
resend_after nojournal
if [ "$(val delivered "$T/nojournal.out")" = "$NCAP" ] && [ "$(val replay "$T/nojournal.out")" = 0 ]; then
  ok "control: with the journal deleted the same $NCAP packets are accepted again (delivered)"
else bad "control without the journal" "$(cat "$T/nojournal.out")"; fi

# the software quote over a client nonce: made from the node's keys and
# state, checked against the operator-signed digest and the binary
NONCE=$($PY -c 'import os; print(os.urandom(32).hex())')
NONCE2=$($PY -c 'import os; print(os.urandom(32).hex())')
timeout 10 "$CLOUDMIX" node quote --config "$T/n.ini" --nonce "$NONCE" --out "$T/q" >"$T/q.out" 2>&1 ||
  bad "node quote" "$(cat "$T/q.out")"
if timeout 10 "$CLOUDMIX" node quote --verify "$T/q" --digest "$T/e2.digest" --nonce "$NONCE" --binary "$CLOUDMIX" \
     >"$T/qv.out" 2>&1 && grep -q "not hardware-backed" "$T/qv.out" && grep -q "$DIGEST" "$T/qv.out" &&
   grep -q "$(val binary_blake2b "$T/first.out")" "$T/qv.out"; then
  ok "quote verified against the digest and the binary: $(head -c 100 "$T/qv.out")..."
else bad "quote verifies" "$(cat "$T/qv.out")"; fi
timeout 10 "$CLOUDMIX" node quote --verify "$T/q" --digest "$T/e2.digest" --nonce "$NONCE2" >"$T/qn.out" 2>&1
rc1=$?
sed 's/^quote_sig=\(.\)/quote_sig=0/' "$T/q" >"$T/qt"
[ "$(grep ^quote_sig "$T/q")" = "$(grep ^quote_sig "$T/qt")" ] && sed 's/^quote_sig=\(.\)/quote_sig=1/' "$T/q" >"$T/qt"
timeout 10 "$CLOUDMIX" node quote --verify "$T/qt" --digest "$T/e2.digest" --nonce "$NONCE" >"$T/qx.out" 2>&1
rc2=$?
if [ $rc1 = 1 ] && grep -q "another nonce" "$T/qn.out" && [ $rc2 = 1 ] && grep -q "quote_sig fails" "$T/qx.out"; then
  ok "quote refused for another nonce and with a changed signature"
else bad "bad quotes refused" "$rc1 $(cat "$T/qn.out") / $rc2 $(cat "$T/qx.out")"; fi

# a digest signed by another operator: refused, the installed state unchanged
timeout 10 "$CLOUDMIX" node epoch operator --out "$T/other.key" >/dev/null 2>&1
timeout 10 "$CLOUDMIX" node epoch sign --operator-key "$T/other.key" --version 3 --node "$T/k/node.descriptor=$PK2" \
  --out "$T/e3.digest" >/dev/null 2>&1
timeout 10 "$CLOUDMIX" node epoch install --config "$T/n.ini" --digest "$T/e3.digest" >"$T/inst3.out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "signed by the operator key" "$T/inst3.out"; then ok "a digest of another operator: refused (exit 1)"
else bad "another operator's digest refused" "rc=$rc $(cat "$T/inst3.out")"; fi

# a corrupted state database: the node refuses to start, naming the file
cp "$T/k.state.db" "$T/saved.db"
$PY -c '
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for i in range(0, len(b), 7): b[i] ^= 0x5a
open(p, "wb").write(b)' "$T/k.state.db"
timeout 10 "$CLOUDMIX" node --config "$T/n.ini" --duration 1 >"$T/bad.out" 2>"$T/bad.err"
rc=$?
if [ $rc = 2 ] && grep -q "k.state.db" "$T/bad.err" && grep -q "not a cloudmix epoch database" "$T/bad.err" &&
   ! grep -q listening "$T/bad.out"; then ok "corrupted state db refused (exit 2): $(head -c 160 "$T/bad.err")"
else bad "corrupted state db refused" "rc=$rc $(cat "$T/bad.out" "$T/bad.err")"; fi
# another node's state database (another identity, the same config)
cp "$T/saved.db" "$T/k.state.db"
timeout 10 "$CLOUDMIX" node init --dir "$T/k2" --address 11 --listen "127.0.0.1:$NP" >/dev/null 2>&1
cp "$T/saved.db" "$T/k2.state.db"
printf '[node]\nkeys = k2\n' >"$T/n2.ini"
timeout 10 "$CLOUDMIX" node --config "$T/n2.ini" --duration 1 >"$T/other.out" 2>"$T/other.err"
rc=$?
if [ $rc = 2 ] && grep -q "another node" "$T/other.err"; then ok "another node's state db refused (exit 2)"
else bad "another node's state db refused" "rc=$rc $(cat "$T/other.out" "$T/other.err")"; fi

echo "epoch_rejoin: $pass passed, $fail failed"
[ $fail = 0 ]
