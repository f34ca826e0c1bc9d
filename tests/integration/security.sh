#!/bin/sh
# Mixclaves real mode from an attacker's side, against real `cloudmix node`
# processes on loopback UDP (127.0.0.1 only, ports chosen by the OS):
#  1. replayed and bit-flipped packets are dropped (replay; malformed for a
#     flip in alpha, gamma, beta or the payload, the last by LIONESS at the
#     exit) and none is delivered: a python relay on the client's path
#     captures its packets, withholds some, and re-sends them altered;
#  2. stale-epoch packets are dropped before any crypto (stale_epoch): the
#     epoch field of captured packets changed, and a client on epoch 0
#     against a node made with `node init --epoch 1`;
#  3. a client filling the buffer with long delays is held to its share
#     (source_share_full, max_held) while another client loses nothing; a
#     delay above max_delay is dropped (delay_too_long);
#  4. a junk flood (packets passing the cheap checks, each an X25519 if let
#     through) from a known source is rate limited and leaves >= 80% of an
#     honest client's delivery; one from an unknown source is dropped
#     before the node (a python flooder at the node's own priority, as
#     fast as it can send: its rate is printed and must reach 20,000/s);
#  5. the abstract codec is refused in real mode (node and client);
#  6. a node without keys refuses to start, naming `cloudmix node init`;
#  7. two runs of one client config share no alpha and no padding or
#     ciphertext (no seed).
# Every node stopped here must print `balanced yes` (its accounting
# identity). Every process runs under `timeout` and is killed by the trap;
# every file is under one mktemp -d. Needs CLOUDMIX and /usr/bin/python3.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
# calc EXPR: awk arithmetic on numbers (floats), printed as given by the format in EXPR
calc() { awk "BEGIN { $1 }"; }
set -- $(free_ports 16)
N1=$1 RELAY=$2 C1=$3 TAPA=$4 TAPB=$5 N2=$6 C2=$7 N3=$8 ATT3=$9
shift 9
H3=$1 N4=$2 C4=$3 N5=$4 C5=$5 FLOOD=$6

# stop_node NAME: SIGTERM, wait, and check the node's accounting identity
# (balanced yes, and received = the sum of the outcomes).
stop_node() {
  kill -TERM "$NODE_PID"
  wait "$NODE_PID"
  rc=$?
  sum=0
  for k in malformed stale_epoch rate_limited replay_filter_full replay delay_too_long source_share_full \
           queue_full buffer_full unknown_next_hop discarded_drop loop_returned forwarded delivered send_failed \
           in_cpu held; do
    sum=$((sum + $(val $k "$T/$1.out")))
  done
  if [ $rc = 0 ] && [ "$(val balanced "$T/$1.out")" = yes ] && [ "$(val received "$T/$1.out")" = "$sum" ]; then
    ok "$1 node: balanced yes (received $sum = the sum of its outcomes)"
  else bad "$1 node: stops with exit 0 and balances" "rc=$rc $(cat "$T/$1.out" "$T/$1.err")"; fi
}
# init DIR ADDRESS PORT [ARGS]: a node identity
init() {
  d=$1 a=$2 p=$3
  shift 3
  timeout 10 "$CLOUDMIX" node init --dir "$T/$d" --address "$a" --listen "127.0.0.1:$p" "$@" >/dev/null 2>"$T/init.err" ||
    bad "node init $d" "$(cat "$T/init.err")"
}
# client_cfg FILE ADDRESS PORT NODE-ADDRESS NODE-PORT PK [EXTRA [client] LINES]
client_cfg() {
  printf '[client]\naddress = %s\nlisten = 127.0.0.1:%s\nhops = 1\n%s\n[node.n1]\naddress = %s\nlisten = 127.0.0.1:%s\npk = %s\n' \
    "$2" "$3" "${7:-}" "$4" "$5" "$6" >"$1"
}
# run_client NAME CONFIG RATE DURATION: foreground, output in $T/NAME.out, exit code in $crc
run_client() {
  timeout 30 "$CLOUDMIX" client --config "$2" --rate "$3" --duration "$4" >"$T/$1.out" 2>"$T/$1.err"
  crc=$?
}

