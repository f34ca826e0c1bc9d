#!/bin/sh
# Integration tests of Cloudless real mode (`cloudmix run --real`) against
# HTTP servers started here, on loopback only:
#  1. moto_server (the AWS mock, written elsewhere) with SigV4 checking on:
#     an IAM user, policy, access key and role made within its first 5
#     (unchecked) requests, then a Lambda function created with a signed
#     request. Signed invocations all complete (and moto's log shows 200s);
#     with a wrong secret every one is refused 403 and recorded: calls
#     failed, real_error = real_reason_auth = invocations, exit 0 (a run
#     whose calls all failed still finished). Prints moto's invocations/s.
#  2. Faults, against tests/integration/data/real/badserver.py (kind
#     openfaas): connection refused, a 429 storm, answers slower than the
#     deadline, malformed HTTP, truncated HTTP, bodies over 64 MB, 403, a
#     closed connection. Each run ends every invocation in exactly one
#     outcome (ok+throttled+error+timeout+network+cancelled = invocations,
#     in flight 0, unfinished 0), every call failed with the expected status
#     and per-reason metric, within a bounded time.
#  3. A planted secret (AWS secret key and session token, Azure key, Cloud
#     Run token, a URL password, a key file) appears in no output: stdout,
#     stderr, the results database (.dump and raw bytes), the emulator's
#     output, and the errors of profiles that fail at load.
#  4. The workflow planner under --real with a profile that has no
#     [store.*] group for the scenario's store: refused at load with one line
#     naming the store (exit 2), before any invocation. (workflow_real.sh
#     runs workflows on real stores.)
# Every server listens on 127.0.0.1 only (checked with ss) and is stopped by
# its PID at exit, even on failure; every run is under `timeout 120`.
# Needs CLOUDMIX, curl, sqlite3, ss, /usr/bin/python3; moto_server on PATH
# (without it part 1 prints a SKIP line saying so).
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
. "$(dirname "$0")/peers_lib.sh"
D=$(dirname "$0")/data/real
# libcurl honours proxy variables: nothing may leave loopback
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export NO_PROXY='*' no_proxy='*'
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_SHARED_CREDENTIALS_FILE
export HOME="$T" # no ~/.aws/credentials but ours (none)
T0=$(date +%s)

