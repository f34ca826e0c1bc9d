#!/bin/sh
# `cloudmix updater` against real nodes on loopback UDP (cli/updater.c,
# cli/node_digests.c): two nodes with loop cover; the updater reads their
# metrics through CTRL packets, its threshold for 2 nodes is passed, it runs
# provision_cmd (this script's provision(): `cloudmix node init --epoch
# $CM_EPOCH` for n3, every node's config rewritten with n3, SIGHUP n1 and
# n2, n3 started), writes the digests, INSTALL_EPOCH then COMMIT to all
# three, the topology file, and commit_cmd. Asserts: exactly one scale-out
# committed (epoch 1, 3 nodes; the 3-node threshold is never passed), every
# node prints epoch 1 at its end, each committed digest persisted (n3
# restarted starts in epoch 1), the updater's outcomes balance, and bad
# usage / config is exit 2 with the problem named. Needs CLOUDMIX and
# /usr/bin/python3.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
set -- $(free_ports 4)
P1=$1 P2=$2 P3=$3 PU=$4

# --- usage --------------------------------------------------------------------------------
timeout 5 "$CLOUDMIX" updater --help >"$T/help" 2>&1 && grep -q 'provision_cmd' "$T/help" && grep -q 'Exit codes' "$T/help" &&
  ok "updater --help" || bad "updater --help" "$(cat "$T/help")"
timeout 5 "$CLOUDMIX" updater >/dev/null 2>"$T/err"
rc=$?
[ $rc = 2 ] && grep -q -- '--config' "$T/err" && ok "updater without --config: exit 2" || bad "updater without --config" "rc=$rc $(cat "$T/err")"

timeout 10 "$CLOUDMIX" operator init --dir "$T/op" >/dev/null 2>&1 || bad "operator init" ""
mkdir -p "$T/dig"
for i in 1 2; do
  eval port=\$P$i
  timeout 10 "$CLOUDMIX" node init --dir "$T/k$i" --address $i --listen "127.0.0.1:$port" >/dev/null 2>&1 || bad "node init $i" ""
done
peers() { # the node groups (n1, n2 and, once made, n3) and the updater as a client
  for i in 1 2 3; do [ -f "$T/k$i/node.descriptor" ] && printf '\n[node.n%s]\ndescriptor = %s/k%s/node.descriptor\n' $i "$T" $i; done
  printf '\n[client.upd]\naddress = 900\nlisten = 127.0.0.1:%s\n' "$PU"
}
write_node() { # I
  { printf '[node]\nkeys = %s/k%s\noperator = %s/op/operator.pub\ndigests = %s/dig\nloop_rate_per_s = 20\nloop_hops = 2\nepoch_grace_s = 30\n' \
      "$T" "$1" "$T" "$T"; peers; } >"$T/n$1.ini.new" && mv "$T/n$1.ini.new" "$T/n$1.ini"
}
write_node 1
write_node 2
cat >"$T/provision.sh" <<EOF
#!/bin/sh
# n3: keys at the committed epoch, every config with it, the old nodes told (SIGHUP), n3 started
set -e
T=$T
CLOUDMIX=$CLOUDMIX
"\$CLOUDMIX" node init --dir "\$T/k3" --address 3 --listen 127.0.0.1:$P3 --epoch "\$CM_EPOCH" >"\$T/init3.out" 2>&1
echo "\$CM_EPOCH \$CM_NODES" >"\$T/provision.env"
. "\$T/write.sh"
write_node 1; write_node 2; write_node 3
kill -HUP \$(cat "\$T/n1.pid") \$(cat "\$T/n2.pid")
sleep 0.2
timeout 60 "\$CLOUDMIX" node --config "\$T/n3.ini" >"\$T/n3.out" 2>"\$T/n3.err" </dev/null &
echo \$! >"\$T/n3.pid"
i=0; while ! grep -q '^node link:' "\$T/n3.out" 2>/dev/null && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
grep -q '^node link:' "\$T/n3.out"
echo "\$T/k3/node.descriptor"
EOF
# the functions for provision.sh (POSIX sh has no export -f)
cat >"$T/write.sh" <<EOF
PU=$PU
peers() {
  for i in 1 2 3; do [ -f "$T/k\$i/node.descriptor" ] && printf '\n[node.n%s]\ndescriptor = %s/k%s/node.descriptor\n' \$i "$T" \$i; done
  printf '\n[client.upd]\naddress = 900\nlisten = 127.0.0.1:%s\n' "\$PU"
}
write_node() {
  { printf '[node]\nkeys = %s/k%s\noperator = %s/op/operator.pub\ndigests = %s/dig\nloop_rate_per_s = 20\nloop_hops = 2\nepoch_grace_s = 30\n' \
      "$T" "\$1" "$T" "$T"; peers; } >"$T/n\$1.ini.new" && mv "$T/n\$1.ini.new" "$T/n\$1.ini"
}
EOF
chmod +x "$T/provision.sh"
cat >"$T/upd.ini" <<EOF
[updater]
address = 900
listen = 127.0.0.1:$PU
operator = op
digests = dig
thresholds = 100000, 10, 100000
sample_s = 1
reply_timeout_ms = 500
converge_timeout_s = 4
max_attempts = 3
provision_cmd = $T/provision.sh
commit_cmd = echo "\$CM_EPOCH \$CM_NODES" >>$T/commits
topology = topology.ini

