# Sourced by the integration scripts that need real storage peers, after
# real_lib.sh (it uses $T, $PIDS and $PY). Each start_* function starts one
# peer, written elsewhere, on a free loopback port, waits until it answers
# (10 s at most) and sets NAME_PORT and NAME_PID; the peer is killed at exit
# with the rest of $PIDS. Each returns 1 (after a SKIP-worthy message on
# stderr) when the program is missing: `make deps` installs all four.
#   redis-server  (Debian)        start_redis      REDIS_PORT   REDIS_PID
#   moto_server   (S3 API)        start_moto [N]   MOTO_PORT    MOTO_PID
#     (N: INITIAL_NO_AUTH_ACTION_COUNT, the requests moto leaves unchecked
#     before it checks every SigV4 signature against its IAM keys; 0 by default)
#   s3rver        (npm, S3 API)   start_s3rver     S3RVER_PORT  S3RVER_PID
#   azurite-blob  (npm, Azure)    start_azurite    AZURITE_PORT AZURITE_PID
# ../shared/PEERS.md says how each starts. npm peers live under
# $CLOUDMIX_NPM (default ~/.cache/cloudmix/npm, where `make deps` puts them).
# Nothing listens beyond 127.0.0.1; azurite runs with --disableTelemetry (it
# otherwise tries to reach an outside telemetry endpoint).
: "${CLOUDMIX_NPM:=$HOME/.cache/cloudmix/npm}"
NPM_BIN=$CLOUDMIX_NPM/node_modules/.bin
# The Azure Storage development account (public, documented by Azurite).
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
# moto with N = 0 checks from the first request on, and knows no key but the
# IAM ones made within the first N requests: these (AWS's documented example
# key) are refused there with InvalidAccessKeyId
MOTO_ACCESS_KEY=AKIAIOSFODNN7EXAMPLE
MOTO_SECRET_KEY='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'

peer_port() {
  $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# peer_wait PORT: until something accepts on 127.0.0.1:PORT (10 s at most)
peer_wait() {
  i=0
  while [ $i -lt 100 ]; do
    $PY -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$1" \
      2>/dev/null && return 0
    sleep 0.1
    i=$((i + 1))
  done
  echo "peer on port $1 did not start" >&2
  return 1
}
start_redis() {
  command -v redis-server >/dev/null || { echo "redis-server missing (make deps installs it)" >&2; return 1; }
  REDIS_PORT=$(peer_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$T" \
    >"$T/redis.log" 2>&1 &
  REDIS_PID=$!
  PIDS="$PIDS $REDIS_PID"
  peer_wait "$REDIS_PORT"
}
start_moto() {
  command -v moto_server >/dev/null || { echo "moto_server missing (pip install 'moto[server]')" >&2; return 1; }
  MOTO_PORT=$(peer_port)
  INITIAL_NO_AUTH_ACTION_COUNT=${1:-0} moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$T/moto.log" 2>&1 &
  MOTO_PID=$!
  PIDS="$PIDS $MOTO_PID"
  peer_wait "$MOTO_PORT"
}
# moto_iam_key URL [ROLE]: within moto's unchecked requests (start_moto N,
# N >= 4, or 5 with a ROLE), an IAM user "cloudmix" with a policy allowing
# everything and an access key, signed with a dummy key only to name the
# service; sets MOTO_KEY, MOTO_SECRET, MOTO_POLICY_ARN and, with ROLE (a
# role name for Lambda functions), MOTO_ROLE_ARN. The answers stay in
# $T/iam1..5 for a failure's message. Returns 1 when a value is missing.
moto_iam_key() {
  _iam() {
    curl -s --noproxy '*' --max-time 20 --aws-sigv4 "aws:amz:us-east-1:iam" --user setup:setup -X POST "$1/" \
      -H 'Content-Type: application/x-www-form-urlencoded' --data "Version=2010-05-08&$2"
  }
  _pol='%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22*%22%2C%22Resource%22%3A%22*%22%7D%5D%7D'
  _iam "$1" "Action=CreateUser&UserName=cloudmix" >"$T/iam1"
  _iam "$1" "Action=CreatePolicy&PolicyName=all&PolicyDocument=$_pol" >"$T/iam2"
  MOTO_POLICY_ARN=$(sed -n 's#.*<Arn>\(arn:aws:iam::[0-9]*:policy/all\)</Arn>.*#\1#p' "$T/iam2")
  _iam "$1" "Action=AttachUserPolicy&UserName=cloudmix&PolicyArn=$MOTO_POLICY_ARN" >"$T/iam3"
  _iam "$1" "Action=CreateAccessKey&UserName=cloudmix" >"$T/iam4"
  MOTO_KEY=$(sed -n 's#.*<AccessKeyId>\([^<]*\)</AccessKeyId>.*#\1#p' "$T/iam4")
  MOTO_SECRET=$(sed -n 's#.*<SecretAccessKey>\([^<]*\)</SecretAccessKey>.*#\1#p' "$T/iam4")
  MOTO_ROLE_ARN=
  if [ -n "${2:-}" ]; then
    _iam "$1" "Action=CreateRole&RoleName=$2&AssumeRolePolicyDocument=%7B%7D" >"$T/iam5"
    MOTO_ROLE_ARN=$(sed -n "s#.*<Arn>\\(arn:aws:iam::[0-9]*:role/$2\\)</Arn>.*#\\1#p" "$T/iam5")
    [ -n "$MOTO_ROLE_ARN" ] || return 1
  fi
  [ -n "$MOTO_KEY" ] && [ -n "$MOTO_SECRET" ] && [ -n "$MOTO_POLICY_ARN" ]
}
start_s3rver() {
  [ -x "$NPM_BIN/s3rver" ] || { echo "s3rver missing under $CLOUDMIX_NPM (make deps installs it)" >&2; return 1; }
  S3RVER_PORT=$(peer_port)
  mkdir -p "$T/s3rver"
  "$NPM_BIN/s3rver" -a 127.0.0.1 -p "$S3RVER_PORT" -d "$T/s3rver" --silent >"$T/s3rver.log" 2>&1 &
  S3RVER_PID=$!
  PIDS="$PIDS $S3RVER_PID"
  peer_wait "$S3RVER_PORT"
}
start_azurite() {
  [ -x "$NPM_BIN/azurite-blob" ] || { echo "azurite missing under $CLOUDMIX_NPM (make deps installs it)" >&2; return 1; }
  AZURITE_PORT=$(peer_port)
  mkdir -p "$T/azurite"
  "$NPM_BIN/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZURITE_PORT" --location "$T/azurite" --silent \
    --disableTelemetry >"$T/azurite.log" 2>&1 &
  AZURITE_PID=$!
  PIDS="$PIDS $AZURITE_PID"
  peer_wait "$AZURITE_PORT"
}