# free_tcp_port: a free loopback TCP port, chosen by the OS (closed again at once)
free_tcp_port() {
  $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# metric DB NAME: run 1's integer metric NAME, 0 when absent
metric() { sqlite3 "$1" "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM run_metrics WHERE run_id = 1 AND name = '$2'), 0)"; }
# loopback_only PID: every socket PID (or its child, under `timeout`) listens on is on
# 127.0.0.1, and there is one
loopback_only() {
  : >"$T/ss.$1"
  for p in "$1" $(pgrep -P "$1"); do ss -ltnpH 2>/dev/null | grep "pid=$p," >>"$T/ss.$1"; done
  [ -s "$T/ss.$1" ] && ! awk '{print $4}' "$T/ss.$1" | grep -qv '^127\.0\.0\.1:'
}
# real NAME SCENARIO PROFILE [ARGS...]: a real run into $T/NAME.db, output in
# $T/NAME.out and .err, exit status in RC, wall seconds in SECS
real() {
  name=$1 scn=$2 prof=$3
  shift 3
  s=$(date +%s.%N)
  timeout 120 "$CLOUDMIX" run "$scn" --real "$prof" --out "$T/$name.db" "$@" >"$T/$name.out" 2>"$T/$name.err"
  RC=$?
  SECS=$(echo "$(date +%s.%N) - $s" | bc)
}
# balanced NAME: every invocation of $T/NAME.db ended in exactly one outcome
balanced() {
  db=$T/$1.db
  inv=$(metric "$db" real_invocations)
  sum=0
  for k in ok throttled error timeout network cancelled; do sum=$((sum + $(metric "$db" real_$k))); done
  if [ "$inv" -gt 0 ] && [ "$sum" = "$inv" ] && [ "$(metric "$db" real_in_flight)" = 0 ] &&
     [ "$(metric "$db" unfinished)" = 0 ]; then
    ok "$1: every invocation in exactly one outcome ($sum of $inv), none in flight, no call unfinished"
  else bad "$1: outcomes $sum of $inv invocations" "$(sqlite3 "$db" "SELECT name, value FROM run_metrics WHERE name LIKE 'real_%' OR name = 'unfinished'" 2>&1; cat "$T/$1.err")"; fi
}
# start_bad MODE: badserver.py MODE in the background (BAD_PID), its port in BAD_PORT
start_bad() {
  $PY "$D/badserver.py" "$1" >"$T/bad-$1.out" 2>"$T/bad-$1.err" &
  BAD_PID=$!
  PIDS="$PIDS $BAD_PID"
  i=0
  while ! grep -q '^port ' "$T/bad-$1.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  BAD_PORT=$(sed -n 's/^port //p' "$T/bad-$1.out")
}
# stop PID: SIGTERM, then wait for it (5 s at most)
stop() {
  kill "$1" 2>/dev/null
  i=0
  while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

# ---- 1. moto with SigV4 checking ---------------------------------------------------------
if ! command -v moto_server >/dev/null 2>&1; then
  echo "SKIP moto: moto_server is not on PATH (pip install 'moto[server]'); the SigV4 tests did not run"
else
  MP=$(free_tcp_port)
  M=http://127.0.0.1:$MP
  INITIAL_NO_AUTH_ACTION_COUNT=5 timeout 170 moto_server -H 127.0.0.1 -p "$MP" >"$T/moto.out" 2>"$T/moto.err" &
  MOTO=$!
  PIDS="$PIDS $MOTO"
  i=0
  while ! grep -q "Running on $M" "$T/moto.err" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
  # the first 5 requests go unchecked: the IAM set-up (peers_lib.sh)
  moto_iam_key "$M" cloudmix-fn
  KEY=$MOTO_KEY SECRET=$MOTO_SECRET PARN=$MOTO_POLICY_ARN RARN=$MOTO_ROLE_ARN
  if loopback_only "$MOTO" && [ -n "$KEY" ] && [ -n "$SECRET" ] && [ -n "$PARN" ] && [ -n "$RARN" ]; then
    ok "moto on $M (127.0.0.1 only): IAM user, policy *, access key and role within the 5 unchecked requests"
  else bad "moto set-up" "$(cat "$T/moto.err" "$T"/iam? 2>&1 | tail -20)"; fi
  code=$(curl -s --noproxy '*' --max-time 20 -o "$T/cfg" -w '%{http_code}' -X POST "$M/moto-api/config" \
    -H 'Content-Type: application/json' -d '{"lambda": {"use_docker": false}}')
  case "$code" in 2??) code=200 ;; esac
  [ "$code" = 200 ] && grep -q '"use_docker": false' "$T/cfg" && ok "moto: Lambda without Docker (echoes the payload)" ||
    bad "moto config: $code" "$(cat "$T/cfg")"
  # the function, from a small zip, created with a signed request
  $PY -c '
import base64, io, json, sys, zipfile
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    z.writestr("handler.py", "def handler(event, context):\n    return event\n")
print(json.dumps({"FunctionName": "cloudmix-echo", "Runtime": "python3.12", "Role": sys.argv[1],
                  "Handler": "handler.handler", "Code": {"ZipFile": base64.b64encode(b.getvalue()).decode()}}))' \
    "$RARN" >"$T/fn.json"
  fn() {
    curl -s --noproxy '*' --max-time 20 -o "$T/fn.out" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:lambda" \
      --user "$KEY:$1" -X POST "$M/2015-03-31/functions" -H 'Content-Type: application/json' -d @"$T/fn.json"
  }
  code=$(fn "${SECRET}x")
  code2=$(fn "$SECRET")
  if [ "$code" = 403 ] && [ "$code2" = 201 ] && grep -q '"FunctionName": "cloudmix-echo"' "$T/fn.out"; then
    ok "moto checks signatures now: CreateFunction with a wrong secret 403, signed with the key 201"
  else bad "moto CreateFunction: wrong secret $code, right $code2" "$(cat "$T/fn.out")"; fi
  sed "s/@PORT@/$MP/" >"$T/moto.profile" <<'EOF'
[profile]
description = moto_server on loopback with SigV4 checking
[provider.aws-lambda]
kind = lambda
endpoint = http://127.0.0.1:@PORT@
region = us-east-1
function_name = cloudmix-echo
EOF
  inv_log() { grep -c "POST /2015-03-31/functions/cloudmix-echo/invocations HTTP/1.1\" $1" "$T/moto.err"; }
  # signed invocations
  AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET real moto-ok "$D/lambda.ini" "$T/moto.profile"
  db=$T/moto-ok.db
  n=$(metric "$db" real_invocations)
  if [ $RC = 0 ] && [ "$(metric "$db" calls)" = 20 ] && [ "$(metric "$db" completed)" = 20 ] &&
     [ "$n" = 20 ] && [ "$(metric "$db" real_ok)" = "$n" ] &&
     [ "$(q "$db" "SELECT count(*) FROM cloudless_calls WHERE outcome = 'completed' AND provider = 'aws-lambda'")" = 20 ] &&
     [ "$(q "$db" "SELECT mode FROM runs")" = real ] && [ "$(inv_log 200)" = 20 ]; then
    ok "moto, signed: exit 0, 20 calls completed, real_ok = real_invocations = 20, runs.mode real, moto answered 200 x 20"
  else bad "moto signed run (exit $RC, invocations $n)" "$(cat "$T/moto-ok.out" "$T/moto-ok.err"; tail -5 "$T/moto.err")"; fi
  balanced moto-ok
  pt=$(q "$db" "SELECT profile_text FROM runs")
  case "$pt" in
  *"endpoint = http://127.0.0.1:$MP"*) case "$pt" in *"$SECRET"*) bad "profile_text holds the secret" ;; *) ok "moto: runs.profile_text records the endpoint, not the secret" ;; esac ;;
  *) bad "moto: profile_text" "$pt" ;;
  esac
  # throughput: 8 client threads for 3 s, every invocation signed and accepted
  AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY=$SECRET real moto-rate "$D/lambda.ini" "$T/moto.profile" \
    --set workload.mode=closed --set workload.threads_start=8 --set workload.threads_end=8 \
    --set workload.max_calls=0 --set run.duration_s=3
  db=$T/moto-rate.db
  n=$(metric "$db" real_invocations)
  if [ $RC = 0 ] && [ "$n" -gt 20 ] && [ "$(metric "$db" real_ok)" = "$n" ] && [ "$(metric "$db" failed)" = 0 ]; then
    ok "moto, 8 threads for 3 s: $n signed invocations all ok ($(echo "scale=1; $n / 3" | bc) invocations/s through moto)"
  else bad "moto rate run (exit $RC, $n invocations, ok $(metric "$db" real_ok))" "$(cat "$T/moto-rate.out" "$T/moto-rate.err")"; fi
  # a wrong secret: refused 403 SignatureDoesNotMatch, recorded
  before=$(inv_log 403)
  AWS_ACCESS_KEY_ID=$KEY AWS_SECRET_ACCESS_KEY="wrong${SECRET#?????}" real moto-bad "$D/lambda.ini" "$T/moto.profile"
  db=$T/moto-bad.db
  n=$(metric "$db" real_invocations)
  if [ $RC = 0 ] && [ "$(metric "$db" calls)" = 20 ] && [ "$(metric "$db" failed)" = 20 ] &&
     [ "$(metric "$db" completed)" = 0 ] && [ "$n" = 20 ] && [ "$(metric "$db" real_error)" = "$n" ] &&
     [ "$(metric "$db" real_ok)" = 0 ] && [ $(($(inv_log 403) - before)) = 20 ]; then
    ok "moto, wrong secret: exit 0 (the run finished), 20 calls failed, none completed, real_error = invocations = 20, moto answered 403 x 20"
  else bad "moto wrong-secret run (exit $RC, invocations $n, error $(metric "$db" real_error))" "$(cat "$T/moto-bad.out" "$T/moto-bad.err")"; fi
  [ "$(metric "$db" real_reason_auth)" = "$n" ] && ok "moto, wrong secret: real_reason_auth = $n" ||
    bad "moto, wrong secret: real_reason_auth $(metric "$db" real_reason_auth) of $n" "$(q "$db" "SELECT name, value FROM run_metrics WHERE name LIKE 'real_reason_%'")"
  r=$(q "$db" "SELECT outcome || ' ' || reason || ' ' || count(*) FROM cloudless_calls GROUP BY outcome, reason")
  [ "$r" = "failed error 20" ] && ok "moto, wrong secret: the 20 calls rows say failed (error)" || bad "moto calls rows" "$r"
  balanced moto-bad
  grep -q 'real: failures by reason: auth 20' "$T/moto-bad.out" && ok "moto, wrong secret: the summary says why (auth 20)" ||
    bad "no reasons in the summary" "$(cat "$T/moto-bad.out")"
  stop "$MOTO"
