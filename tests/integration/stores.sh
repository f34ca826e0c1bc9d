#!/bin/sh
# Integration tests of the real storage clients through `cloudmix store`,
# against peers written elsewhere on loopback (peers_lib.sh) and small fake
# servers of ours (data/real/fake_resp.py): one function per peer. Redis:
# put/get/delete round trips compared byte for byte, a missing key (exit 3,
# "not found"), overwrite, a 64 MB virtual object put and read back
# (length only, and whole with the filler's MD5) with the peak RSS of
# cloudmix bounded, keys with unicode, spaces and slashes, ls, AUTH and
# SELECT; faults: redis down (refused), killed mid-request (closed), a
# server that never answers (timeout at the deadline), garbage, a truncated
# bulk string, -ERR and a reply of the wrong type: each one failed outcome
# with its reason in the env's counters (--stats) and exit 1, within a
# bounded time. Every step runs under `timeout`; servers are killed at
# exit. Needs CLOUDMIX, /usr/bin/python3, redis-server and redis-cli.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
. "$(dirname "$0")/peers_lib.sh"
DATA=$(dirname "$0")/data/real
T0=$(date +%s)
S() { timeout 60 "$CLOUDMIX" store "$@"; }
: "${RSS_CHECK:=1}" # 0 (make sanitize): the peak-RSS bounds are not checked
# rss_ok KB LIMIT_KB: under the limit, or RSS_CHECK=0. A 64 MB object is
# never held twice: a put or a length-only get stays under one copy
# (65536 KB), a whole get under two (131072 KB: the object once, plus the
# process and a chunk)
rss_ok() { [ "$RSS_CHECK" = 0 ] || [ "${1:-999999}" -lt "$2" ]; }
# now_ms: the wall clock in ms
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# redis_profile FILE PORT [EXTRA-LINES]: a profile with one redis store "r"
redis_profile() {
  printf '[store.r]\nkind = redis\nendpoint = redis://127.0.0.1:%s\ntimeout_s = 5\n%s\n' "$2" "${3:-}" >"$1"
}
# one_failure NAME REASON: the last run ($T/out, $T/err, $rc) failed with exit 1 and
# exactly one failed outcome whose reason is REASON
one_failure() {
  if [ "$rc" = 1 ] && grep -q "failed ($2)" "$T/err" &&
     grep -q "stats: requested 1 ok 0 miss 0 failed 1 cancelled 0 in_flight 0 reasons $2=1\$" "$T/err"; then
    ok "$1: one failed outcome, reason $2, exit 1"
  else bad "$1: expected one failure '$2' and exit 1" "rc=$rc $(cat "$T/out" "$T/err")"; fi
}

