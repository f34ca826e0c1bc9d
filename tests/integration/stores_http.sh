#!/bin/sh
# Integration tests of the HTTP storage clients (real/store_s3.c for s3 and
# gcs, real/store_azure.c for azure-blob) through `cloudmix store`, against
# stores written elsewhere, on loopback. Each case writes a profile of one
# [store.s] group (kind, endpoint, bucket or container, style, region,
# timeout_s, and the names of the environment variables that hold its
# keys, exported here: a profile never holds a secret) and runs one
# request with --stats; each check wants the result line (without its
# time), the exit code (0 ok, 1 failed, 3 missing) and exactly one outcome
# in the counters ("stats: requested 1 ok .. miss .. failed .. cancelled 0
# in_flight 0 reasons REASON=1"), for ls too:
#  1. moto_server with SigV4 checking on (an IAM user, policy and access key
#     made within its first 4 unchecked requests): put, get (same MD5),
#     overwrite, delete, get of a missing key, 64 MB virtual object (the
#     filler: byte o is o mod 256; MD5 of the read-back bytes), an empty
#     object, keys with spaces, '?', '#', '~' and slashes, ls with a
#     prefix, virtual-host style (BUCKET.localhost), a wrong secret refused
#     "auth", a missing bucket "no_container"; the gcs kind (region "auto")
#     on moto as GCS's stand-in. moto re-quotes the URL before it checks a
#     signature, so keys with '+', '%', '!', ... or non-ASCII bytes and a
#     listing prefix with '/' cannot pass its check even when signed right
#     (the same request signed by botocore fails alike): those are checked
#     by badstore.py's own SigV4 check (part 4) and round-tripped on s3rver.
#  2. s3rver (path-style; it checks no signature), as s3 and as gcs: the
#     round trips, 64 MB, unicode and '+%!...' keys, ls with a '/' prefix.
#  3. azurite with Shared Key: container made by a request signed in
#     Python (an independent signer); put, get, overwrite, delete, missing
#     key (get and delete exit 3), 64 MB, unicode and '+%?#' keys, ls, the
#     account-host style (devstoreaccount1.localhost), the endpoint with
#     the account as its path, a wrong key refused "auth".
#  4. faults from data/real/badstore.py: 403 with an XML body, 500 and 503,
#     a 500 whose body is no XML, slower than the deadline, a truncated
#     body, a wrong ETag / Content-MD5, a listing that is none, connection
#     refused: each request ends in exactly one failed outcome with the
#     expected reason, exit 1, within 6 s; and SigV4 checked as AWS
#     documents it on keys moto cannot check, a session token included.
# Finally no secret appears in any output nor in any profile written.
# Needs CLOUDMIX, /usr/bin/python3, curl; moto_server, s3rver and azurite
# (make deps) or a SKIP line for the missing one.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
. "$(dirname "$0")/peers_lib.sh"
D=$(dirname "$0")/data/real
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export NO_PROXY='*' no_proxy='*'
T0=$(date +%s)
EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
# the secrets, where the profiles name them (CM_AK, CM_SK: the section's S3 keys)
export CM_AZ_KEY="$AZURITE_KEY" CM_AZ_WRONG="$(printf 'not the key at all' | base64)"
export CM_BAD_AK=AKIDBADSTORE CM_BAD_SK=badstore-secret CM_BAD_WRONG=wrong CM_TOKEN_PLANTED=planted-token
unset CM_NO_TOKEN

