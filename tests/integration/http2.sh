#!/bin/sh
# Real mode speaks HTTP/2 (profile http_version = 2) to a server written
# elsewhere: nghttpx (Debian nghttp2-proxy) takes h2c (prior knowledge) on a
# free loopback port and forwards to `cloudmix emulate`; its access log shows
# each call's protocol. Every invocation gets one outcome. Needs CLOUDMIX;
# run from the repository root.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/real_lib.sh"
S=scenarios/cloudless/fig8-live-concurrency.ini
PATH=$PATH:/usr/sbin # nghttpx lives there
if ! command -v nghttpx >/dev/null; then
  echo "SKIP http2.sh: nghttpx (Debian nghttp2-proxy) is not installed; make deps installs it"
  echo "$pass passed, $fail failed"
  exit 0
fi
"$CLOUDMIX" emulate $S >"$T/emu.out" 2>"$T/emu.err" &
PIDS="$PIDS $!"
i=0
while ! grep -q '^listening on' "$T/emu.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
EP=$(sed -n 's#^listening on http://127\.0\.0\.1:\([0-9]*\)$#\1#p' "$T/emu.out")
FP=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
nghttpx --conf=/dev/null --frontend="127.0.0.1,$FP;no-tls" --backend="127.0.0.1,$EP" --workers=1 \
  --log-level=WARN --errorlog-file="$T/nx.err" --accesslog-file="$T/nx.acc" \
  --accesslog-format='$status $alpn $request' >"$T/nx.out" 2>&1 &
PIDS="$PIDS $!"
i=0
while ! $PY -c "import socket; socket.create_connection(('127.0.0.1', $FP), 0.2)" 2>/dev/null && [ $i -lt 50 ]; do
  sleep 0.1; i=$((i + 1)); done
sed "s/@PORT@/$FP/; s/^function_name = {function}-{bin}\$/function_name = {function}-{bin}\nhttp_version = 2/" \
  scenarios/real/emulator.profile >"$T/h2.profile"
[ "$(grep -c '^http_version = 2$' "$T/h2.profile")" = 5 ] && ok "profile: every provider on http_version = 2" || bad "profile edit"
AWS_ACCESS_KEY_ID=AKIDH2 AWS_SECRET_ACCESS_KEY=h2-not-a-secret CLOUDMIX_DEMO_AZURE_KEY=x CLOUDMIX_DEMO_CLOUDRUN_TOKEN=y \
  timeout 120 "$CLOUDMIX" run $S --real "$T/h2.profile" --set run.duration_s=20 --set cloudless.time_scale=0.5 \
  --set workload.request_kb=64 --out "$T/h2.db" >"$T/run.out" 2>"$T/run.err"
rc=$?
[ $rc -eq 0 ] && ok "real run over HTTP/2 exits 0" || bad "real run over HTTP/2 exits 0 (exit $rc)" "$(tail -5 "$T/run.err")"
inv=$(q "$T/h2.db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name='real_invocations'")
done_=$(q "$T/h2.db" "SELECT CAST(sum(value) AS INTEGER) FROM run_metrics WHERE name IN ('real_ok','real_throttled',
  'real_error','real_timeout','real_network','real_cancelled')")
okc=$(q "$T/h2.db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name='real_ok'")
[ -n "$inv" ] && [ "$inv" -gt 20 ] && [ "$inv" = "$done_" ] && ok "$inv invocations, each with one outcome ($okc ok)" \
  || bad "invocations accounted for" "invocations=$inv outcomes=$done_"
h2=$(grep -c '^[0-9]* h2c POST' "$T/nx.acc")
other=$(grep -vc '^[0-9]* h2c POST' "$T/nx.acc")
[ "$h2" = "$inv" ] && [ "$other" = 0 ] && ok "nghttpx saw all $h2 calls as HTTP/2 (h2c)" \
  || bad "every call over HTTP/2" "h2c=$h2 other=$other invocations=$inv; $(head -3 "$T/nx.acc")"
net=$(q "$T/h2.db" "SELECT CAST(value AS INTEGER) FROM run_metrics WHERE name='real_network'")
[ "$net" = 0 ] && ok "no transport failure over HTTP/2" || bad "no transport failure over HTTP/2" "network=$net"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