[node.n1]
descriptor = k1/node.descriptor
[node.n2]
descriptor = k2/node.descriptor
EOF

# --- bad config: exit 2, the file and key named ------------------------------------------------
sed 's/^thresholds = .*/thresholds = 10, fast/' "$T/upd.ini" >"$T/bad1.ini"
sed '/^digests = /d' "$T/upd.ini" >"$T/bad2.ini"
cfgbad=""
for b in "bad1|\[updater\] thresholds: 'fast' is not a rate" "bad2|\[updater\] digests"; do
  timeout 5 "$CLOUDMIX" updater --config "$T/${b%%|*}.ini" --duration 1 >/dev/null 2>"$T/err"
  rc=$?
  { [ $rc = 2 ] && grep -q "${b#*|}" "$T/err"; } || cfgbad="$cfgbad; ${b%%|*}: rc=$rc $(cat "$T/err")"
done
[ -z "$cfgbad" ] && ok "updater: bad thresholds, missing digests: exit 2 naming the key" || bad "updater bad config" "$cfgbad"

# --- the run ----------------------------------------------------------------------------------
started=1
start_node n1 "$T/n1.ini" --duration 40 || started=0
echo "$NODE_PID" >"$T/n1.pid"
start_node n2 "$T/n2.ini" --duration 40 || started=0
echo "$NODE_PID" >"$T/n2.pid"
[ $started = 1 ] || bad "nodes start" "$(cat "$T"/n*.out "$T"/n*.err)"
(cd "$T" && timeout 40 "$CLOUDMIX" updater --config upd.ini --duration 12 >"$T/upd.out" 2>"$T/upd.err")
urc=$?
[ -f "$T/n3.pid" ] && PIDS="$PIDS $(cat "$T/n3.pid")"
sleep 0.5
for i in 1 2 3; do [ -f "$T/n$i.pid" ] && kill "$(cat "$T/n$i.pid")" 2>/dev/null; done
k=0; while [ $k -lt 50 ] && ! { grep -q '^balanced' "$T/n1.out" && grep -q '^balanced' "$T/n2.out" && grep -q '^balanced' "$T/n3.out"; } 2>/dev/null; do
  sleep 0.1; k=$((k + 1)); done
[ $urc = 0 ] && [ "$(val balanced "$T/upd.out")" = yes ] && ok "updater: exit 0, every attempt and request accounted" ||
  bad "updater run" "rc=$urc $(cat "$T/upd.out" "$T/upd.err")"
[ "$(val committed "$T/upd.out")" = 1 ] && [ "$(val epoch "$T/upd.out")" = 1 ] && [ "$(val nodes "$T/upd.out")" = 3 ] &&
  [ "$(val scale_outs "$T/upd.out")" = 1 ] && grep -q 'outcome committed' "$T/upd.out" &&
  ok "updater: one scale-out, committed at epoch 1 with 3 nodes" || bad "updater scale-out" "$(cat "$T/upd.out")"
[ "$(cat "$T/commits" 2>/dev/null)" = "1 3" ] && grep -q '^epoch = 1' "$T/topology.ini" && [ "$(grep -c '^\[node\.' "$T/topology.ini")" = 3 ] &&
  [ "$(cat "$T/provision.env" 2>/dev/null)" = "0 2" ] &&
  ok "provision_cmd saw epoch 0 and 2 nodes; commit_cmd saw epoch 1 and 3; topology lists 3 nodes at epoch 1" ||
  bad "commands" "$(cat "$T/commits" "$T/provision.env" "$T/topology.ini")"
[ "$(ls "$T/dig" | grep -c '\.digest$')" = 2 ] && ok "two digests written (the proposal and the committed one)" ||
  bad "digests" "$(ls -l "$T/dig")"
ep=""
for i in 1 2 3; do ep="$ep $(awk '$1 == "epoch" { e = $2 } END { print e }' "$T/n$i.out")"; done
[ "$ep" = " 1 1 1" ] && ok "every node (n1, n2 and the added n3) ends at epoch 1" ||
  bad "nodes' epochs" "epochs:$ep $(cat "$T"/n*.out)"
grep -q 'commit: persisted' "$T/n1.out" && grep -q 'commit: persisted' "$T/n3.out" &&
  ok "the commit persisted in each node's state database before the switch" || bad "persist" "$(cat "$T"/n*.out)"
# n3 restarted: it starts in the committed epoch (persist before install)
timeout 10 "$CLOUDMIX" node --config "$T/n3.ini" --duration 0.5 >"$T/n3b.out" 2>&1
grep -q '^node .* epoch 1$' "$T/n3b.out" && ok "n3 restarted starts in epoch 1 (from its state database)" ||
  bad "restart in the committed epoch" "$(head -5 "$T/n3b.out")"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