# profile NAME [KEY=VALUE...]: $T/NAME.ini (into P), a profile of one store "s" with the keys of
# $BASE (newline-separated KEY=VALUE) and those given, which replace $BASE's; an empty VALUE drops KEY
profile() {
  P=$T/$1.ini
  shift
  { printf '%s\n' "$BASE"; [ $# -gt 0 ] && printf '%s\n' "$@"; } | awk '
    /=/ { k = $0; sub(/=.*/, "", k); v = $0; sub(/^[^=]*=/, "", v); if (!(k in val)) order[n++] = k; val[k] = v }
    END { print "[store.s]"; for (i = 0; i < n; i++) if (val[order[i]] != "") print order[i] " = " val[order[i]] }' >"$P"
}
# run NAME ARGS...: cloudmix store --real $P --stats ARGS into $T/NAME.out and .err, exit status in RC
run() {
  name=$1
  shift
  timeout 120 "$CLOUDMIX" store --real "$P" --stats "$@" >"$T/$name.out" 2>"$T/$name.err"
  RC=$?
}
# stats OK MISS FAILED [REASON]: the counters' line of one request that ended so
stats() { echo "stats: requested 1 ok $1 miss $2 failed $3 cancelled 0 in_flight 0 reasons${4:+ $4=1}"; }
# expect NAME WANT ARGS...: run ARGS with $P and want, as WANT says,
#   a result line ("put K: N bytes", "get K: N bytes, md5 H", ... without " in T ms"), exit 0, one ok;
#   "miss": exit 3, "not found", one miss;  "fail REASON": exit 1, "failed (REASON)", one failure of REASON
expect() {
  name=$1 want=$2
  shift 2
  run "$name" "$@"
  case "$want" in
    miss) wrc=3 wst=$(stats 0 1 0) wline='' werr=": not found in store s" ;;
    fail\ *) wrc=1 wst=$(stats 0 0 1 "${want#fail }") wline='' werr=": failed (${want#fail }) at store s" ;;
    *) wrc=0 wst=$(stats 1 0 0) wline=$want werr='' ;;
  esac
  got=$(head -1 "$T/$name.out" | sed 's/ in [0-9.]* ms$//')
  if [ "$RC" = "$wrc" ] && [ "$got" = "$wline" ] && grep -qxF "$wst" "$T/$name.err" &&
     { [ -z "$werr" ] || grep -qF "$werr" "$T/$name.err"; }; then
    ok "$name: ${wline:-$want} (exit $RC, one outcome)"
  else bad "$name: wanted '$want', exit $wrc; got '$got', exit $RC" "$(cat "$T/$name.out" "$T/$name.err" | head -20)"; fi
}
# listing NAME KEYS ARGS...: `ls ARGS` prints exactly KEYS (newline-separated), sorted, exit 0, one ok
listing() {
  name=$1 want=$2
  shift 2
  run "$name" ls "$@"
  if [ -n "$want" ]; then printf '%s\n' "$want" | LC_ALL=C sort; fi >"$T/$name.want"
  if [ "$RC" = 0 ] && cmp -s "$T/$name.out" "$T/$name.want" && grep -qxF "$(stats 1 0 0)" "$T/$name.err" &&
     grep -q "^ls ${1:-}: $(wc -l <"$T/$name.want") keys in " "$T/$name.err"; then
    ok "$name: ls '${1:-}' lists $(wc -l <"$T/$name.want") keys, as written (one outcome)"
  else bad "$name: ls '${1:-}' (exit $RC)" "$(cat "$T/$name.out" "$T/$name.err" | head -20)"; fi
}
md5() { md5sum "$1" | cut -d' ' -f1; }
head -c 100000 /dev/urandom >"$T/v1"
head -c 1000 /dev/urandom >"$T/v2"
: >"$T/empty"
V1=$(md5 "$T/v1") V2=$(md5 "$T/v2") VE=$(md5 "$T/empty")
# the MD5 of a 64 MB virtual object (`put --bytes 64M`: byte o is o mod 256)
FILL=$($PY -c 'import hashlib; print(hashlib.md5(bytes(range(256)) * (1 << 18)).hexdigest())')
KEYS_SAFE='dir/sub/a b?c#d~e.txt'
KEYS_HARD='dir/é漢 a+b%c!d*e(f)g=h&i,j:k@l$m;n'"'"'o'

# roundtrips LABEL KEY: the round trips every store must pass (profile $P)
roundtrips() {
  k=$2
  expect "$1-put" "put $k: 100000 bytes" put "$k" --file "$T/v1"
  expect "$1-get" "get $k: 100000 bytes, md5 $V1" get "$k" --out "$T/$1.body"
  cmp -s "$T/$1.body" "$T/v1" && ok "$1: the bytes read are the bytes written" || bad "$1: bytes differ"
  expect "$1-overwrite" "put $k: 1000 bytes" put "$k" --file "$T/v2"
  expect "$1-get2" "get $k: 1000 bytes, md5 $V2" get "$k"
  expect "$1-length" "get $k: 1000 bytes (length only)" get "$k" --length-only
  expect "$1-delete" "delete $k: deleted" delete "$k"
  expect "$1-gone" miss get "$k"
}
# bigfile LABEL: 64 MB of filler and an empty object (profile $P)
bigfile() {
  expect "$1-64mb-put" "put big64: 67108864 bytes" put big64 --bytes 64M
  expect "$1-64mb-get" "get big64: 67108864 bytes, md5 $FILL" get big64 --out "$T/big64"
  [ "$(md5 "$T/big64")" = "$FILL" ] && ok "$1-64mb: the file written by --out has the filler's MD5" ||
    bad "$1-64mb: --out file MD5 $(md5 "$T/big64"), not $FILL"
  rm -f "$T/big64"
  expect "$1-64mb-length" "get big64: 67108864 bytes (length only)" get big64 --length-only
  expect "$1-empty-put" "put empty: 0 bytes" put empty --file "$T/empty"
  expect "$1-empty-get" "get empty: 0 bytes, md5 $VE" get empty
}