# A UDP relay on the client's path (one socket, RELAY): the client's
# datagrams are appended to CAPFILE and forwarded to the node but for the
# first WITHHOLD; the node's go back to the client. Runs until killed.
cat >"$T/relay.py" <<'EOF'
import socket, sys
relay, node, cli = (("127.0.0.1", int(p)) for p in sys.argv[1:4])
cap, withhold = open(sys.argv[4], "wb"), int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(relay)
print("relay ready", flush=True)
n = 0
while True:
    d, a = s.recvfrom(65536)
    if a == cli:
        cap.write(d)
        cap.flush()
        n += 1
        if n > withhold:
            s.sendto(d, node)
    elif a == node:
        s.sendto(d, cli)
EOF
start_relay() { # CAPFILE WITHHOLD (its output in CAPFILE.out)
  timeout 60 $PY "$T/relay.py" "$RELAY" "$N1" "$C1" "$1" "$2" >"$1.out" 2>&1 &
  RELAY_PID=$!
  PIDS="$PIDS $RELAY_PID"
  i=0
  while ! grep -q ready "$1.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  grep -q ready "$1.out" || bad "relay starts" "$(cat "$1.out")"
}

# --- 1, 2a, 7: replays, bit flips and stale epochs through the relay; two runs' packets ---------------
NW=10 # packets per attack kind; the first 4 x NW of run 1 are withheld (fresh headers to flip)
init k1 10 "$N1"
cat >"$T/n1.ini" <<EOF
[node]
keys = k1
# the honest client, reached through the relay (its one socket)
[client.bench]
address = 100
listen = 127.0.0.1:$RELAY
# the attacker's sockets
[client.tapa]
address = 200
listen = 127.0.0.1:$TAPA
[client.tapb]
address = 201
listen = 127.0.0.1:$TAPB
EOF
if start_node n1 "$T/n1.ini"; then
  client_cfg "$T/c1.ini" 100 "$C1" 10 "$RELAY" "$(val pk "$T/n1.out")" "late_after_ms = 1000"
  start_relay "$T/cap1" $((4 * NW))
  run_client r1 "$T/c1.ini" 200 1
  kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
  start_relay "$T/cap2" 0
  run_client r2 "$T/c1.ini" 200 1
  kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null
  s1=$(val sent "$T/r1.out") g1=$(val received "$T/r1.out") l1=$(val lost "$T/r1.out") t1=$(val late "$T/r1.out")
  s2=$(val sent "$T/r2.out") g2=$(val received "$T/r2.out") l2=$(val lost "$T/r2.out") t2=$(val late "$T/r2.out")
  n1cap=$(($(stat -c %s "$T/cap1") / 2415)) n2cap=$(($(stat -c %s "$T/cap2") / 2415))
  if [ "${s1:-0}" -gt $((4 * NW + NW)) ] && [ "${s2:-0}" -ge "$NW" ] && [ "$n1cap" = "$s1" ] && [ "$n2cap" = "$s2" ] &&
     [ "$l1" = $((4 * NW)) ] && [ "$l2" = 0 ]; then
    ok "relay captured both honest runs: run 1 $s1 sent ($((4 * NW)) withheld = its $l1 lost), run 2 $s2 sent, $g2 back"
  else bad "relay captures the honest runs" "cap $n1cap $n2cap; $(cat "$T/r1.out" "$T/r1.err" "$T/r2.out" "$T/r2.err" "$T/cap1.out" "$T/cap2.out")"; fi
  # the attack: from tapa, NW verbatim replays of forwarded packets and NW
  # withheld packets with one bit flipped in alpha, in gamma, in beta; from
  # tapb, NW withheld with a payload bit flipped and NW of run 2 with the
  # epoch field set to 1
  timeout 20 $PY - "$N1" "$TAPA" "$TAPB" "$T/cap1" "$T/cap2" "$NW" >"$T/attack.out" 2>&1 <<'EOF'
