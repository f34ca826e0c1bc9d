#!/bin/sh
# `cloudmix sweep --runner slurm --submit` on a one-node Slurm this test
# starts on loopback (as /work/shared/PEERS.md describes): munged with its
# own key and socket, slurmctld and slurmd with a slurm.conf in a scratch
# folder, free ports, everything stopped by its pid at exit, even on
# failure. A 4-job sweep is submitted as a job array and waited for; every
# job's file holds a finished run and Slurm's own output file; a re-run
# submits nothing; a deleted job's file is re-run alone (array = its line);
# the merged file holds the 4 runs. Installs slurm-wlm and munge with
# apt-get when they are missing (says so). Needs root (slurmd starts jobs
# as their user); prints SKIP and why when it cannot run. Needs CLOUDMIX;
# run from the repository root.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
t0=$(date +%s)
skip() { echo "SKIP slurm.sh: $1"; echo "0 passed, 0 failed"; exit 0; }
[ "$(id -u)" = 0 ] || skip "needs root: slurmd runs jobs as their user and the test runs it as SlurmUser=root"
missing=""
for p in munged slurmctld slurmd sbatch squeue sinfo; do command -v $p >/dev/null || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "slurm.sh: missing:$missing; installing Debian packages slurm-wlm munge with apt-get"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 --no-install-recommends \
      slurm-wlm munge >/dev/null; } 2>&1 | tail -3
  for p in munged slurmctld slurmd sbatch squeue sinfo; do
    command -v $p >/dev/null || skip "$p is still missing after apt-get install slurm-wlm munge"
  done
fi

