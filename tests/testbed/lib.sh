# The multi-host testbed's shell library (POSIX sh; source it). Mix nodes
# and clients of real mode (`cloudmix node`, `cloudmix client`), each in a
# network namespace of its own, joined by veth pairs to one hub namespace
# that holds a Linux bridge (a star: host i's eth0 <-> hub's vI, enslaved
# to br0), addresses 10.77.0.I/24 on the hosts' eth0. Needs root and
# iproute2. See tests/testbed/README.md.
#
# Links: this kernel has no netem, so a host's link delay, jitter and loss
# are applied by its processes to every datagram they send (the real env
# in the fault decorator: [node]/[client] link_delay_ms, link_jitter_ms,
# link_loss); tb_delay_method says whether netem would have worked. A
# link's rate limit is tbf on the hub's end of the host's veth (what the
# host receives).
#
# Everything the testbed makes is named TB_PREFIX (cmtb-<pid of the
# shell>-): tb_teardown kills the processes it started (by pid, then any
# left in its namespaces), deletes its namespaces (their veths go with
# them) and its scratch folder; tb_init first sweeps namespaces of the
# cmtb- prefix whose shell is gone (a run killed before its trap ran).
#
#   tb_init                    prefix, scratch folder TB_DIR, sweep, hub + bridge
#   tb_delay_method            "netem" or "decorator" (tries netem once)
#   start_ns NAME I            namespace NAME on the hub, address 10.77.0.I
#   link NAME DELAY_MS JITTER_MS LOSS [RATE]   NAME's link (RATE: tbf, e.g. 2mbit)
#   start_node NAME...         `cloudmix node init`, configs, start in their namespaces
#   add_client NAME I          declare a client (before the nodes start: they deliver to it)
#   start_client NAME RATE DURATION [HOPS]     start the benchmark client in NAME's namespace
#   reload                     rewrite every config with the current nodes; SIGHUP nodes, then clients
#   collect                    counters of every node and client into TB_DIR/nodes.csv, clients.csv
#   tb_teardown                stop and delete everything this run made
# Needs CLOUDMIX (the binary, absolute path).

TB_SUBNET=10.77.0
TB_NODE_PORT=47000
TB_CLIENT_PORT=48000

tb_log() { echo "testbed: $*"; }

# Pids of our processes, and the namespaces, nodes and clients made.
TB_PIDS=""
TB_NS=""
TB_NODES=""
TB_CLIENTS=""

tb_ns() { echo "${TB_PREFIX}$1"; }

# Namespaces named cmtb-PID-... whose PID is no longer a running process.
tb_sweep() {
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^cmtb-[0-9][0-9]*-'); do
    owner=$(echo "$ns" | sed 's/^cmtb-\([0-9]*\)-.*/\1/')
    [ -d "/proc/$owner" ] && continue
    tb_log "stale namespace $ns (its run, pid $owner, is gone): deleting"
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
}

tb_init() {
  TB_PREFIX="cmtb-$$-"
  [ -n "${CLOUDMIX:-}" ] || { echo "testbed: set CLOUDMIX to build/cloudmix" >&2; return 1; }
  tb_sweep
  TB_DIR=$(mktemp -d /tmp/cmtb.XXXXXX) || return 1
  TB_HUB=$(tb_ns hub)
  ip netns add "$TB_HUB" || return 1
  TB_NS="$TB_HUB"
  ip -n "$TB_HUB" link set lo up &&
    ip -n "$TB_HUB" link add br0 type bridge &&
    ip -n "$TB_HUB" link set br0 up
}

tb_delay_method() {
  ip -n "$TB_HUB" link add tbprobe0 type dummy 2>/dev/null || { echo decorator; return; }
  if ip netns exec "$TB_HUB" tc qdisc add dev tbprobe0 root netem delay 1ms 2>/dev/null; then echo netem
  else echo decorator; fi
  ip -n "$TB_HUB" link del tbprobe0 2>/dev/null
}

# start_ns NAME I
start_ns() {
  ns=$(tb_ns "$1")
  ip netns add "$ns" || return 1
  TB_NS="$TB_NS $ns"
  ip -n "$TB_HUB" link add "v$2" type veth peer name eth0 netns "$ns" &&
    ip -n "$TB_HUB" link set "v$2" master br0 up &&
    ip -n "$ns" link set lo up &&
    ip -n "$ns" addr add "$TB_SUBNET.$2/24" dev eth0 &&
    ip -n "$ns" link set eth0 up || return 1
  eval "TB_IDX_$1=$2"
  eval "TB_LINK_$1='0 0 0'"
}

# link NAME DELAY_MS JITTER_MS LOSS [RATE]
link() {
  eval "TB_LINK_$1='$2 $3 $4'"
  if [ -n "${5:-}" ]; then
    i=$(eval echo "\$TB_IDX_$1")
    ip netns exec "$TB_HUB" tc qdisc replace dev "v$i" root tbf rate "$5" burst 16kb latency 200ms || return 1
  fi
}