import secrets, socket, sys, time
node = ("127.0.0.1", int(sys.argv[1]))
def sock(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(port)))
    return s
ta, tb = sock(sys.argv[2]), sock(sys.argv[3])
def load(f):
    b = open(f, "rb").read()
    return [b[i:i + 2415] for i in range(0, len(b), 2415)]
p1, p2, n = load(sys.argv[4]), load(sys.argv[5]), int(sys.argv[6])
held, fwd = p1[:4 * n], p1[4 * n:]
def flip(p, lo, hi):
    d = bytearray(p)
    i = lo + secrets.randbelow(hi - lo)
    d[i] ^= 1 << secrets.randbelow(8)
    return bytes(d)
def send(s, ps, what):
    for p in ps:
        s.sendto(p, node)
        time.sleep(0.002)
    print(what, len(ps))
send(ta, fwd[:n], "replayed")
send(ta, [flip(p, 5, 37) for p in held[0:n]], "alpha_flipped")
send(ta, [flip(p, 37, 53) for p in held[n:2 * n]], "gamma_flipped")
send(ta, [flip(p, 53, 367) for p in held[2 * n:3 * n]], "beta_flipped")
send(tb, [flip(p, 367, 2415) for p in held[3 * n:4 * n]], "payload_flipped")
send(tb, [p[:1] + (1).to_bytes(4, "big") + p[5:] for p in p2[:n]], "epoch_changed")
EOF
  [ $? = 0 ] || bad "attack script" "$(cat "$T/attack.out")"
  sleep 0.5
  # 7: two runs of one config, compared
  $PY - "$T/cap1" "$T/cap2" >"$T/cmp.out" 2>&1 <<'EOF'
import sys
def load(f):
    b = open(f, "rb").read()
    return [b[i:i + 2415] for i in range(0, len(b), 2415)]
a, b = load(sys.argv[1]), load(sys.argv[2])
alpha = lambda p: p[5:37]
A, B = [alpha(p) for p in a], [alpha(p) for p in b]
m = min(len(a), len(b))
print("pairs", m)
print("shared_alpha", len(set(A) & set(B)))
print("dup_alpha", len(A) + len(B) - len(set(A + B)))
print("beta_same", sum(a[i][53:367] == b[i][53:367] for i in range(m)))
print("payload_same", sum(a[i][367:] == b[i][367:] for i in range(m)))
print("bad_len", sum(len(p) != 2415 for p in a + b))
print("header_ok", sum(p[:5] == b"\x02\0\0\0\0" for p in a + b))
EOF
  stop_node n1
  N=$T/n1.out
  rep=$(val replay "$N") mal=$(val malformed "$N") st=$(val stale_epoch "$N") del=$(val delivered "$N")
  if grep -q '^epoch_changed 10$' "$T/attack.out" && [ "$rep" = "$NW" ] && [ "$mal" = $((4 * NW)) ] &&
     [ "$(val rate_limited "$N")" = 0 ]; then
    ok "replays dropped: $NW re-sent verbatim, node replay = $rep"
    ok "bit flips dropped: $NW each in alpha, gamma, beta and payload, node malformed = $mal (payload by LIONESS at the exit)"
  else bad "replays and bit flips dropped (replay $NW, malformed $((4 * NW)))" "$(cat "$T/attack.out" "$N")"; fi
  if [ "$st" = "$NW" ]; then ok "stale epoch: $NW captured packets with epoch field 1, node stale_epoch = $st"
  else bad "stale epoch: captured packets with epoch 1 dropped" "$(cat "$N")"; fi
  if [ "$del" = $((g1 + t1 + g2 + t2)) ] && [ "$(val received "$N")" = $((s1 - 4 * NW + s2 + 6 * NW)) ]; then
    ok "no attack packet delivered: node delivered $del = the honest runs' received + late; received = relayed + $((6 * NW)) attack"
  else bad "no attack packet delivered" "r1 $s1/$g1/$t1 r2 $s2/$g2/$t2; $(cat "$N")"; fi
  C=$T/cmp.out
  np=$(val pairs "$C")
  if [ "$(val shared_alpha "$C")" = 0 ] && [ "$(val dup_alpha "$C")" = 0 ] && [ "$(val beta_same "$C")" = 0 ] &&
     [ "$(val payload_same "$C")" = 0 ] && [ "$(val bad_len "$C")" = 0 ] && [ "${np:-0}" -gt 100 ] &&
     [ "$(val header_ok "$C")" = $((s1 + s2)) ]; then
    ok "two runs of one config: $s1 + $s2 packets, 0 alphas shared between runs, 0 repeated; beta and payload differ in all $np pairs"
  else bad "two runs of one config share nothing" "$(cat "$C")"; fi
