#!/bin/sh
# Integration tests of `cloudmix sweep` (GNU parallel runner, on this host)
# and `cloudmix merge`: a sweep of 2 scenarios x 3 policies x 5 seeds runs
# as 30 jobs, the merged file holds the 30 runs with every table's rows;
# a re-run runs nothing; a deleted, a truncated, a killed (running) and an
# incomplete job's file are re-run and only they; merge refuses files that
# are not cloudmix results or of another schema version (nothing written)
# and leaves out unfinished runs; bad specs and missing tools fail with one
# line and exit 2. Needs
# CLOUDMIX and GNU parallel (Debian `parallel`); run from the repository root.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
if ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
  echo "SKIP sweep.sh: GNU parallel is not installed (Debian package 'parallel'; make deps installs it)"
  echo "0 passed, 0 failed"
  exit 0
fi

# --- 30 jobs under GNU parallel ---------------------------------------------
cat > "$T/spec.ini" <<EOF
# a test sweep: two short cloudless scenarios
[sweep]
scenarios = $ROOT/scenarios/cloudless/fig9-fault-tolerance.ini, $ROOT/scenarios/cloudless/uav-flight.ini
policies = loi, cost, latency
seeds = 1-3, 4, 5
set.run.duration_s = 15
EOF
W="$T/sw"
out=$($CLOUDMIX sweep "$T/spec.ini" --jobs 2 --dir "$W" 2>"$T/err"); rc=$?
jobs=$(wc -l < "$W/jobs.txt" 2>/dev/null)
logged=$(awk 'NR > 1 && $7 == 0' "$W/joblog.txt" 2>/dev/null | wc -l)
files=$(ls "$W"/runs/*.db 2>/dev/null | wc -l)
if [ $rc = 0 ] && [ "$jobs" = 30 ] && [ "$logged" = 30 ] && [ "$files" = 30 ] &&
   echo "$out" | grep -q '30 jobs (2 scenarios x 1 grid points x 3 policies x 5 seeds).*0 done, 30 to run' &&
   echo "$out" | grep -q 'ran 30 jobs with GNU parallel: 30 done, 0 not'; then
  ok "sweep: 30 jobs in jobs.txt, 30 exit 0 in parallel's joblog, 30 files"
else bad "sweep: 30 jobs under GNU parallel" "rc=$rc jobs=$jobs logged=$logged files=$files; $out $(cat "$T/err")"; fi
n=0
for f in "$W"/runs/*.db; do
  [ "$(q "$f" "SELECT count(*) FROM runs WHERE status IN ('complete', 'ok')")" = 1 ] &&
    [ "$(q "$f" "SELECT count(*) FROM runs")" = 1 ] && n=$((n + 1))
done
[ $n = 30 ] && ok "each job's file holds one finished run" || bad "each job's file holds one finished run" "$n of 30"

# --- merge: 30 runs, distinct (scenario, policy, seed), every row -----------
ls "$W"/runs/*.db > "$T/inputs"
if $CLOUDMIX merge "$T/all.db" $(cat "$T/inputs") > "$T/mout" 2>"$T/err"; then
  ok "merge of 30 files exits 0: $(cat "$T/mout")"
else bad "merge of 30 files" "$(cat "$T/err")"; fi
[ "$(q "$T/all.db" "SELECT count(*) FROM runs WHERE status IN ('complete', 'ok')")" = 30 ] &&
  [ "$(q "$T/all.db" "SELECT group_concat(id) FROM runs")" = "$(seq -s, 1 30)" ] &&
  ok "merged file: 30 finished runs, ids 1..30" ||
  bad "merged file: 30 finished runs, ids 1..30" "$(q "$T/all.db" "SELECT id, status FROM runs")"
# Input k (in the order given) became run k: the same row (scenario, seed,
# its wall-clock start), and the policy its job line set (run_params). Every table with a
# run_id column holds, for run k, as many rows as input k's file.
tabs=$(q "$T/all.db" "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND EXISTS
  (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'run_id') ORDER BY m.name")
k=0; same=0; rows=0; : > "$T/triples"
while read -r f; do
  k=$((k + 1))
  a=$(q "$f" "SELECT scenario_path, seed, started_at FROM runs")
  b=$(q "$T/all.db" "SELECT scenario_path, seed, started_at FROM runs WHERE id = $k")
  pol=$(grep -F "$f" "$W/jobs.txt" | sed -n "s/.*'cloudless.policy=\([a-z]*\)'.*/\1/p")
  [ "$(q "$T/all.db" "SELECT value FROM run_params WHERE run_id = $k AND key = 'cloudless.policy'")" = "$pol" ] || pol=""
  ca=""; cb=""
  for t in $tabs; do
    ca="$ca $(q "$f" "SELECT count(*) FROM $t")"
    cb="$cb $(q "$T/all.db" "SELECT count(*) FROM $t WHERE run_id = $k")"
    rows=$((rows + $(q "$f" "SELECT count(*) FROM $t")))
  done
  [ "$a" = "$b" ] && [ "$ca" = "$cb" ] && [ -n "$pol" ] && same=$((same + 1))
  echo "$(q "$T/all.db" "SELECT scenario_path, seed FROM runs WHERE id = $k")|$pol" >> "$T/triples"
done < "$T/inputs"
total=0
for t in $tabs; do total=$((total + $(q "$T/all.db" "SELECT count(*) FROM $t"))); done
distinct=$(sort -u "$T/triples" | wc -l)
if [ $same = 30 ] && [ "$distinct" = 30 ] && [ "$rows" = "$total" ] && [ "$rows" -gt 30 ]; then
  ok "merged runs = the 30 inputs' runs; 30 distinct (scenario, policy, seed); per-table rows equal ($total rows in $(echo $tabs | wc -w) tables)"
else bad "merged rows equal the inputs'" "same=$same distinct=$distinct rows=$rows total=$total"; fi

# --- a re-run skips all 30 ----------------------------------------------------
sums() { md5sum "$W"/runs/*.db "$W/joblog.txt" | sort; }
sums > "$T/sum1"
out=$($CLOUDMIX sweep "$T/spec.ini" --jobs 2 --dir "$W" 2>&1); rc=$?
sums > "$T/sum2"
if [ $rc = 0 ] && echo "$out" | grep -q '30 done, 0 to run' && echo "$out" | grep -q 'nothing to run' &&
   cmp -s "$T/sum1" "$T/sum2"; then
  ok "re-run: 30 done, nothing run (files and joblog unchanged)"
else bad "re-run skips all 30" "rc=$rc $out"; fi

# --- a deleted, a truncated, a killed and an incomplete job: only they run ---
set -- $(cat "$T/inputs")
rm -f "$1"
: > "$2"
sqlite3 "$3" "UPDATE runs SET status = 'running', wall_seconds = NULL"   # as a killed run leaves it
sqlite3 "$7" "UPDATE runs SET status = 'incomplete'"                       # as the next open marks it
md5sum "${4}" "${30}" > "$T/kept1"
out=$($CLOUDMIX sweep "$T/spec.ini" --jobs 2 --dir "$W" 2>&1); rc=$?
relogged=$(awk 'NR > 1' "$W/joblog.txt" | wc -l)
fixed=0
for f in "$1" "$2" "$3" "$7"; do
  [ "$(q "$f" "SELECT count(*) FROM runs")" = 1 ] &&
    [ "$(q "$f" "SELECT count(*) FROM runs WHERE status IN ('complete', 'ok')")" = 1 ] && fixed=$((fixed + 1))
done
if [ $rc = 0 ] && echo "$out" | grep -q '26 done, 4 to run' && [ "$relogged" = 4 ] && [ $fixed = 4 ] &&
   md5sum -c --quiet "$T/kept1" >/dev/null 2>&1; then
  ok "deleted, truncated, running and incomplete job files: only those 4 re-run, each replaced by one finished run"
else bad "only the 4 broken jobs re-run" "rc=$rc relogged=$relogged fixed=$fixed; $out"; fi

# --- --sshlogin goes to parallel as it is (':' is this host, without ssh) ----
printf '[sweep]\nscenarios = %s/scenarios/cloudless/uav-flight.ini\nseeds = 7-8\nset.run.duration_s = 10\n' "$ROOT" > "$T/ssh.ini"
out=$($CLOUDMIX sweep "$T/ssh.ini" --sshlogin : --dir "$T/ssh" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q 'ran 2 jobs with GNU parallel: 2 done' && [ "$(awk 'NR > 1 && $2 == ":"' "$T/ssh/joblog.txt" | wc -l)" = 2 ] &&
  ok "--sshlogin : passed to parallel (joblog host ':')" || bad "--sshlogin pass-through" "$rc $out"
cp "$1" "$T/ssh/runs/stranger.db"
out=$($CLOUDMIX sweep "$T/ssh.ini" --dir "$T/ssh" 2>&1)
echo "$out" | grep -q "note: 1 file in $T/ssh/runs belongs to no job of this spec (e.g. stranger.db" && [ -e "$T/ssh/runs/stranger.db" ] &&
  ok "a file of no job is named and left alone" || bad "a file of no job is named" "$out"

# --- a job that fails: named, exit 1; not done, so a re-run replaces it ------
# (a 5 GiB workflow input: every plan infeasible, the run ends 'failed', exit 1)
printf '[sweep]\nscenarios = %s/tests/integration/data/cloudless/workflow.ini\nseeds = 1\nset.workflow.input_kb = 1, 5242880\n' "$ROOT" > "$T/fail.ini"
out=$($CLOUDMIX sweep "$T/fail.ini" --dir "$T/fail" 2>"$T/err"); rc=$?
ff=$(ls "$T"/fail/runs/*input_kb=5242880*.db 2>/dev/null)
if [ $rc = 1 ] && echo "$out" | grep -q 'ran 2 jobs with GNU parallel: 1 done, 1 not' &&
   grep -qF "job not done: $ff" "$T/err" && [ "$(q "$ff" "SELECT status FROM runs")" = failed ]; then
  ok "a failing job: sweep exits 1 naming its file (its run 'failed')"
else bad "a failing job is reported" "rc=$rc $out $(cat "$T/err")"; fi
out=$($CLOUDMIX sweep "$T/fail.ini" --dir "$T/fail" 2>/dev/null); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q '1 done, 1 to run' && [ "$(q "$ff" "SELECT count(*) FROM runs")" = 1 ] &&
  ok "re-run: the failed job runs again, its file replaced (one run)" || bad "a failed job re-runs" "rc=$rc $out"
$CLOUDMIX merge "$T/fail.db" "$T"/fail/runs/*.db >/dev/null 2>&1 &&
  [ "$(q "$T/fail.db" "SELECT group_concat(status, ',') FROM (SELECT status FROM runs ORDER BY status)")" = "failed,ok" ] ||
  [ "$(q "$T/fail.db" "SELECT group_concat(status, ',') FROM (SELECT status FROM runs ORDER BY status)")" = "complete,failed" ] &&
  ok "merge keeps a failed run (it finished)" || bad "merge keeps a failed run"

# --- merge refuses what it cannot merge; nothing written ----------------------
echo "not a database" > "$T/junk.db"
sqlite3 "$T/other.db" "PRAGMA application_id = 7; CREATE TABLE runs (id INTEGER)"
cp "$4" "$T/v99.db"; sqlite3 "$T/v99.db" "PRAGMA user_version = 99"
for case in junk other v99; do
  rm -f "$T/refused.db"
  msg=$($CLOUDMIX merge "$T/refused.db" "$4" "$T/$case.db" 2>&1 >/dev/null); rc=$?
  case $case in
    junk) want='junk.db: not a cloudmix results file (not an SQLite database' ;;
    other) want='other.db: not a cloudmix results file (SQLite application_id 0x00000007' ;;
    v99) want='v99.db: schema version 99; expected' ;;
  esac
  if [ $rc = 2 ] && echo "$msg" | grep -qF "$want" && echo "$msg" | grep -q 'nothing written' && [ ! -e "$T/refused.db" ]; then
    ok "merge refuses $case.db (exit 2, nothing written)"
  else bad "merge refuses $case.db" "rc=$rc: $msg"; fi
done
cp "$T/all.db" "$T/all2.db"
$CLOUDMIX merge "$T/all2.db" "$4" "$T/junk.db" >/dev/null 2>&1
cmp -s "$T/all.db" "$T/all2.db" && ok "merge into an existing file with one bad input leaves it unchanged" ||
  bad "a refused merge leaves OUT unchanged"

# --- merge leaves out a running run, or keeps it on request -------------------
cp "$5" "$T/run1.db"; cp "$6" "$T/run2.db"
sqlite3 "$T/run2.db" "UPDATE runs SET status = 'running'"
msg=$($CLOUDMIX merge "$T/part.db" "$T/run1.db" "$T/run2.db" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$msg" | grep -qF "run2.db: run 1 skipped: status 'running'" &&
   [ "$(q "$T/part.db" "SELECT count(*) FROM runs")" = 1 ] &&
   [ "$(q "$T/part.db" "SELECT count(*) FROM run_metrics WHERE run_id <> 1")" = 0 ]; then
  ok "merge skips a running run, naming file, run and status"
else bad "merge skips a running run" "rc=$rc: $msg"; fi
$CLOUDMIX merge --include-unfinished "$T/part2.db" "$T/run1.db" "$T/run2.db" >/dev/null 2>&1
[ "$(q "$T/part2.db" "SELECT group_concat(status) FROM runs")" = "$(q "$T/run1.db" "SELECT status FROM runs"),running" ] &&
  ok "--include-unfinished keeps it" || bad "--include-unfinished keeps the running run"
msg=$($CLOUDMIX merge "$T/run1.db" "$T/run1.db" 2>&1); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q 'is the output file itself' && ok "merge refuses OUT as an input" ||
  bad "merge refuses OUT as an input" "$rc $msg"

# --- bad specs and missing tools: one line, exit 2 ----------------------------
spec() { printf '[sweep]\nscenarios = %s/scenarios/cloudless/uav-flight.ini\nseeds = 1-2\n%s\n' "$ROOT" "$1" > "$T/bad.ini"; }
check() { # name, fragment, then the sweep's extra arguments
  name=$1; want=$2; shift 2
  msg=$(env PATH="${CPATH_:-$PATH}" $CLOUDMIX sweep "$T/bad.ini" --dir "$T/badsw" "$@" 2>&1 >/dev/null); rc=$?
  if [ $rc = 2 ] && echo "$msg" | grep -qF -- "$want"; then ok "sweep: $name: exit 2, '$want'"
  else bad "sweep: $name" "rc=$rc: $msg"; fi
}
spec "scenarios = nope.ini"; check "missing scenario" "[sweep] scenarios: 'nope.ini' not found"
spec "seed = 3"; check "unknown key" "[sweep] unknown key 'seed'"
spec "set.workload.rate_per_s ="; check "empty grid" "[sweep] set.workload.rate_per_s: no values"
spec "set.workload.rate_per_s = 1,,2"; check "empty grid item" "an empty item"
spec "set.workload.nope = 1"; check "unknown scenario key" "does not load (" && echo "$msg" | grep -qF "[workload] nope: unknown key" ||
  bad "the unknown scenario key is named" "$msg"
spec "set.workload.rate_per_s = -3"; check "value out of range" "rate_per_s: found '-3', expected a number"
spec "policies = loi, fastest"; check "unknown policy" "unknown policy 'fastest'"
printf '[sweep]\nscenarios = %s/scenarios/cloudless/uav-flight.ini\nseeds = 5-2\n' "$ROOT" > "$T/bad.ini"
check "bad seed range" "seeds: '5-2' is not a seed or a range"
printf '[sweep]\nscenarios = %s/scenarios/cloudless/uav-flight.ini\n[other]\n' "$ROOT" > "$T/bad.ini"
check "unknown group" "unknown group [other]"
spec ""
CPATH_=/nonexistent; check "parallel not installed" "parallel not found on PATH; install the Debian package 'parallel'"
[ ! -e "$T/badsw" ] && ok "... before anything is written" || bad "a missing tool is found before anything is written"
mkdir -p "$T/fakebin"; printf '#!/bin/sh\necho "parallel from moreutils"\n' > "$T/fakebin/parallel"; chmod +x "$T/fakebin/parallel"
CPATH_="$T/fakebin:$PATH"; check "another parallel" "is not GNU parallel"
CPATH_=/nonexistent; check "sbatch not installed" "sbatch not found on PATH; install the Debian package 'slurm-client'" --runner slurm --submit
CPATH_=; check "--submit without slurm" "--submit goes with --runner slurm only" --submit
if $CLOUDMIX sweep "$T/bad.ini" --runner list --dir "$T/list" >/dev/null && [ "$(wc -l < "$T/list/jobs.txt")" = 2 ] &&
   [ -z "$(ls "$T/list/runs")" ]; then ok "--runner list writes jobs.txt and runs nothing"
else bad "--runner list"; fi
$CLOUDMIX sweep "$T/bad.ini" --runner slurm --jobs 1 --dir "$T/sl" >/dev/null &&
  grep -q '^#SBATCH --array=1-2%1$' "$T/sl/sweep.sbatch" && ok "--runner slurm writes an array script (1-2%1)" ||
  bad "--runner slurm writes sweep.sbatch" "$(cat "$T/sl/sweep.sbatch" 2>&1)"
# a Slurm array this folder submitted and Slurm still lists (a stand-in
# squeue answers for it; slurm.sh does it for real): no file is touched
mkdir -p "$T/busy/runs" "$T/fakesq"; echo 4242 > "$T/busy/slurm-job.txt"
printf '#!/bin/sh\necho 4242_1\n' > "$T/fakesq/squeue"; chmod +x "$T/fakesq/squeue"
: > "$T/busy/runs/keep.db"
msg=$(PATH="$T/fakesq:$PATH" $CLOUDMIX sweep "$T/bad.ini" --runner slurm --dir "$T/busy" 2>&1); rc=$?
[ $rc = 2 ] && echo "$msg" | grep -q 'job array 4242 .* is still queued or running' && [ ! -e "$T/busy/jobs.txt" ] &&
  ok "sweep refuses while its Slurm array is listed by squeue" || bad "sweep refuses while its array runs" "$rc $msg"
printf '#!/bin/sh\necho "slurm_load_jobs error: Invalid job id specified" >&2; exit 1\n' > "$T/fakesq/squeue"
PATH="$T/fakesq:$PATH" $CLOUDMIX sweep "$T/bad.ini" --runner slurm --dir "$T/busy" >/dev/null 2>&1 &&
  [ -e "$T/busy/sweep.sbatch" ] && ok "... and goes on once Slurm no longer knows the job" || bad "sweep after the array ended"
for sub in sweep merge; do
  $CLOUDMIX $sub --help 2>&1 | grep -q "Usage:" && ok "$sub --help" || bad "$sub --help"
done

echo "$pass passed, $fail failed"
[ $fail = 0 ]