t_up=$(date +%s)
S=$(mktemp -d)   # everything Slurm and munge write
T=$S/t
# alive PID: the process exists and is not a zombie (the daemons fork away
# from us; a reaper that is not init may hold them as zombies a while)
alive() { [ -r "/proc/$1/stat" ] && ! awk '{ sub(/^.*\) /, ""); exit $1 == "Z" ? 0 : 1 }' "/proc/$1/stat"; }
stop() { # a daemon by its pid file: TERM, then KILL after 5 s
  [ -s "$1" ] || return 0
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  i=0; while alive "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  alive "$pid" && { echo "slurm.sh: $1: pid $pid ignored SIGTERM; SIGKILL"; kill -9 "$pid"; }
  return 0
}
cleanup() {
  [ -n "${JOB:-}" ] && scancel "$JOB" 2>/dev/null
  stop "$S/slurmd.pid"; stop "$S/slurmctld.pid"; stop "$S/munge/pid"
  rm -rf "$S"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$S/munge" "$S/spool" "$S/state" "$S/log" "$T"
chmod 711 "$S" "$S/munge"   # munged wants its socket's folder searchable by all
head -c 1024 /dev/urandom > "$S/munge/key" && chmod 400 "$S/munge/key"
munged --key-file="$S/munge/key" --socket="$S/munge/sock" --pid-file="$S/munge/pid" \
  --log-file="$S/munge/log" --seed-file="$S/munge/seed" ||
  skip "munged does not start: $(tail -2 "$S/munge/log" 2>/dev/null)"
N=$(hostname -s)
ports=$(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
cat > "$S/slurm.conf" <<EOF
ClusterName=cmtest
SlurmctldHost=$N(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
AuthType=auth/munge
AuthInfo=socket=$S/munge/sock
CryptoType=crypto/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=sched_min_interval=100000
SlurmUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$N NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=cmtest Nodes=$N Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$S/slurm.conf"
slurmctld -f "$SLURM_CONF" && slurmd -f "$SLURM_CONF" ||
  skip "slurmctld or slurmd does not start: $(tail -3 "$S/log/slurmctld.log" "$S/log/slurmd.log" 2>/dev/null)"
i=0
until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do
  i=$((i + 1))
  [ $i -gt 100 ] && skip "the node is not idle after 20 s: sinfo says '$(sinfo -h -o %T 2>&1)'; $(tail -3 "$S/log/slurmctld.log")"
  sleep 0.2
done
up=$(($(date +%s) - t_up))
# only loopback: nothing listens on another address
if command -v ss >/dev/null; then
  wide=$(ss -Hltn | awk -v a=":$1" -v b=":$2" '($4 ~ a"$" || $4 ~ b"$") && $4 !~ /^127\./')
  lo=$(ss -Hltn | awk -v a="127.0.0.1:$1" -v b="127.0.0.1:$2" '$4 == a || $4 == b' | wc -l)
  [ -z "$wide" ] && [ "$lo" = 2 ] && ok "slurmctld and slurmd listen on 127.0.0.1 only (ports $1, $2)" ||
    bad "Slurm listens on loopback only" "on loopback: $lo of 2; elsewhere: $wide"
fi
ok "one-node Slurm up in ${up} s (node $N idle)"

# wait_job ID: until squeue no longer lists it (60 s at most)
wait_job() {
  i=0
  while [ -n "$(squeue -h -j "$1" 2>/dev/null)" ]; do
    i=$((i + 1)); [ $i -gt 300 ] && return 1; sleep 0.2
  done
  return 0
}
cat > "$T/spec.ini" <<EOF
[sweep]
scenarios = $ROOT/scenarios/cloudless/fig9-fault-tolerance.ini
policies = loi, cost
seeds = 1-2
set.run.duration_s = 15
EOF
W="$T/sw"
out=$($CLOUDMIX sweep "$T/spec.ini" --runner slurm --submit --dir "$W" 2>&1); rc=$?
JOB=$(echo "$out" | sed -n 's/.*submitted Slurm job array \([0-9]*\) .*/\1/p')
if [ $rc = 0 ] && [ -n "$JOB" ] && grep -q '^#SBATCH --array=1-4$' "$W/sweep.sbatch"; then
  ok "sweep --runner slurm --submit: job array $JOB, --array=1-4"
else bad "sweep submits a job array" "rc=$rc: $out"; fi
t1=$(date +%s)
# while the array is listed, a sweep of the same folder touches nothing
if [ -n "$(squeue -h -j "$JOB" 2>/dev/null)" ]; then
  msg=$($CLOUDMIX sweep "$T/spec.ini" --runner slurm --submit --dir "$W" 2>&1); rc=$?
  [ $rc = 2 ] && echo "$msg" | grep -q "job array $JOB .* is still queued or running" &&
    ok "a second sweep while array $JOB is queued or running is refused" || bad "a sweep during the array is refused" "$rc $msg"
else echo "note: array $JOB ended before the refusal could be checked (checked with a stand-in squeue in sweep.sh)"; fi
if [ -n "$JOB" ] && wait_job "$JOB"; then ok "the array ran in $(($(date +%s) - t1)) s"
else bad "the array ends within 60 s" "$(squeue 2>&1)"; fi
done4=0
for f in "$W"/runs/*.db; do
  [ "$(q "$f" "SELECT count(*) FROM runs WHERE status IN ('complete', 'ok')")" = 1 ] && done4=$((done4 + 1))
done
outs=$(ls "$W/slurm/${JOB}"_*.out 2>/dev/null | wc -l)
[ $done4 = 4 ] && [ "$outs" = 4 ] && ok "4 job files with a finished run, 4 Slurm task outputs (${JOB}_1..4.out)" ||
  bad "4 jobs done by Slurm" "done=$done4 outputs=$outs; $(cat "$W"/slurm/* 2>/dev/null | head -5)"

out=$($CLOUDMIX sweep "$T/spec.ini" --runner slurm --submit --dir "$W" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '4 done, 0 to run' && echo "$out" | grep -q 'nothing to run' &&
  ! echo "$out" | grep -q submitted && ok "re-run: 4 done, nothing submitted" || bad "re-run submits nothing" "$out"

victim=$(sed -n 3p "$W/jobs.txt" | sed "s/.*--out '\(.*\)'$/\1/")
rm -f "$victim"
out=$($CLOUDMIX sweep "$T/spec.ini" --runner slurm --submit --dir "$W" 2>&1); rc=$?
JOB2=$(echo "$out" | sed -n 's/.*submitted Slurm job array \([0-9]*\) .*/\1/p')
if [ $rc = 0 ] && [ -n "$JOB2" ] && grep -q '^#SBATCH --array=3$' "$W/sweep.sbatch" && wait_job "$JOB2" &&
   [ "$(q "$victim" "SELECT count(*) FROM runs WHERE status IN ('complete', 'ok')" 2>/dev/null)" = 1 ] &&
   [ "$(ls "$W/slurm/${JOB2}"_*.out | wc -l)" = 1 ]; then
  ok "a deleted job's file: array $JOB2 runs line 3 alone, the file is back"
else bad "a deleted job re-runs alone" "rc=$rc $out; $(cat "$W/sweep.sbatch")"; fi

if $CLOUDMIX merge "$T/all.db" "$W"/runs/*.db >/dev/null 2>"$T/err" &&
   [ "$(q "$T/all.db" "SELECT count(*) FROM runs WHERE status IN ('complete', 'ok')")" = 4 ] &&
   [ "$(q "$T/all.db" "SELECT count(DISTINCT seed) FROM runs")" = 2 ]; then
  ok "merge: 4 finished runs"
else bad "merge of the Slurm sweep" "$(cat "$T/err")"; fi

echo "slurm.sh: $(($(date +%s) - t0)) s in all"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