tb_link_keys() { # NAME: the link keys of its config
  set -- $(eval echo "\$TB_LINK_$1")
  printf 'link_delay_ms = %s\nlink_jitter_ms = %s\nlink_loss = %s\n' "$1" "$2" "$3"
}

tb_client_groups() { # the [client.NAME] groups (and the updater's, when there is one)
  for c in $TB_CLIENTS; do
    i=$(eval echo "\$TB_IDX_$c")
    printf '\n[client.%s]\naddress = %s\nlisten = %s.%s:%s\n' "$c" $((1000 + i)) "$TB_SUBNET" "$i" "$TB_CLIENT_PORT"
  done
  [ -n "${TB_UPD_IDX:-}" ] && printf '\n[client.updater]\naddress = %s\nlisten = %s.%s:%s\n' $((1000 + TB_UPD_IDX)) \
    "$TB_SUBNET" "$TB_UPD_IDX" "$TB_CLIENT_PORT"
  return 0
}

tb_peers() { # the [node.NAME] and [client.NAME] groups of every config
  for n in $TB_NODES; do printf '\n[node.%s]\ndescriptor = %s/%s/keys/node.descriptor\n' "$n" "$TB_DIR" "$n"; done
  tb_client_groups
}

tb_write_node() { # NAME
  { printf '[node]\nkeys = %s/%s/keys\n' "$TB_DIR" "$1"; tb_link_keys "$1"
    # with the updater: its operator key, the digest folder, the old key kept while clients move
    [ -n "${TB_UPD_IDX:-}" ] && printf 'operator = %s/op/operator.pub\ndigests = %s/digests\nepoch_grace_s = 60\n' "$TB_DIR" "$TB_DIR"
    tb_peers; } >"$TB_DIR/$1/node.ini.new" &&
    mv "$TB_DIR/$1/node.ini.new" "$TB_DIR/$1/node.ini"
}

tb_write_client() { # NAME HOPS: the nodes from TB_TOPOLOGY (the updater's, at its epoch) when set
  i=$(eval echo "\$TB_IDX_$1")
  { printf '[client]\naddress = %s\nlisten = %s.%s:%s\nhops = %s\nlate_after_ms = 1000\n' $((1000 + i)) \
      "$TB_SUBNET" "$i" "$TB_CLIENT_PORT" "$2"
    tb_link_keys "$1"
    if [ -n "${TB_TOPOLOGY:-}" ]; then cat "$TB_TOPOLOGY"; tb_client_groups; else tb_peers; fi
  } >"$TB_DIR/$1/client.ini.new" && mv "$TB_DIR/$1/client.ini.new" "$TB_DIR/$1/client.ini"
}

tb_wait_line() { # FILE PATTERN TENTHS: wait for a line, false on timeout
  k=0
  while ! grep -q "$2" "$1" 2>/dev/null; do
    k=$((k + 1)); [ $k -gt "$3" ] && return 1
    sleep 0.1
  done
}

# start_node NAME...: their keys, their configs (every node so far, these
# included, and every client), then the daemons; waits until they listen.
# The nodes started before learn of these at the next reload.
start_node() {
  for nm in "$@"; do
    i=$(eval echo "\$TB_IDX_$nm")
    mkdir -p "$TB_DIR/$nm"
    "$CLOUDMIX" node init --dir "$TB_DIR/$nm/keys" --address "$i" --listen "$TB_SUBNET.$i:$TB_NODE_PORT" --epoch "${TB_EPOCH:-0}" \
      >"$TB_DIR/$nm/init.out" 2>&1 || { cat "$TB_DIR/$nm/init.out"; return 1; }
    TB_NODES="$TB_NODES $nm"
  done
  for nm in "$@"; do
    tb_write_node "$nm"
    ip netns exec "$(tb_ns "$nm")" "$CLOUDMIX" node --config "$TB_DIR/$nm/node.ini" >"$TB_DIR/$nm/node.out" 2>&1 &
    eval "TB_PID_$nm=$!"
    TB_PIDS="$TB_PIDS $!"
  done
  for nm in "$@"; do
    tb_wait_line "$TB_DIR/$nm/node.out" "^node link:" 50 || { tb_log "node $nm did not start:"; cat "$TB_DIR/$nm/node.out"; return 1; }
  done
}

# Clients must be declared before the nodes start (nodes deliver only to
# the clients of their config): add_client NAME I (I: its host's index,
# as start_ns will be given; its namespace may come later).
add_client() { TB_CLIENTS="$TB_CLIENTS $1"; mkdir -p "$TB_DIR/$1"; eval "TB_IDX_$1=$2"; }

# start_client NAME RATE DURATION [HOPS]: series in TB_DIR/NAME/series.csv
start_client() {
  tb_write_client "$1" "${4:-3}"
  ip netns exec "$(tb_ns "$1")" "$CLOUDMIX" client --config "$TB_DIR/$1/client.ini" --rate "$2" --duration "$3" \
    --series "$TB_DIR/$1/series.csv" >"$TB_DIR/$1/client.out" 2>&1 &
  eval "TB_PID_$1=$!"
  TB_PIDS="$TB_PIDS $!"
  tb_wait_line "$TB_DIR/$1/client.out" "^client link:" 50 || { tb_log "client $1 did not start:"; cat "$TB_DIR/$1/client.out"; return 1; }
}

