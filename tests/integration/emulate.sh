#!/bin/sh
# Integration test of the provider emulator through the program, on
# loopback only: `cloudmix emulate` serves the Fig. 8 scenario on a port the
# OS picks, prints it, and answers each provider on its platform's path
# (Lambda with its REPORT tail, OpenFaaS with X-Duration-Seconds); Lambda's
# limit of 10 (fig8) throttles 2 of 12 calls at once with 429; unknown
# paths 404 and GET 405; SIGTERM stops it with exit 0 and per-provider
# counts that add up to the requests sent. A bad scenario path, a
# scenario of another model and a non-loopback --listen exit 2 with one
# line. Every step is bounded by `timeout`. Needs CLOUDMIX and curl.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
SCN=scenarios/cloudless/fig8-live-concurrency.ini
CURL=c
c() { curl -s --noproxy '*' --max-time 20 "$@"; }

timeout 120 "$CLOUDMIX" emulate "$SCN" >"$T/em.out" 2>"$T/em.err" &
EM=$!
PIDS="$PIDS $EM"
i=0
while ! grep -q '^listening on ' "$T/em.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
U=$(sed -n 's/^listening on //p' "$T/em.out")
case "$U" in
http://127.0.0.1:[1-9]*) ok "emulate prints its URL with the port bound ($U)" ;;
*) bad "emulate: no listening line" "$(cat "$T/em.out" "$T/em.err")"; echo "$pass passed, $fail failed"; exit 1 ;;
esac
sent=0
# post NAME PATH [HEADER]: status in $T/NAME.code, headers in $T/NAME.h, body in $T/NAME.b
post() {
  $CURL -o "$T/$1.b" -D "$T/$1.h" -w '%{http_code}\n' -H "${3:-X-Nothing: 1}" \
    -d '{"cloudmix":1,"id":"1","function":"empty","bin":0,"response_bytes":200}' "$U/$2" >"$T/$1.tmp"
  mv "$T/$1.tmp" "$T/$1.code"
  sent=$((sent + 1))
}
post lam aws-lambda/2015-03-31/functions/empty/invocations "X-Amz-Log-Type: Tail"
post az azr-functions/api/empty
post cr gcp-cloudrun/empty
post of edge-openfaas/function/empty
post res edge-openfaas/function/resnet18-0
post url aws-lambda/url/empty/
for n in lam az cr of res url; do
  if [ "$(cat "$T/$n.code")" = 200 ] && grep -q '"cloudmix":1' "$T/$n.b"; then ok "$n: 200 with the handler's body"
  else bad "$n: expected 200" "$(cat "$T/$n.code" "$T/$n.h" "$T/$n.b")"; fi
done
tail=$(sed -n 's/^X-Amz-Log-Result: //Ip' "$T/lam.h" | tr -d '\r' | base64 -d 2>/dev/null)
if printf '%s' "$tail" | grep -q '^REPORT RequestId: .*Duration: [0-9.]* ms.*Billed Duration: [0-9]* ms.*Memory Size: 3008 MB'; then
  ok "lambda: REPORT line in the log tail"
else bad "lambda: REPORT line" "$(cat "$T/lam.h")$tail"; fi
if grep -qi '^X-Duration-Seconds: 0\.0[0-9]*' "$T/of.h"; then ok "openfaas: X-Duration-Seconds"
else bad "openfaas: X-Duration-Seconds" "$(cat "$T/of.h")"; fi

# 12 calls at once against Lambda's limit of 10 (each runs about 0.35 s)
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do post "t$k" aws-lambda/2015-03-31/functions/empty/invocations & done
wait_n=0
while [ "$(ls "$T"/t*.code 2>/dev/null | wc -l)" -lt 12 ] && [ $wait_n -lt 100 ]; do sleep 0.1; wait_n=$((wait_n + 1)); done
sleep 1
sent=$((sent + 12))
n429=$(cat "$T"/t*.code | grep -c 429)
n200=$(cat "$T"/t*.code | grep -c 200)
if [ "$n429" = 2 ] && [ "$n200" = 10 ] && grep -qi '^x-amzn-ErrorType: TooManyRequestsException' "$T"/t*.h; then
  ok "lambda: 12 calls at a limit of 10: 10 ok, 2 throttled with 429 TooManyRequestsException"
else bad "lambda throttle: $n200 ok, $n429 throttled" "$(cat "$T"/t*.code)"; fi

code=$($CURL -o /dev/null -w '%{http_code}' -d '{}' "$U/nosuch/api/empty"); sent=$((sent + 1))
[ "$code" = 404 ] && ok "unknown provider: 404" || bad "unknown provider: $code"
code=$($CURL -o /dev/null -w '%{http_code}' "$U/azr-functions/api/empty"); sent=$((sent + 1))
[ "$code" = 405 ] && ok "GET: 405" || bad "GET: $code"
code=$($CURL -o /dev/null -w '%{http_code}' -d 'not json' "$U/azr-functions/api/empty"); sent=$((sent + 1))
[ "$code" = 400 ] && ok "bad JSON: 400" || bad "bad JSON: $code"

kill -TERM $EM
wait $EM
rc=$?
total=$(sed -n 's/^emulate: .*: requests \([0-9]*\),.*/\1/p' "$T/em.out" | awk '{s += $1} END {print s + 0}')
if [ $rc -eq 0 ] && grep -q 'stopped by SIGTERM' "$T/em.out" && [ "$total" = "$sent" ] &&
   grep -q '^emulate: aws-lambda (lambda): requests 14, in flight 0, client gone 0, answers 200=12 429=2$' "$T/em.out"; then
  ok "SIGTERM: exit 0, summary counts $total = $sent requests sent"
else bad "SIGTERM summary (exit $rc, counted $total, sent $sent)" "$(cat "$T/em.out" "$T/em.err")"; fi

# --- errors: exit 2 with one line ------------------------------------------------------
timeout 10 "$CLOUDMIX" emulate "$T/nosuch.ini" >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q 'nosuch.ini' "$T/err" && ok "missing scenario: exit 2, one line" ||
  bad "missing scenario (exit $rc)" "$(cat "$T/err")"
timeout 10 "$CLOUDMIX" emulate scenarios/demo.ini >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q 'expected cloudless' "$T/err" && ok "a scenario of another model: exit 2" ||
  bad "other model (exit $rc)" "$(cat "$T/err")"
timeout 10 "$CLOUDMIX" emulate "$SCN" --listen 10.1.2.3:0 >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q 'not loopback' "$T/err" && ok "non-loopback --listen: exit 2" ||
  bad "non-loopback --listen (exit $rc)" "$(cat "$T/err")"
timeout 10 "$CLOUDMIX" emulate --help >"$T/help" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q 'X-Cloudmix-Timeout-Ms' "$T/help" && ok "--help" || bad "--help (exit $rc)"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