test_redis() {
  if ! start_redis; then bad "redis-server did not start" "$(cat "$T/redis.log" 2>/dev/null)"; return; fi
  P=$T/redis.ini
  redis_profile "$P" "$REDIS_PORT"
  head -c 100000 /dev/urandom >"$T/obj"
  S --real "$P" put 'dir/obj' --file "$T/obj" >"$T/out" 2>&1 && grep -q '^put dir/obj: 100000 bytes in ' "$T/out" &&
    ok "put: 100000 bytes" || bad "put" "$(cat "$T/out")"
  S --real "$P" get 'dir/obj' --out "$T/obj.got" >"$T/out" 2>&1
  if cmp -s "$T/obj" "$T/obj.got" && grep -q "md5 $(md5sum <"$T/obj" | cut -d' ' -f1)" "$T/out"; then
    ok "get: the same bytes back, MD5 printed"
  else bad "get round trip" "$(cat "$T/out")"; fi
  [ "$(redis-cli -p "$REDIS_PORT" strlen dir/obj)" = 100000 ] && ok "redis-cli sees the object" ||
    bad "redis-cli strlen dir/obj"
  printf 'short' >"$T/obj2"
  S --real "$P" put 'dir/obj' --file "$T/obj2" >/dev/null 2>&1
  S --real "$P" get 'dir/obj' --out "$T/obj2.got" >/dev/null 2>&1
  cmp -s "$T/obj2" "$T/obj2.got" && ok "overwrite replaces the object" || bad "overwrite"
  : >"$T/empty"
  S --real "$P" put empty --file "$T/empty" >/dev/null 2>&1
  S --real "$P" get empty --length-only >"$T/out" 2>&1 && grep -q '^get empty: 0 bytes (length only)' "$T/out" &&
    ok "an empty object is found (length 0), not missing" || bad "empty object" "$(cat "$T/out")"

  S --real "$P" --stats get nope >"$T/out" 2>"$T/err"
  rc=$?
  if [ $rc = 3 ] && grep -q 'get nope: not found in store r (redis' "$T/err" &&
     grep -q 'stats: requested 1 ok 0 miss 1 failed 0' "$T/err"; then ok "missing key: 'not found', exit 3, one miss"
  else bad "missing key" "rc=$rc $(cat "$T/err")"; fi
  S --real "$P" delete 'dir/obj' >"$T/out" 2>&1 && grep -q '^delete dir/obj: deleted' "$T/out" && ok "delete" ||
    bad "delete" "$(cat "$T/out")"
  S --real "$P" delete 'dir/obj' >/dev/null 2>"$T/err"
  rc=$?
  [ $rc = 3 ] && grep -q 'not found' "$T/err" && ok "delete of a missing key: exit 3" || bad "delete missing" "rc=$rc"

  for k in 'späce key/ünï©ødé' 'a/b/c/d' ' lead' 'x*y?[z]'; do
    printf '%s' "value of $k" >"$T/kv"
    S --real "$P" put "$k" --file "$T/kv" >/dev/null 2>&1
    S --real "$P" get "$k" --out "$T/kv.got" >/dev/null 2>&1
    cmp -s "$T/kv" "$T/kv.got" && ok "key '$k' round trip" || bad "key '$k' round trip"
  done
  [ "$(redis-cli -p "$REDIS_PORT" get 'späce key/ünï©ødé')" = 'value of späce key/ünï©ødé' ] &&
    ok "the unicode key is stored under its UTF-8 bytes" || bad "unicode key in redis"
  S --real "$P" ls >"$T/ls" 2>"$T/ls.err"
  printf '%s\n' ' lead' 'a/b/c/d' empty 'späce key/ünï©ødé' 'x*y?[z]' | LC_ALL=C sort >"$T/ls.want"
  cmp -s "$T/ls" "$T/ls.want" && ok "ls: every key, sorted" || bad "ls" "$(cat "$T/ls" "$T/ls.err")"
  S --real "$P" ls 'x*' >"$T/ls" 2>/dev/null
  [ "$(cat "$T/ls")" = 'x*y?[z]' ] && ok "ls PREFIX: glob characters in the prefix are literal" ||
    bad "ls x*" "$(cat "$T/ls")"

  # 64 MB: a virtual object (byte o = o mod 256) streamed in chunks, and read back
  /usr/bin/time -f 'maxrss %M' -o "$T/rss.put" timeout 60 "$CLOUDMIX" store --real "$P" put big --bytes 64M \
    >"$T/out" 2>&1
  rss=$(sed -n 's/^maxrss //p' "$T/rss.put")
  if grep -q '^put big: 67108864 bytes' "$T/out" && rss_ok "$rss" 65536; then
    ok "put --bytes 64M: peak RSS ${rss} KB < 64 MB (checked unless RSS_CHECK=0: $RSS_CHECK)"
  else bad "put --bytes 64M (rss ${rss:-?} KB)" "$(cat "$T/out")"; fi
  [ "$(redis-cli -p "$REDIS_PORT" strlen big)" = 67108864 ] && [ -z "$(redis-cli -p "$REDIS_PORT" keys '*cloudmix-tmp*')" ] &&
    ok "redis holds 64 MB under big and no temporary key" || bad "64 MB in redis"
  /usr/bin/time -f 'maxrss %M' -o "$T/rss.get" timeout 60 "$CLOUDMIX" store --real "$P" get big --length-only \
    >"$T/out" 2>&1
  rss=$(sed -n 's/^maxrss //p' "$T/rss.get")
  if grep -q '^get big: 67108864 bytes (length only)' "$T/out" && rss_ok "$rss" 65536; then
    ok "get --length-only of 64 MB: peak RSS ${rss} KB < 64 MB (checked unless RSS_CHECK=0: $RSS_CHECK)"
  else bad "get --length-only 64 MB (rss ${rss:-?} KB)" "$(cat "$T/out")"; fi
  want=$($PY -c 'import hashlib; print(hashlib.md5(bytes(range(256)) * (1 << 18)).hexdigest())')
  /usr/bin/time -f 'maxrss %M' -o "$T/rss.full" timeout 60 "$CLOUDMIX" store --real "$P" get big --out "$T/big" \
    >"$T/out" 2>&1
  rss=$(sed -n 's/^maxrss //p' "$T/rss.full")
  if grep -q "^get big: 67108864 bytes, md5 $want" "$T/out" && [ "$(md5sum <"$T/big" | cut -d' ' -f1)" = "$want" ] &&
     rss_ok "$rss" 131072; then
    ok "get of 64 MB: the filler's bytes (md5 $want), peak RSS ${rss} KB < 2 x 64 MB (held once)"
  else bad "get 64 MB (rss ${rss:-?} KB)" "$(cat "$T/out")"; fi
  rm -f "$T/big"
  head -c 3000000 /dev/urandom >"$T/mid"
  S --real "$P" put mid --file "$T/mid" >/dev/null 2>&1
  S --real "$P" get mid --out "$T/mid.got" >/dev/null 2>&1
  cmp -s "$T/mid" "$T/mid.got" && ok "a 3 MB file in chunks: the same bytes back" || bad "3 MB chunked put"

  # AUTH (password_file) and SELECT
  redis-cli -p "$REDIS_PORT" config set requirepass 'pw-Secret1' >/dev/null
  printf 'pw-Secret1\n' >"$T/pw"
  chmod 600 "$T/pw"
  redis_profile "$T/auth.ini" "$REDIS_PORT/3" "password_file = $T/pw"
  S --real "$T/auth.ini" put sel --file "$T/obj2" >/dev/null 2>&1 &&
    [ "$(redis-cli -p "$REDIS_PORT" -a pw-Secret1 -n 3 --no-auth-warning get sel)" = short ] &&
    ok "AUTH and SELECT 3: the object lands in database 3" || bad "AUTH + SELECT"
  S --real "$P" --stats get sel >"$T/out" 2>"$T/err"
  rc=$?
  one_failure "no password against requirepass" auth
  printf 'wrong\n' >"$T/pw"
  S --real "$T/auth.ini" --stats get sel >"$T/out" 2>"$T/err"
  rc=$?
  one_failure "a wrong password" auth
  if ! grep -q 'pw-Secret1\|wrong' "$T/err" "$T/out"; then ok "no password in the output"
  else bad "a password was printed" "$(cat "$T/err")"; fi
  redis-cli -p "$REDIS_PORT" -a pw-Secret1 --no-auth-warning config set requirepass '' >/dev/null

  # killed mid-request: the server is stopped (SIGSTOP), we ask, it dies (SIGKILL)
  kill -STOP "$REDIS_PID"
  s=$(now_ms)
  S --real "$P" --stats --timeout 20 get mid >"$T/out" 2>"$T/err" &
  W=$!
  sleep 0.5
  kill -9 "$REDIS_PID"
  wait $W
  rc=$?
  e=$(($(now_ms) - s))
  one_failure "redis killed mid-request" closed
  [ $e -lt 5000 ] && ok "killed mid-request: the outcome within $e ms" || bad "killed: took $e ms"

  # down: nothing listens there any more
  s=$(now_ms)
  S --real "$P" --stats get mid >"$T/out" 2>"$T/err"
  rc=$?
  e=$(($(now_ms) - s))
  one_failure "redis down" refused
  [ $e -lt 2000 ] && ok "redis down: refused within $e ms" || bad "down: took $e ms"
}