else bad "node n1 starts" "$(cat "$T/n1.out" "$T/n1.err")"; fi

# --- 2b: a node of key epoch 1, a client on epoch 0 -----------------------------------------------
init k2 11 "$N2" --epoch 1
printf '[node]\nkeys = k2\n[client.bench]\naddress = 100\nlisten = 127.0.0.1:%s\n' "$C2" >"$T/n2.ini"
if start_node n2 "$T/n2.ini"; then
  client_cfg "$T/c2.ini" 100 "$C2" 11 "$N2" "$(val pk "$T/n2.out")" "late_after_ms = 500"
  run_client e0 "$T/c2.ini" 200 1
  stop_node n2
  s=$(val sent "$T/e0.out")
  if [ $crc = 1 ] && [ "$(val received "$T/e0.out")" = 0 ] && [ "${s:-0}" -gt 0 ] &&
     [ "$(val stale_epoch "$T/n2.out")" = "$s" ] && [ "$(val received "$T/n2.out")" = "$s" ] &&
     [ "$(val delivered "$T/n2.out")" = 0 ]; then
    ok "client on epoch 0, node on key epoch 1: all $s packets stale_epoch, 0 delivered, client exit 1"
  else bad "epoch 0 against a node of epoch 1" "crc=$crc $(cat "$T/e0.out" "$T/e0.err" "$T/n2.out")"; fi
else bad "node n2 starts" "$(cat "$T/n2.out" "$T/n2.err")"; fi

# --- 3: a buffer-filling client against an honest one; a delay over max_delay -------------------------
init k3 12 "$N3"
cat >"$T/n3.ini" <<EOF
[node]
keys = k3
buffer_capacity = 4096
source_share = 0.25
max_delay_ms = 60000
[client.attacker]
address = 300
listen = 127.0.0.1:$ATT3
[client.bench]
address = 100
listen = 127.0.0.1:$H3
EOF
if start_node n3 "$T/n3.ini"; then
  pk=$(val pk "$T/n3.out")
  client_cfg "$T/att3.ini" 300 "$ATT3" 12 "$N3" "$pk" "mean_delay_ms = 20000
late_after_ms = 500"
  client_cfg "$T/h3.ini" 100 "$H3" 12 "$N3" "$pk" "mean_delay_ms = 1