# ---- 1. moto with SigV4 checking ------------------------------------------------------------
if start_moto 4 2>"$T/moto.skip"; then
  M=http://127.0.0.1:$MOTO_PORT
  moto_iam_key "$M"
  KEY=$MOTO_KEY
  SECRET=$MOTO_SECRET
  mkb() {
    curl -s --noproxy '*' --max-time 20 -o "$T/mkb.out" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" \
      --user "$KEY:$1" -X PUT -H "x-amz-content-sha256: $EMPTY_SHA" "$M/$2"
  }
  c1=$(mkb "${SECRET}x" cmbucket)
  c2=$(mkb "$SECRET" cmbucket)
  if [ -n "$KEY" ] && [ "$c1" = 403 ] && [ "$c2" = 200 ]; then
    ok "moto on $M checks SigV4: bucket made with the IAM key (200), refused with a wrong secret (403)"
  else bad "moto set-up: wrong secret $c1, right $c2" "$(cat "$T"/iam? "$T/mkb.out" | tail -5)"; fi
  export CM_AK="$KEY" CM_SK="$SECRET" CM_SK_WRONG="wrong$SECRET"
  BASE="kind=s3
endpoint=$M
bucket=cmbucket
region=us-east-1
style=path
access_key_env=CM_AK
secret_key_env=CM_SK
session_token_env=CM_NO_TOKEN
timeout_s=60"
  profile moto
  roundtrips moto "$KEYS_SAFE"
  bigfile moto
  expect moto-missing miss get nosuch/key
  expect moto-delete-missing "delete nosuch/key: deleted" delete nosuch/key # S3 answers 204: a deviation, store_s3.c says why
  for k in "a/one" "a/two three" "b/four"; do run moto-l put "$k" --file "$T/v2"; done
  listing moto-list "a/one
a/two three" a
  listing moto-list-none "" zzz
  profile moto-auth secret_key_env=CM_SK_WRONG
  expect moto-auth "fail auth" get "a/one"
  profile moto-nobucket bucket=nosuchbucket
  expect moto-nobucket "fail no_container" get "a/one"
  # virtual-host style: BUCKET.localhost, which curl resolves to the loopback itself
  profile moto-vhost style=virtual-host endpoint=http://localhost:$MOTO_PORT
  expect moto-vhost-put "put v/host key: 100000 bytes" put "v/host key" --file "$T/v1"
  expect moto-vhost-get "get v/host key: 100000 bytes, md5 $V1" get "v/host key"
  profile moto
  expect moto-vhost-pathget "get v/host key: 100000 bytes, md5 $V1" get "v/host key"
  profile moto-vhost style=virtual-host endpoint=http://localhost:$MOTO_PORT
  listing moto-vhost-list "v/host key" v
  # the gcs kind (GCS's S3-interoperable API, region "auto" in the SigV4 scope) on moto as the stand-in
  profile moto-gcs kind=gcs region=
  expect moto-gcs-put "put g/k 1: 100000 bytes" put "g/k 1" --file "$T/v1"
  expect moto-gcs-get "get g/k 1: 100000 bytes, md5 $V1" get "g/k 1"
  profile moto-gcs-auth kind=gcs region= secret_key_env=CM_SK_WRONG
  expect moto-gcs-auth "fail auth" get "g/k 1"
  n=$(grep -c '"PUT /v/host%20key HTTP/1.1" 200' "$T/moto.log")
  [ "$n" = 1 ] && ok "moto saw the virtual-host put as PUT /v/host%20key (no bucket in the path)" ||
    bad "moto log: virtual-host put seen $n times" "$(tail -5 "$T/moto.log")"
else
  echo "SKIP moto: $(cat "$T/moto.skip")"
fi

# ---- 2. s3rver, as S3 and as the GCS stand-in ---------------------------------------------------
if start_s3rver 2>"$T/s3rver.skip"; then
  S=http://127.0.0.1:$S3RVER_PORT
  code=$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
    -X PUT -H "x-amz-content-sha256: $EMPTY_SHA" "$S/cmbucket")
  [ "$code" = 200 ] && ok "s3rver on $S: bucket made" || bad "s3rver bucket: $code"
  export CM_AK=S3RVER CM_SK=S3RVER
  for kind in s3 gcs; do
    BASE="kind=$kind