tb_alive() { [ -r "/proc/$1/stat" ] && ! awk '{ sub(/^.*\) /, ""); exit $1 == "Z" ? 0 : 1 }' "/proc/$1/stat"; }

# reload: every running node's and client's config gets the current nodes;
# SIGHUP the nodes first (they must know a new node as a source and next
# hop before clients route through it), then the clients.
reload() {
  for n in $TB_NODES; do tb_write_node "$n"; done
  for c in $TB_CLIENTS; do [ -f "$TB_DIR/$c/client.ini" ] && tb_write_client "$c" "$(sed -n 's/^hops = //p' "$TB_DIR/$c/client.ini")"; done
  for n in $TB_NODES; do p=$(eval echo "\${TB_PID_$n:-}"); [ -n "$p" ] && tb_alive "$p" && kill -HUP "$p"; done
  sleep 0.2
  for c in $TB_CLIENTS; do p=$(eval echo "\${TB_PID_$c:-}"); [ -n "$p" ] && tb_alive "$p" && kill -HUP "$p"; done
  return 0
}

# reload_nodes: the nodes' configs only (with the updater: a provisioned
# node joins the books before the updater installs an epoch listing it)
reload_nodes() {
  for n in $TB_NODES; do tb_write_node "$n"; done
  for n in $TB_NODES; do p=$(eval echo "\${TB_PID_$n:-}"); [ -n "$p" ] && tb_alive "$p" && kill -HUP "$p"; done
  return 0
}

# reload_clients: the clients' configs from TB_TOPOLOGY (the committed
# epoch's nodes), then SIGHUP: they move to the epoch
reload_clients() {
  for c in $TB_CLIENTS; do [ -f "$TB_DIR/$c/client.ini" ] && tb_write_client "$c" "$(sed -n 's/^hops = //p' "$TB_DIR/$c/client.ini")"; done
  for c in $TB_CLIENTS; do p=$(eval echo "\${TB_PID_$c:-}"); [ -n "$p" ] && tb_alive "$p" && kill -HUP "$p"; done
  return 0
}

# stop NAME: SIGTERM, wait for its counters (up to 5 s)
stop() {
  p=$(eval echo "\${TB_PID_$1:-}")
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null
  k=0; while tb_alive "$p" && [ $k -lt 50 ]; do sleep 0.1; k=$((k + 1)); done
  wait "$p" 2>/dev/null
  return 0
}

tb_val() { sed -n "s/^$2  *//p" "$1" | head -1; } # FILE KEY: a counter of a node's or client's output

# collect: nodes.csv (name, received, forwarded, delivered, dropped (every
# other outcome), link_delayed, link_dropped, balanced) and clients.csv
# (name, sent, received, lost, late, p50, p99 ms). Stop the processes first.
collect() {
  echo "name,received,forwarded,delivered,link_delayed,link_dropped,balanced" >"$TB_DIR/nodes.csv"
  for n in $TB_NODES; do
    f="$TB_DIR/$n/node.out"
    echo "$n,$(tb_val "$f" received),$(tb_val "$f" forwarded),$(tb_val "$f" delivered),$(tb_val "$f" link_delayed),$(tb_val "$f" link_dropped),$(tb_val "$f" balanced)" >>"$TB_DIR/nodes.csv"
  done
  echo "name,sent,received,lost,late,p50_ms,p99_ms" >"$TB_DIR/clients.csv"
  for c in $TB_CLIENTS; do
    f="$TB_DIR/$c/client.out"
    [ -f "$f" ] || continue
    echo "$c,$(tb_val "$f" sent),$(tb_val "$f" received),$(tb_val "$f" lost),$(tb_val "$f" late),$(tb_val "$f" rtt_p50_ms),$(tb_val "$f" rtt_p99_ms)" >>"$TB_DIR/clients.csv"
  done
}

# tb_teardown: our processes by pid (TERM, then KILL after 3 s), anything
# left in our namespaces (KILL), our namespaces, the scratch folder unless
# TB_KEEP=1. Safe to call twice.
tb_teardown() {
  for p in $TB_PIDS; do kill "$p" 2>/dev/null; done
  k=0
  for p in $TB_PIDS; do
    while tb_alive "$p" && [ $k -lt 30 ]; do sleep 0.1; k=$((k + 1)); done
    tb_alive "$p" && { tb_log "pid $p ignored SIGTERM: SIGKILL"; kill -9 "$p" 2>/dev/null; }
  done
  for ns in $TB_NS; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  [ "${TB_KEEP:-0}" = 1 ] || { [ -n "${TB_DIR:-}" ] && rm -rf "$TB_DIR"; }
  TB_PIDS="" TB_NS=""
}

# What a run left: namespaces of prefix $1 and pids of $2 still running (none: empty).
tb_leftovers() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep "^$1" | tr '\n' ' '
  for p in $2; do tb_alive "$p" && printf 'pid %s ' "$p"; done
  return 0
}