# fake MODE: a fake RESP server of MODE (FAKE_PORT), a profile for it in $T/fake.ini
fake() {
  $PY "$DATA/fake_resp.py" "$1" >"$T/fake-$1.out" 2>&1 &
  PIDS="$PIDS $!"
  FAKE_PID=$!
  i=0
  while ! grep -q '^port ' "$T/fake-$1.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  FAKE_PORT=$(sed -n 's/^port //p' "$T/fake-$1.out")
  redis_profile "$T/fake.ini" "$FAKE_PORT"
}

test_redis_faults() {
  fake silent
  s=$(now_ms)
  S --real "$T/fake.ini" --stats --timeout 0.5 get k >"$T/out" 2>"$T/err"
  rc=$?
  e=$(($(now_ms) - s))
  one_failure "a server that never answers" timeout
  [ $e -ge 500 ] && [ $e -lt 3000 ] && ok "timeout at the 0.5 s deadline ($e ms)" || bad "deadline: took $e ms"
  kill $FAKE_PID
  for m in "garbage malformed" "truncated truncated" "error server_error" "wrongtype malformed" "close closed"; do
    set -- $m
    fake "$1"
    S --real "$T/fake.ini" --stats get k >"$T/out" 2>"$T/err"
    rc=$?
    one_failure "fake server: $1" "$2"
    kill $FAKE_PID
  done
  fake hugearray
  S --real "$T/fake.ini" --stats get k >"$T/out" 2>"$T/err"
  rc=$?
  one_failure "fake server: an array announcing 333333330 elements (refused before allocating)" malformed
  kill $FAKE_PID
  fake flood
  /usr/bin/time -f 'maxrss %M' -o "$T/rss.flood" timeout 60 "$CLOUDMIX" store --real "$T/fake.ini" --stats get k \
    >"$T/out" 2>"$T/err"
  rc=$?
  one_failure "fake server: a bulk announcing 2 GB, streamed without end" malformed
  rss=$(sed -n 's/^maxrss //p' "$T/rss.flood")
  rss_ok "$rss" 65536 && ok "the flood dropped at a bounded buffer: peak RSS ${rss} KB < 64 MB" || bad "flood: peak RSS $rss KB"
  kill $FAKE_PID
  rm -f "$T/fake-error.out"
  fake error
  S --real "$T/fake.ini" --stats put k --bytes 3M >"$T/out" 2>"$T/err"
  rc=$?
  one_failure "fake server: -ERR to a chunked put" server_error
  kill $FAKE_PID
}

