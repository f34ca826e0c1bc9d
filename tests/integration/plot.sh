#!/bin/sh
# Integration tests of `cloudmix plot`: runs each Cloudless scenario, each
# Mixclaves figure scenario (and a small `cloudmix compare`) into a
# temporary directory, draws every figure
# kind and checks each PNG exists, is not empty and starts with the PNG
# signature; PDF and SVG by --out's extension (their magic), an unknown
# extension refused, --keep's script redrawing the figure with gnuplot,
# the kind chosen from the run's recorded experiment when the scenario file
# is renamed (to another figure's name); then the default names, the exit
# codes and one-line messages for bad input, a missing gnuplot, and that
# plot leaves no temporary files and does not change the database. Builds
# nothing.
# Usage: sh tests/integration/plot.sh path/to/cloudmix
set -u
[ $# -eq 1 ] || { echo "usage: $0 path/to/cloudmix" >&2; exit 2; }
case "$1" in /*) CM=$1 ;; *) CM=$(pwd)/$1 ;; esac
[ -x "$CM" ] || { echo "$0: $CM: not an executable" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
S=$ROOT/scenarios/cloudless
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/tmp"
TMPDIR=$T/tmp
export TMPDIR
. "$(dirname "$0")/lib.sh"

# png NAME FILE: FILE exists, is not empty and starts with the PNG signature.
png() {
  if [ ! -s "$2" ]; then bad "$1" "no PNG (or an empty one) at $2"; return; fi
  magic=$(head -c 8 "$2" | od -An -tx1 | tr -d ' \n')
  size=$(wc -c < "$2" | tr -d ' ')
  if [ "$magic" = 89504e470d0a1a0a ]; then ok "$1 ($size bytes)"; else bad "$1" "bad signature $magic in $2"; fi
}

# plot_ok NAME WANT ARGS...: plot exits 0, reports WANT (e.g. "fig8 of run 1").
plot_ok() {
  name=$1; want=$2; shift 2
  out=$("$CM" plot "$@" 2>&1); rc=$?
  case "$out" in
    *"$want"*) [ $rc -eq 0 ] && ok "$name: $want" || bad "$name" "rc=$rc: $out" ;;
    *) bad "$name" "rc=$rc, wanted '$want' in: $out" ;;
  esac
}

# plot_bad NAME RC WANT ARGS...: plot exits RC, with WANT in a one-line
# message (usage errors add the line pointing to --help).
plot_bad() {
  name=$1; want_rc=$2; want=$3; shift 3
  out=$("$CM" plot "$@" 2>&1 >/dev/null); rc=$?
  lines=$(printf '%s\n' "$out" | grep -vc "^Run 'cloudmix plot --help' for usage")
  case "$out" in
    *"$want"*) if [ $rc -eq "$want_rc" ] && [ "$lines" -eq 1 ]; then ok "$name -> exit $rc: $out"
               else bad "$name" "rc=$rc lines=$lines: $out"; fi ;;
    *) bad "$name" "rc=$rc, wanted '$want' in: $out" ;;
  esac
}

# --- every figure kind, chosen from the scenario name ------------------------
for sk in fig5-resnet:fig5 fig8-live-concurrency:fig8 fig9-fault-tolerance:fig9 sec65-variability:sec65 uav-flight:uav; do
  scn=${sk%%:*}; kind=${sk##*:}
  if ! "$CM" run "$S/$scn.ini" --quiet --out "$T/$scn.db" >/dev/null 2>"$T/err"; then
    bad "run $scn.ini" "$(cat "$T/err")"; continue
  fi
  sum=$(cksum < "$T/$scn.db")
  plot_ok "plot $scn.db" "$kind of run 1" "$T/$scn.db"
  png "$kind figure" "$T/$scn.png"
  [ "$(cksum < "$T/$scn.db")" = "$sum" ] && ok "$kind: database unchanged" || bad "$kind: database changed by plot"
done

# --- mixclaves figure kinds, chosen from the model and scenario name ----------
# fig8-/fig9- name cloudless scenarios too: the run's model decides. fig1 is
# shortened (the scatter samples at most [mixclaves] pairs packets anyway).
M=$ROOT/scenarios/mixclaves
# table1-cost runs the same network experiment as fig9-scalability: auto
# draws its Fig. 9, and Table 1 is asked for by name (below).
for sk in "fig1-buffer-correlation:mx-fig1:--set mixclaves.packets=200000" fig8-single-node:mx-fig8 \
          fig9-scalability:mx-fig9 table1-cost:mx-fig9; do
  scn=${sk%%:*}; rest=${sk#*:}; kind=${rest%%:*}; set --
  case "$rest" in *:*) set -- ${rest#*:} ;; esac
  if ! "$CM" run "$M/$scn.ini" --quiet "$@" --out "$T/mx-$scn.db" >/dev/null 2>"$T/err"; then
    bad "run mixclaves/$scn.ini" "$(cat "$T/err")"; continue
  fi
  sum=$(cksum < "$T/mx-$scn.db")
  plot_ok "plot mx-$scn.db" "$kind of run 1" "$T/mx-$scn.db"
  png "$kind figure" "$T/mx-$scn.png"
  [ "$(cksum < "$T/mx-$scn.db")" = "$sum" ] && ok "$kind: database unchanged" || bad "$kind: database changed by plot"
done
plot_ok "--kind mx-table1 on the table1-cost run" "mx-table1 of run 1" "$T/mx-table1-cost.db" --kind mx-table1
png "mx-table1 figure" "$T/mx-table1-cost-mx-table1.png"
plot_ok "--kind mx-fig9 on the mixclaves fig8 run" "mx-fig9 of run 1" "$T/mx-fig8-single-node.db" --kind mx-fig9
png "mx-fig9 figure of the fig8 run (default name -KIND)" "$T/mx-fig8-single-node-mx-fig9.png"
plot_bad "fig8 on a mixclaves run" 2 "the fig8 figure needs a cloudless run" "$T/mx-fig8-single-node.db" --kind fig8
plot_bad "mx-fig8 on a cloudless run" 2 "the mx-fig8 figure needs a mixclaves run" \
  "$T/fig8-live-concurrency.db" --kind mx-fig8
plot_bad "mx-fig1 needs buffer rows" 2 "experiment = buffer" "$T/mx-fig8-single-node.db" --kind mx-fig1
plot_bad "mx-table1 needs cost rows" 2 "no table mixclaves_cost" "$T/mx-fig1-buffer-correlation.db" --kind mx-table1

# --- compare, explicit kinds and run, default names --------------------------
if "$CM" compare "$S/fig9-fault-tolerance.ini" --seeds 2 --policies latency,random --quiet \
     --out "$T/cmp.db" >/dev/null 2>"$T/err"; then
  plot_ok "plot cmp.db picks compare" "compare of run 1" "$T/cmp.db"
  png "compare figure" "$T/cmp.png"
  plot_ok "plot cmp.db --run 3 is that run's figure" "fig9 of run 3" "$T/cmp.db" --run 3
  png "fig9 figure of one compare run" "$T/cmp-run3.png"
  plot_ok "--kind compare --run 4 finds its comparison" "compare of run 1" "$T/cmp.db" --run 4 --kind compare
  png "compare figure by run" "$T/cmp-run4-compare.png"
  # a compare set holding a run that is not complete is refused (the status
  # set by hand here, as the next open would mark a killed run)
  cp "$T/cmp.db" "$T/cmp-inc.db"
  sqlite3 "$T/cmp-inc.db" "UPDATE runs SET status = 'incomplete' WHERE id = 3"
  plot_bad "a compare set with an incomplete run" 2 "cmp-inc.db: run 3 of the compare set from run 1 is incomplete" \
    "$T/cmp-inc.db" --kind compare --out "$T/cmp-inc.png"
else
  bad "compare fig9-fault-tolerance.ini" "$(cat "$T/err")"
fi
plot_ok "--kind fig9 on the fig8 run" "fig9 of run 1" "$T/fig8-live-concurrency.db" --kind fig9
png "fig9 figure of the fig8 run (default name -KIND)" "$T/fig8-live-concurrency-fig9.png"
plot_ok "--out" "fig8 of run 1" "$T/fig8-live-concurrency.db" --out "$T/sub/dir/f8.png"
png "fig8 figure at --out in a new directory" "$T/sub/dir/f8.png"

# --- bad input: exit 2, one line naming the file ------------------------------
plot_bad "missing DB" 2 "$T/nope.db: no such file" "$T/nope.db"
printf 'not sqlite at all, just text\n' > "$T/junk.db"
plot_bad "not SQLite" 2 "$T/junk.db: not an SQLite database" "$T/junk.db"
"$CM" run "$ROOT/scenarios/demo.ini" --quiet --set run.duration_s=10 --out "$T/demo.db" >/dev/null 2>&1
plot_bad "demo run" 2 "$T/demo.db: run 1 is a 'demo' run" "$T/demo.db"
plot_bad "no such run" 2 "$T/fig8-live-concurrency.db: no run 7" "$T/fig8-live-concurrency.db" --run 7
plot_bad "fig5 needs per-provider rows" 2 "mode = per_provider" "$T/fig8-live-concurrency.db" --kind fig5
plot_bad "compare needs compare_results" 2 "no table compare_results" "$T/fig8-live-concurrency.db" --kind compare
plot_bad "unknown kind" 2 "--kind: unknown kind 'fig7'" "$T/fig8-live-concurrency.db" --kind fig7
"$CM" run "$S/sec65-variability.ini" --quiet --set cloudless.record=summary --out "$T/summary.db" >/dev/null 2>&1
plot_ok "per-provider run without calls: auto draws fig5" "fig5 of run 1" "$T/summary.db"
plot_bad "sec65 without calls" 2 "run the scenario with record = calls" "$T/summary.db" --kind sec65
plot_bad "no DB" 2 "missing DB"

# --- gnuplot missing: exit 1 ---------------------------------------------------
out=$(PATH=/nonexistent "$CM" plot "$T/fig8-live-concurrency.db" --out "$T/x.png" 2>&1); rc=$?
case "$out" in
  *"gnuplot not found"*) [ $rc -eq 1 ] && ok "no gnuplot -> exit 1" || bad "no gnuplot" "rc=$rc: $out" ;;
  *) bad "no gnuplot" "rc=$rc: $out" ;;
esac

# --- the workflow figure (seed Table 1): auto picks cl-table1 from table1-* -------
if "$CM" run "$S/table1-dag.ini" --quiet --out "$T/table1-dag.db" >/dev/null 2>"$T/err"; then
  plot_ok "cl-table1 chosen by name" "cl-table1 of run 1" "$T/table1-dag.db"
  png "cl-table1 Pareto fronts and placed plans" "$T/table1-dag.png"
else bad "table1-dag runs" "$(cat "$T/err")"; fi

# --- periodic scheduling: auto picks cl-replan from replan-* ----------------------
if "$CM" run "$S/replan-dag.ini" --quiet --out "$T/replan-dag.db" >/dev/null 2>"$T/err"; then
  plot_ok "cl-replan chosen by name" "cl-replan of run 1" "$T/replan-dag.db"
  png "cl-replan rounds and moves" "$T/replan-dag.png"
else bad "replan-dag runs" "$(cat "$T/err")"; fi

# --- the storage heatmap (seed Fig. 6): auto picks cl-fig6 from fig6-* -----------
if "$CM" run "$S/fig6-storage.ini" --quiet --out "$T/fig6-storage.db" >/dev/null 2>"$T/err"; then
  plot_ok "cl-fig6 chosen by name" "cl-fig6 of run 1" "$T/fig6-storage.db"
  png "cl-fig6 storage heatmap" "$T/fig6-storage.png"
else bad "fig6-storage runs" "$(cat "$T/err")"; fi

# --- a results file of schema version 2 (instants in REAL seconds, status ok) ---
# made from the fig9 run: plot upgrades it in place (results_open), then draws it
F9=$T/fig9-fault-tolerance.db
if [ -s "$F9" ]; then
  sqlite3 "$T/v2.db" "ATTACH '$F9' AS n;
    CREATE TABLE runs (id INTEGER PRIMARY KEY, model TEXT NOT NULL, scenario_path TEXT, scenario_text TEXT,
      seed INTEGER NOT NULL, version TEXT NOT NULL, started_at TEXT NOT NULL, wall_seconds REAL, events INTEGER,
      sim_end_ns INTEGER, status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
      mode TEXT NOT NULL DEFAULT 'sim' CHECK (mode IN ('sim', 'real')), profile_text TEXT);
    INSERT INTO runs SELECT id, model, scenario_path, scenario_text, seed, version, started_at, wall_seconds, events,
      sim_end_ns, 'ok', mode, profile_text FROM n.runs;
    CREATE TABLE run_metrics (run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL, value REAL,
      PRIMARY KEY (run_id, name)) WITHOUT ROWID;
    INSERT INTO run_metrics SELECT * FROM n.run_metrics;
    CREATE TABLE cloudless_series (run_id INTEGER NOT NULL, t_s REAL NOT NULL, provider TEXT NOT NULL,
      completed INTEGER NOT NULL, failed INTEGER NOT NULL, throughput_per_s REAL NOT NULL, mean_latency_s REAL);
    INSERT INTO cloudless_series SELECT run_id, t_ns / 1e9, provider, completed, failed, throughput_per_s,
      mean_latency_s FROM n.cloudless_series ORDER BY rowid;
    CREATE TABLE cloudless_events (run_id INTEGER NOT NULL, t_s REAL NOT NULL, kind TEXT NOT NULL, what TEXT NOT NULL);
    INSERT INTO cloudless_events SELECT run_id, t_ns / 1e9, kind, what FROM n.cloudless_events ORDER BY rowid;
    PRAGMA application_id = 1129138520; PRAGMA user_version = 2;"
  plot_ok "a version-2 file is upgraded and drawn" "fig9 of run 1" "$T/v2.db" --out "$T/v2.png"
  png "fig9 figure of the upgraded file" "$T/v2.png"
  same() { [ "$(sqlite3 "$T/v2.db" "$1")" = "$(sqlite3 "$F9" "$1")" ]; }
  if [ "$(sqlite3 "$T/v2.db" "PRAGMA user_version")" = 3 ] &&
     same "SELECT status FROM runs" &&
     same "SELECT group_concat(t_ns || typeof(t_ns) || provider, ' ') FROM cloudless_series" &&
     same "SELECT group_concat(t_ns || typeof(t_ns) || what, ' ') FROM cloudless_events" &&
     same "SELECT group_concat(key || '=' || value, ' ') FROM run_params"; then
    ok "upgraded file: version 3, status complete, the same instants in INTEGER ns, the same run_params"
  else bad "upgraded file equals the version-3 original" "$(sqlite3 "$T/v2.db" "PRAGMA user_version; SELECT status FROM runs;
    SELECT t_ns, typeof(t_ns) FROM cloudless_series LIMIT 3")"; fi
fi

# --- output formats by extension: PDF and SVG magic, unknown ones refused -----
F8=$T/fig8-live-concurrency.db
plot_ok "--out x.pdf" "fig8 of run 1" "$F8" --out "$T/fmt/f8.pdf"
magic=$(head -c 5 "$T/fmt/f8.pdf" 2>/dev/null)
[ "$magic" = "%PDF-" ] && ok "PDF starts with %PDF- ($(wc -c < "$T/fmt/f8.pdf" | tr -d ' ') bytes)" \
  || bad "PDF magic" "got '$magic' in $T/fmt/f8.pdf"
plot_ok "--out x.svg" "fig8 of run 1" "$F8" --out "$T/fmt/f8.svg"
if head -c 400 "$T/fmt/f8.svg" 2>/dev/null | grep -q '<svg' && tail -c 20 "$T/fmt/f8.svg" | grep -q '</svg>'; then
  ok "SVG has <svg ...> ... </svg>"; else bad "SVG" "no <svg> element in $T/fmt/f8.svg"; fi
plot_ok "--out X.PNG (extension case-insensitive)" "fig8 of run 1" "$F8" --out "$T/fmt/F8.PNG"
png "PNG by upper-case extension" "$T/fmt/F8.PNG"
plot_bad "unknown extension" 2 "--out $T/fmt/f8.jpg: unknown figure format; expected a file name ending in .png, .pdf or .svg" \
  "$F8" --out "$T/fmt/f8.jpg"
plot_bad "no extension" 2 "expected a file name ending in .png, .pdf or .svg" "$F8" --out "$T/fmt/f8"
[ ! -e "$T/fmt/f8.jpg" ] && [ ! -e "$T/fmt/f8" ] && ok "nothing written for a refused extension" \
  || bad "a refused extension left a file"

# --- --keep: the script and data beside the figure; gnuplot redraws it ---------
mkdir -p "$T/keep"
plot_ok "--keep" "fig9 of run 1" "$T/fig9-fault-tolerance.db" --out "$T/keep/f9.png" --keep
ls "$T/keep" > "$T/keep.ls"
if [ -s "$T/keep/f9.gp" ] && [ -s "$T/keep/f9-thr.dat" ]; then ok "--keep left $(tr '\n' ' ' < "$T/keep.ls")"
else bad "--keep" "left: $(cat "$T/keep.ls")"; fi
if grep -q "^set output \"f9.png\"" "$T/keep/f9.gp" && grep -q "'f9-thr.dat'" "$T/keep/f9.gp" && ! grep -v '^#' "$T/keep/f9.gp" | grep -q "$T"
then ok "kept script names its files relative to its folder"; else bad "kept script paths" "$(grep -n "output\|\.dat" "$T/keep/f9.gp")"; fi
before=$(cksum < "$T/keep/f9.png")
rm "$T/keep/f9.png"
if (cd "$T/keep" && gnuplot f9.gp) 2>"$T/err"; then
  png "gnuplot f9.gp redraws the figure" "$T/keep/f9.png"
  [ "$(cksum < "$T/keep/f9.png")" = "$before" ] && ok "redrawn figure is byte-identical" \
    || bad "redrawn figure differs from the one cloudmix drew"
  grep -q 'Seed Fig. 9' "$T/keep/f9.gp" && ok "kept script draws the fig9 kind" || bad "kept script lacks the fig9 title"
else bad "gnuplot f9.gp" "$(cat "$T/err")"; fi
plot_ok "--keep with --out x.svg" "fig8 of run 1" "$F8" --out "$T/keep/k8.svg" --keep
rm -f "$T/keep/k8.svg"
(cd "$T/keep" && gnuplot k8.gp) 2>/dev/null && head -c 400 "$T/keep/k8.svg" | grep -q '<svg' \
  && ok "kept SVG script redraws an SVG" || bad "kept SVG script"
plot_bad "--keep, a quote in the name" 2 "holds a quote or a line break" "$F8" --out "$T/keep/it's.png" --keep
plot_bad "--keep, nothing before the extension" 2 "has nothing before its extension" "$F8" --out "$T/keep/.png" --keep
[ ! -e "$T/fmt/f9.gp" ] && [ -z "$(ls "$T/fmt" | grep -v '\.\(png\|PNG\|pdf\|svg\)$')" ] \
  && ok "without --keep only the figure is written" || bad "without --keep" "$(ls "$T/fmt")"

# --- the kind follows the recorded experiment, not the file name ---------------
# Each scenario copied under another figure's name: the kind must not move.
R=$T/renamed; mkdir -p "$R"
cp "$S"/functions.ini "$S"/providers-core.ini "$S"/provider-wavelength.ini "$R/"
cp "$S/fig9-fault-tolerance.ini" "$R/fig8-looks-like-fig8.ini"
cp "$S/sec65-variability.ini" "$R/fig5-not-fig5.ini"
cp "$M/fig8-single-node.ini" "$R/fig9-one-node.ini"
cp "$M/fig1-buffer-correlation.ini" "$R/untitled.ini"
for sk in fig8-looks-like-fig8:fig9 fig5-not-fig5:sec65 "fig9-one-node:mx-fig8:--set network.rates=100,900" \
          "untitled:mx-fig1:--set mixclaves.packets=20000"; do
  scn=${sk%%:*}; rest=${sk#*:}; kind=${rest%%:*}; set --
  case "$rest" in *:*) set -- ${rest#*:} ;; esac
  if "$CM" run "$R/$scn.ini" --quiet "$@" --out "$R/$scn.db" >/dev/null 2>"$T/err"; then
    plot_ok "renamed $scn.ini: kind from the recorded experiment" "$kind of run 1" "$R/$scn.db"
  else bad "run renamed $scn.ini" "$(cat "$T/err")"; fi
done
sqlite3 "$R/untitled.db" "UPDATE runs SET scenario_text = NULL" 2>/dev/null
plot_bad "no recorded scenario text" 2 "recorded no scenario text, so its experiment is unknown; choose a kind with --kind" \
  "$R/untitled.db"

# --- no temporary directory left, no WAL left -----------------------------------
left=$(ls -A "$T/tmp")
[ -z "$left" ] && ok "temporary directories removed" || bad "temporary directories left" "$left"
wal=$(ls "$T"/*-wal "$T"/*-shm 2>/dev/null)
[ -z "$wal" ] && ok "no -wal/-shm files left" || bad "-wal/-shm files left" "$wal"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