endpoint=$S
bucket=cmbucket
access_key_env=CM_AK
secret_key_env=CM_SK
session_token_env=CM_NO_TOKEN
timeout_s=60" # no region: us-east-1 (s3), auto (gcs)
    profile "s3rver-$kind"
    roundtrips "s3rver-$kind-safe" "$KEYS_SAFE"
    roundtrips "s3rver-$kind-hard" "$KEYS_HARD"
  done
  bigfile s3rver # as gcs
  for k in "p/q/one" "p/q/two é" "p/r"; do run s3rver-l put "$k" --file "$T/v2"; done
  listing s3rver-list "p/q/one
p/q/two é" p/q/
else
  echo "SKIP s3rver: $(cat "$T/s3rver.skip")"
fi

# ---- 3. azurite with Shared Key -----------------------------------------------------------------
if start_azurite 2>"$T/azurite.skip"; then
  # Create Container, signed by an independent Shared Key signer (Python stdlib)
  code=$($PY - "$AZURITE_PORT" "$AZURITE_ACCOUNT" "$AZURITE_KEY" cmcontainer <<'EOF'
import base64, email.utils, hashlib, hmac, sys, urllib.error, urllib.request
port, account, key, container = sys.argv[1:5]
date = email.utils.formatdate(usegmt=True)
path = "/%s/%s" % (account, container)
sts = ("PUT\n\n\n\n\napplication/octet-stream\n\n\n\n\n\n\nx-ms-date:%s\nx-ms-version:2021-08-06\n/%s%s\nrestype:container"
       % (date, account, path))
sig = base64.b64encode(hmac.new(base64.b64decode(key), sts.encode(), hashlib.sha256).digest()).decode()
req = urllib.request.Request("http://127.0.0.1:%s%s?restype=container" % (port, path), method="PUT", data=b"",
                             headers={"x-ms-date": date, "x-ms-version": "2021-08-06", "Content-Type": "application/octet-stream",
                                      "Authorization": "SharedKey %s:%s" % (account, sig)})
try:
    print(urllib.request.urlopen(req).status)
except urllib.error.HTTPError as e:
    print(e.code)
EOF
)
  [ "$code" = 201 ] && ok "azurite on 127.0.0.1:$AZURITE_PORT: container made (Shared Key, signed in Python)" || bad "azurite container: $code"
  BASE="kind=azure-blob
endpoint=http://127.0.0.1:$AZURITE_PORT
container=cmcontainer
account=$AZURITE_ACCOUNT
account_key_env=CM_AZ_KEY
timeout_s=60"
  profile azurite
  roundtrips azurite-safe "$KEYS_SAFE"
  roundtrips azurite-hard "$KEYS_HARD"
  bigfile azurite
  expect azurite-delete-missing miss delete nosuch/key
  for k in "a/one" "a/two é" "b/four"; do run azurite-l put "$k" --file "$T/v2"; done
  listing azurite-list "a/one
a/two é" a/
  listing azurite-list-all "a/one
a/two é
b/four
big64
empty"
  profile azurite-accounthost endpoint=http://$AZURITE_ACCOUNT.localhost:$AZURITE_PORT
  expect azurite-accounthost "get a/two é: 1000 bytes, md5 $V2" get "a/two é"
  profile azurite-pathendpoint endpoint=http://127.0.0.1:$AZURITE_PORT/$AZURITE_ACCOUNT
  expect azurite-pathendpoint "get a/two é: 1000 bytes, md5 $V2" get "a/two é"
  profile azurite-auth account_key_env=CM_AZ_WRONG
  expect azurite-auth "fail auth" get "a/one"
  profile azurite-nocontainer container=nosuchcontainer
  expect azurite-nocontainer "fail no_container" get "a/one"
else
  echo "SKIP azurite: $(cat "$T/azurite.skip")"
fi