fi

# ---- 2. faults, every invocation in one outcome ----------------------------------------------
# fault NAME STATUS REASON [ARGS...]: badserver.py NAME (or nobody, for refused) behind a
# profile of kind openfaas, ARGS added to the run; every call fails with
# real_STATUS = real_reason_REASON = invocations
fault() {
  name=$1 status=$2 reason=$3 listening=true
  shift 3
  if [ "$name" = refused ]; then
    BAD_PORT=$(free_tcp_port) BAD_PID=""
  else
    start_bad "$name"
    loopback_only "$BAD_PID" || listening=false
  fi
  printf '[provider.edge-openfaas]\nkind = openfaas\nendpoint = http://127.0.0.1:%s\nfunction_name = echo\n' \
    "$BAD_PORT" >"$T/$name.profile"
  real "$name" "$D/faults.ini" "$T/$name.profile" "$@"
  [ -n "$BAD_PID" ] && stop "$BAD_PID"
  db=$T/$name.db
  n=$(metric "$db" real_invocations)
  calls=$(metric "$db" calls)
  if [ $RC = 0 ] && $listening && [ "$calls" = 20 ] && [ "$(metric "$db" failed)" = 20 ] &&
     [ "$(metric "$db" completed)" = 0 ] && [ "$n" = 20 ] && [ "$(echo "$SECS < 30" | bc)" = 1 ]; then
    ok "$name: exit 0 after $(printf '%.1f' "$SECS") s, all 20 calls failed, 20 invocations"
  else bad "$name: exit $RC after $SECS s, $calls calls, $(metric "$db" failed) failed, $n invocations (listening on loopback only: $listening)" \
    "$(cat "$T/$name.out" "$T/$name.err" "$T/ss.$BAD_PID" 2>/dev/null | tail -20)"; fi
  balanced "$name"
  if [ "$(metric "$db" "real_$status")" = "$n" ] && [ "$(metric "$db" "real_reason_$reason")" = "$n" ]; then
    ok "$name: real_$status = real_reason_$reason = $n"
  else bad "$name: real_$status $(metric "$db" "real_$status"), real_reason_$reason $(metric "$db" "real_reason_$reason") of $n" \
    "$(q "$db" "SELECT name, value FROM run_metrics WHERE name LIKE 'real_%'")"; fi
  r=$(q "$db" "SELECT outcome || ' ' || reason || ' ' || count(*) FROM cloudless_calls GROUP BY outcome, reason")
  [ "$r" = "failed $status 20" ] && ok "$name: the calls rows say failed ($status)" || bad "$name: calls rows" "$r"
}
fault refused network refused
fault throttle throttled throttled
fault slow timeout deadline
fault malformed network malformed_http
fault truncated network truncated
# 64 MB a call to read: a deadline that a slow build (ASan) meets too
fault oversized network oversized --set cloudless.timeout_s=30
fault auth error auth
fault close network empty_reply