# S3 (moto, s3rver), GCS and Azure Blob (azurite): stores_http.sh, through `cloudmix store` too.

test_usage() {
  S --real "$T/none.ini" get k >/dev/null 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q 'none.ini' "$T/err" && ok "a missing profile: exit 2, named" || bad "missing profile" "rc=$rc"
  printf '[store.a]\nkind = redis\nendpoint = redis://h:1\n[store.b]\nkind = redis\nendpoint = redis://h:2\n' >"$T/two.ini"
  S --real "$T/two.ini" get k >/dev/null 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q 'name one store with --store (stores: a, b)' "$T/err" && ok "two stores and no --store: exit 2" ||
    bad "two stores" "rc=$rc $(cat "$T/err")"
  S --real "$T/two.ini" --store c get k >/dev/null 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q 'no \[store.NAME\] of that name' "$T/err" && ok "an unknown --store: exit 2" || bad "unknown store"
  S --real "$T/two.ini" --store a put k >/dev/null 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q 'give one of --file F and --bytes N' "$T/err" && ok "put without a body: exit 2" || bad "put usage"
  S --real "$T/two.ini" --store a put k --bytes 12Q >/dev/null 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q "found '12Q'" "$T/err" && ok "a bad --bytes: exit 2" || bad "bad --bytes"
  printf '[store.a]\nkind = redis\nendpoint = http://h:1\n' >"$T/bad.ini"
  S --real "$T/bad.ini" get k >/dev/null 2>"$T/err"
  rc=$?
  [ $rc = 2 ] && grep -q 'bad.ini:3: \[store.a\] endpoint' "$T/err" && ok "a bad endpoint: exit 2, file:line: [group] key" ||
    bad "bad endpoint" "rc=$rc $(cat "$T/err")"
  S --help >"$T/out" 2>&1 && grep -q 'length-only' "$T/out" && ok "--help" || bad "--help"
}

test_usage
test_redis
test_redis_faults
echo "$pass passed, $fail failed ($(($(date +%s) - T0)) s)"
[ $fail -eq 0 ]