# ---- 4. faults ----------------------------------------------------------------------------------
# start_bad MODE: badstore.py MODE in the background (BAD_PID), its port in BAD_PORT
start_bad() {
  rm -f "$T/bad-$1.out" # the background job truncates it only once it runs: no stale "port" line
  $PY "$D/badstore.py" "$1" >"$T/bad-$1.out" 2>"$T/bad-$1.err" &
  BAD_PID=$!
  PIDS="$PIDS $BAD_PID"
  i=0
  while ! grep -q '^port ' "$T/bad-$1.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  BAD_PORT=$(sed -n 's/^port //p' "$T/bad-$1.out")
  [ -n "$BAD_PORT" ] || bad "badstore.py $1 did not start" "$(ls -l "$T/bad-$1.out"; cat "$T/bad-$1.out" "$T/bad-$1.err"; ps -o pid,stat,etime,args -p "$BAD_PID")"
}
# bad_profile NAME KIND PORT: a profile (P) of a store of KIND (s3 or azure-blob) on badstore.py's port, deadline 2 s
bad_profile() {
  if [ "$2" = s3 ]; then
    BASE="kind=s3
bucket=cmbucket
access_key_env=CM_BAD_AK
secret_key_env=CM_BAD_SK
session_token_env=CM_NO_TOKEN"
  else
    BASE="kind=azure-blob
container=cmbucket
account=devstoreaccount1
account_key_env=CM_AZ_KEY"
  fi
  BASE="$BASE
endpoint=http://127.0.0.1:$3
timeout_s=2"
  profile "$1"
}
# fault MODE KIND WANT OP ARGS...: one request of KIND against badstore.py MODE ends "WANT", within 6 s
fault() {
  mode=$1 kind=$2 want=$3
  shift 3
  if [ "$mode" = refused ]; then BAD_PORT=$(peer_port) BAD_PID=""; else start_bad "$mode"; fi
  bad_profile "$kind-fault-$mode-$1" "$kind" "$BAD_PORT"
  s=$(date +%s)
  if [ "$1" = ls ]; then
    run "$kind-fault-$mode-$1" "$@"
    r=${want#fail }
    if [ "$RC" = 1 ] && [ ! -s "$T/$kind-fault-$mode-$1.out" ] && grep -qF "failed ($r) at store s" "$T/$kind-fault-$mode-$1.err" &&
       grep -qxF "$(stats 0 0 1 "$r")" "$T/$kind-fault-$mode-$1.err"; then
      ok "$kind-fault-$mode-$1: $want (exit 1, one outcome)"
    else bad "$kind-fault-$mode-$1: wanted '$want', exit 1; exit $RC" "$(cat "$T/$kind-fault-$mode-$1.out" "$T/$kind-fault-$mode-$1.err")"; fi
  else expect "$kind-fault-$mode-$1" "$want" "$@"; fi
  secs=$(($(date +%s) - s))
  [ $secs -le 6 ] || bad "$kind-fault-$mode-$1: took $secs s"
  [ -n "$BAD_PID" ] && kill "$BAD_PID" 2>/dev/null
}
for kind in s3 azure-blob; do
  fault auth $kind "fail auth" get k
  fault auth $kind "fail auth" put k --bytes 1000
  fault error500 $kind "fail server_error" get k
  fault error503 $kind "fail server_error" put k --file "$T/v2"
  fault garbage500 $kind "fail server_error" delete k
  fault slow $kind "fail timeout" get k
  fault truncated $kind "fail truncated" get k
  fault badetag $kind "fail integrity" get k
  fault badlist $kind "fail malformed" ls
  fault refused $kind "fail refused" get k
done
# SigV4 as AWS documents it, on the keys moto cannot check
start_bad sigv4
bad_profile sigv4 s3 "$BAD_PORT"
profile sigv4 timeout_s=20
roundtrips sigv4-hard "$KEYS_HARD"
profile sigv4-wrong timeout_s=20 secret_key_env=CM_BAD_WRONG
expect sigv4-wrong "fail auth" get "$KEYS_HARD"
profile sigv4-token timeout_s=20 session_token_env=CM_TOKEN_PLANTED
expect sigv4-token "put $KEYS_HARD: 1000 bytes" put "$KEYS_HARD" --file "$T/v2"

# no secret in any output of cloudmix, nor in any profile written (each names variables only)
if grep -rqF -e "badstore-secret" -e "$AZURITE_KEY" -e "$CM_AZ_WRONG" -e planted-token ${SECRET:+-e "$SECRET"} \
     "$T"/*.out "$T"/*.err "$T"/*.ini 2>/dev/null; then
  bad "a secret appears in cloudmix's output or a profile" \
    "$(grep -rlF -e badstore-secret -e "$AZURITE_KEY" -e "$CM_AZ_WRONG" -e planted-token ${SECRET:+-e "$SECRET"} "$T"/*.out "$T"/*.err "$T"/*.ini | head)"
else ok "no secret in any output of cloudmix store ($(ls "$T"/*.out | wc -l) runs) nor in its $(ls "$T"/*.ini | wc -l) profiles"; fi

echo "$pass passed, $fail failed ($(($(date +%s) - T0)) s)"
[ $fail -eq 0 ]