# With the circuit breaker on (the default, 3 failures), a provider that
# refuses every connection stops being called: every call still ends failed
# and recorded, with fewer invocations than calls.
BAD_PORT=$(free_tcp_port)
printf '[provider.edge-openfaas]\nkind = openfaas\nendpoint = http://127.0.0.1:%s\nfunction_name = echo\n' \
  "$BAD_PORT" >"$T/breaker.profile"
real breaker "$D/faults.ini" "$T/breaker.profile" --set cloudless.breaker_failures=3
db=$T/breaker.db
n=$(metric "$db" real_invocations)
if [ $RC = 0 ] && [ "$(metric "$db" calls)" = 20 ] && [ "$(metric "$db" failed)" = 20 ] && [ "$n" -lt 20 ]; then
  ok "breaker: 20 calls failed and recorded with only $n invocations of the refusing provider"
else bad "breaker: exit $RC, $(metric "$db" calls) calls, $(metric "$db" failed) failed, $n invocations" "$(cat "$T/breaker.err")"; fi
balanced breaker

# ---- 3. a planted secret appears nowhere -------------------------------------------------------
P=$T/planted
mkdir -p "$P"
R=$(od -An -tx8 -N8 /dev/urandom | tr -d ' ')
S_AWS=PLANTEDawsSecret$R S_TOK=PLANTEDsessionTok$R S_AZ=PLANTEDazureKey$R S_RUN=PLANTEDrunToken$R
S_URL=PLANTEDurlPass$R S_FILE=PLANTEDkeyFile$R
SCN=scenarios/cloudless/fig8-live-concurrency.ini
timeout 120 "$CLOUDMIX" emulate "$SCN" --set run.duration_s=5 >"$P/em.out" 2>"$P/em.err" &
EM=$!
PIDS="$PIDS $EM"
i=0
while ! grep -q '^listening on ' "$P/em.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
EP=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$P/em.out")
# the profiles (some hold a secret on purpose) live outside $P, which only outputs fill
I=$T/in
mkdir -p "$I"
# fig8 has no Wavelength: the profile's last group goes
sed "s/@PORT@/$EP/; /^\[provider.wavelength-openfaas\]/,\$d" scenarios/real/emulator.profile >"$I/emulator.profile"
planted() {
  AWS_ACCESS_KEY_ID=AKIDPLANTEDTEST AWS_SECRET_ACCESS_KEY=$S_AWS AWS_SESSION_TOKEN=$S_TOK \
  CLOUDMIX_DEMO_AZURE_KEY=$S_AZ CLOUDMIX_DEMO_CLOUDRUN_TOKEN=$S_RUN "$@"
}
# 8 threads from the start, placed at random: every provider, so every credential, is used
planted timeout 120 "$CLOUDMIX" run "$SCN" --set run.duration_s=5 --set cloudless.policy=random \
  --set workload.threads_start=8 --set workload.threads_end=8 --real "$I/emulator.profile" --out "$P/fig8.db" \
  >"$P/fig8.out" 2>"$P/fig8.err"