late_after_ms = 2000"
  timeout 30 "$CLOUDMIX" client --config "$T/att3.ini" --rate 3000 --duration 2 >"$T/att3.out" 2>"$T/att3.err" &
  ATT_PID=$!
  PIDS="$PIDS $ATT_PID"
  sleep 0.3 # the attacker is filling its share when the honest client starts
  run_client h3 "$T/h3.ini" 200 2
  wait "$ATT_PID"
  stop_node n3
  N=$T/n3.out
  as=$(val sent "$T/att3.out") hs=$(val sent "$T/h3.out") hg=$(val received "$T/h3.out") hl=$(val lost "$T/h3.out")
  ssf=$(val source_share_full "$N") mh=$(val max_held "$N") held=$(val held "$N")
  if [ "${ssf:-0}" -gt 0 ] && [ "${mh:-99999}" -le $((1024 + 16)) ] && [ "${held:-99999}" -le 1024 ] &&
     [ "${hs:-0}" -gt 0 ] && [ "$hl" = 0 ] && [ "$hg" = "$hs" ]; then
    ok "buffer filler held to its share: attacker sent $as (mean delay 20 s), source_share_full $ssf, max_held $mh (<= 1024 + 16), held at the end $held; honest client $hg of $hs back, lost 0"
  else bad "buffer filler held to its share, honest client loses nothing" "$(cat "$T/att3.out" "$T/h3.out" "$T/h3.err" "$N")"; fi
else bad "node n3 starts" "$(cat "$T/n3.out" "$T/n3.err")"; fi

init k4 13 "$N4"
printf '[node]\nkeys = k4\nmax_delay_ms = 100\n[client.bench]\naddress = 100\nlisten = 127.0.0.1:%s\n' "$C4" >"$T/n4.ini"
if start_node n4 "$T/n4.ini"; then
  client_cfg "$T/c4.ini" 100 "$C4" 13 "$N4" "$(val pk "$T/n4.out")" "mean_delay_ms = 1000
late_after_ms = 1000"
  run_client d4 "$T/c4.ini" 200 1
  stop_node n4
  s=$(val sent "$T/d4.out") dtl=$(val delay_too_long "$T/n4.out") del=$(val delivered "$T/n4.out")
  # P(delay > 100 ms) at a 1000 ms mean = e^-0.1 = 90.5%
  if [ "${s:-0}" -gt 0 ] && [ $((dtl + del)) = "$s" ] && [ $((dtl * 10)) -ge $((s * 8)) ] &&
     [ "$(val received "$T/d4.out")" = "$del" ]; then
    ok "delays over max_delay (100 ms, asked mean 1000 ms): $dtl of $s delay_too_long ($(calc "printf \"%.1f\", 100 * $dtl / $s")%, expected 90.5%), the other $del delivered"
  else bad "delays over max_delay dropped" "$(cat "$T/d4.out" "$T/n4.out")"; fi
else bad "node n4 starts" "$(cat "$T/n4.out" "$T/n4.err")"; fi

# --- 4: a junk flood from a known and from an unknown source ------------------------------------------
# The flooder: 2415-byte datagrams, version 0x02, epoch 0, random rest (a
# pool of 512, cycled), as fast as python can send, for S seconds; from
# PORT (0: one the node does not know). Prints what it sent and the rate.
# Python is enough: the cost of a 2415-byte loopback send is in the kernel
# (a C sender measured no faster here, ~90k/s either way), and the test
# checks it reaches >= 20000/s. It runs at the node's own priority: the
# node drains its socket with recvmmsg and drops the junk before any
# X25519 (rate_limited) or before the node (unknown source), so the kernel
# keeps its honest datagrams.
cat >"$T/flood.py" <<'EOF'
import os, socket, sys, time
node, port, secs = ("127.0.0.1", int(sys.argv[1])), int(sys.argv[2]), float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
pool = [b"\x02\0\0\0\0" + os.urandom(2410) for _ in range(512)]
send, n, err, t0 = s.sendto, 0, 0, time.monotonic()
while time.monotonic() - t0 < secs:
    for p in pool:
        try:
            send(p, node)
        except OSError:
            err += 1
    n += len(pool)
dt = time.monotonic() - t0
print("flood_sent", n - err)
print("flood_rate", int((n - err) / dt))
EOF
init k5 14 "$N5"
printf '[node]\nkeys = k5\n[client.bench]\naddress = 100\nlisten = 127.0.0.1:%s\n[client.flooder]\naddress = 400\nlisten = 127.0.0.1:%s\n' \
  "$C5" "$FLOOD" >"$T/n5.ini"