rc=$?
db=$P/fig8.db
if [ -n "$EP" ] && loopback_only "$EM" && [ $rc = 0 ] && [ "$(metric "$db" real_ok)" -gt 0 ] &&
   [ "$(metric "$db" unfinished)" = 0 ]; then
  ok "planted secrets: fig8 for 5 s against the emulator (127.0.0.1 only): exit 0, $(metric "$db" real_ok) of $(metric "$db" real_invocations) invocations ok"
else bad "planted-secret run (exit $rc, emulator port '$EP')" "$(cat "$P/fig8.out" "$P/fig8.err" "$P/em.err" | tail -20)"; fi
balanced planted/fig8
# runs that fail at load, each with one line naming the problem and never the secret
fail_load() {
  name=$1 want=$2
  planted timeout 20 "$CLOUDMIX" run "$SCN" --set run.duration_s=1 --real "$I/$name.profile" --out "$P/$name.db" \
    >"$P/$name.out" 2>"$P/$name.err"
  rc=$?
  [ $rc = 2 ] && grep -q "$want" "$P/$name.err" && ok "load fails ($name): exit 2, '$want'" ||
    bad "load failure $name (exit $rc)" "$(cat "$P/$name.err")"
}
{ cat "$I/emulator.profile"; printf 'secret_access_key = %s\n' "$S_AWS"; } >"$I/refused-key.profile"
fail_load refused-key "edge-openfaas] secret_access_key: refused"
{ cat "$I/emulator.profile"; printf 'nosuch_key = 1\n'; } >"$I/unknown-key.profile"
fail_load unknown-key "nosuch_key: unknown key"
sed "s#^endpoint = http://127.0.0.1:$EP/edge-openfaas#endpoint = http://user:$S_URL@127.0.0.1:$EP/edge-openfaas#" \
  "$I/emulator.profile" >"$I/url-password.profile"
fail_load url-password "endpoint: refused: the URL holds a user name or password"
printf '%s\n' "$S_FILE" >"$I/azure.key"
chmod 644 "$I/azure.key" # readable by others: a warning, naming the file
sed "s#^key_env = CLOUDMIX_DEMO_AZURE_KEY#key_file = $I/azure.key#; s#^token_env = CLOUDMIX_DEMO_CLOUDRUN_TOKEN#token_file = $I/nosuch.token#" \
  "$I/emulator.profile" >"$I/key-file.profile"
fail_load key-file "token_file: cannot open"
grep -q "azure.key" "$P/key-file.err" && ok "key file readable by others: the warning names the file" ||
  bad "no warning for the key file" "$(cat "$P/key-file.err")"
stop "$EM"
used=$(grep -c '^emulate: [a-z-]* ([a-z]*): requests [1-9]' "$P/em.out")
[ "$used" = 4 ] && ok "the emulator answered each of the 4 providers (AWS signed with a session token, Azure key, Cloud Run token, OpenFaaS)" ||
  bad "providers the emulator saw: $used of 4" "$(cat "$P/em.out")"
for f in "$P"/*.db; do sqlite3 "$f" .dump >"$f.sql" 2>&1; done
# the emulator stopped, the runs done: every file written here, databases raw and dumped
nfiles=$(find "$P" -type f | wc -l)
if [ "$nfiles" -ge 12 ] && [ -s "$P/fig8.db.sql" ] && grep -q 'aws-lambda' "$P/fig8.db.sql" &&
   ! grep -rFal -e "$S_AWS" -e "$S_TOK" -e "$S_AZ" -e "$S_RUN" -e "$S_URL" -e "$S_FILE" "$P" >"$T/leaks"; then
  ok "no planted secret in $nfiles outputs (stdout, stderr, databases raw and .dump, emulator output, load errors)"
else bad "planted secret found" "$(cat "$T/leaks"; ls "$P")"; fi

# 4. The workflow planner under --real without an endpoint for the
# scenario's store: refused at load, one line naming it, exit 2, no call
W=tests/integration/data/cloudless/workflow.ini
timeout 120 "$CLOUDMIX" emulate "$W" >"$T/wem.out" 2>"$T/wem.err" &
WEM=$!
PIDS="$PIDS $WEM"
i=0
while ! grep -q '^listening on ' "$T/wem.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
WP=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$#\1#p' "$T/wem.out")
printf '[provider.a]\nkind = openfaas\nendpoint = http://127.0.0.1:%s/a\n\n[provider.b]\nkind = openfaas\nendpoint = http://127.0.0.1:%s/b\n' \
  "$WP" "$WP" >"$T/wf.profile"
real wfreal "$W" "$T/wf.profile" --quiet
if [ "$RC" = 2 ] && [ "$(wc -l <"$T/wfreal.err")" = 1 ] &&
   grep -q "wf.profile: no \[store.s3\] group: every store of the scenario" "$T/wfreal.err" &&
   [ "$(metric "$T/wfreal.db" real_invocations)" = 0 ] && awk "BEGIN{exit !($SECS < 30)}"; then
  ok "workflow --real without a [store.s3] group: refused at load naming it (exit 2, no invocation)"
else bad "workflow --real without storage" "rc=$RC secs=$SECS $(cat "$T/wfreal.err")"; fi
stop "$WEM"

echo "$pass passed, $fail failed ($(($(date +%s) - T0)) s)"
[ $fail -eq 0 ]