if start_node n5 "$T/n5.ini"; then
  client_cfg "$T/c5.ini" 100 "$C5" 14 "$N5" "$(val pk "$T/n5.out")" "late_after_ms = 1000"
  run_client u5 "$T/c5.ini" 1000 3
  flooded() { # NAME PORT: the honest run under a flood from PORT
    timeout 30 $PY "$T/flood.py" "$N5" "$2" 4.6 >"$T/$1.flood" 2>&1 &
    FL_PID=$!
    PIDS="$PIDS $FL_PID"
    sleep 0.3
    run_client "$1" "$T/c5.ini" 1000 3
    wait "$FL_PID"
  }
  flooded k5run "$FLOOD"
  flooded x5run 0
  stop_node n5
  N=$T/n5.out
  ug=$(val received "$T/u5.out") us=$(val sent "$T/u5.out")
  for run in k5run x5run; do
    g=$(val received "$T/$run.out") s=$(val sent "$T/$run.out")
    fs=$(val flood_sent "$T/$run.flood") fr=$(val flood_rate "$T/$run.flood")
    src="known source"; [ $run = x5run ] && src="unknown source"
    if [ "${fr:-0}" -ge 20000 ]; then ok "flooder ($src) in python: $fs junk datagrams in 4.6 s, $fr/s (>= 20000/s)"
    else bad "python flooder reaches >= 20000/s" "$(cat "$T/$run.flood")"; fi
    ratio=$(calc "printf \"%.3f\", ${g:-0} / ${ug:-1}")
    if [ "$run" = k5run ]; then
      rl=$(val rate_limited "$N")
      what="a known source: node rate_limited $rl ($(calc "printf \"%.1f\", 100 * $rl / $fs")% of the flood), malformed $(val malformed "$N")"
    else
      du=$(val net_dropped_unknown_source "$N")
      what="an unknown source: net_dropped_unknown_source $du ($(calc "printf \"%.1f\", 100 * $du / $fs")% of the flood)"
    fi
    if [ "${ug:-0}" -gt 0 ] && [ "$(calc "print (${g:-0} >= 0.8 * $ug)")" = 1 ]; then
      ok "junk flood from $what; honest received $g of $s loaded vs $ug of $us unloaded: ratio $ratio >= 0.8"
    else bad "junk flood from $what: honest delivery >= 80% of unloaded" "loaded $g of $s, unloaded $ug of $us: ratio $ratio; $(cat "$T/$run.out" "$T/$run.err" "$T/$run.flood")"; fi
  done
else bad "node n5 starts" "$(cat "$T/n5.out" "$T/n5.err")"; fi
# --- 5, 6: refusals: the abstract codec, keys absent ------------------------------------------------
refused() { # DESCRIPTION SUBCOMMAND EXPECTED-IN-MESSAGE CONFIG-TEXT
  printf '%b' "$4" >"$T/bad.ini"
  timeout 5 "$CLOUDMIX" "$2" --config "$T/bad.ini" --duration 1 >/dev/null 2>"$T/err"
  rc=$?
  if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "$3" "$T/err"; then ok "$1: exit 2, one line: $(cut -c1-150 "$T/err")..."
  else bad "$1: exit 2, one line naming $3" "rc=$rc $(cat "$T/err")"; fi
}
refused "abstract codec in a node config" node '\[node\] crypto: abstract is refused in real mode: .*forge' \
  "[node]\nkeys = $T/k1\ncrypto = abstract\n"
refused "abstract codec in a client config" client '\[client\] crypto: abstract is refused in real mode: .*forge' \
  "[client]\naddress = 100\nlisten = 127.0.0.1:$C1\ncrypto = abstract\n[node.n1]\ndescriptor = $T/k1/node.descriptor\n"
mkdir -p "$T/nokeys"
refused "node without keys" node '\[node\] keys: .*cloudmix node init' "[node]\nkeys = $T/nokeys\n"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
