#!/bin/sh
# Integration test of the "did you mean" hints of the program itself: a
# mistyped subcommand names the nearest one by edit distance, a mistyped
# long option of every subcommand the nearest of that subcommand's options
# (the helper scenario keys use, scenario_word_suggest), each with exit 2;
# a word near nothing gets no guess. Runs nothing long; builds nothing.
# Usage: CLOUDMIX=path/to/cloudmix sh tests/integration/didyoumean.sh
set -u
CM=${CLOUDMIX:?set CLOUDMIX to the cloudmix binary}
[ -x "$CM" ] || { echo "$0: $CM: not an executable" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"

# hint NAME WANT ARGS...: cloudmix ARGS exits 2 with WANT on stderr.
hint() {
  name=$1; want=$2; shift 2
  out=$("$CM" "$@" 2>&1 >/dev/null); rc=$?
  case "$out" in
    *"$want"*) [ $rc -eq 2 ] && ok "$name: $want" || bad "$name" "rc=$rc: $out" ;;
    *) bad "$name" "rc=$rc, wanted '$want' in: $out" ;;
  esac
}
# no_guess NAME ARGS...: exit 2 and no "did you mean" in the message.
no_guess() {
  name=$1; shift
  out=$("$CM" "$@" 2>&1 >/dev/null); rc=$?
  case "$out" in
    *"did you mean"*) bad "$name" "guessed: $out" ;;
    *) [ $rc -eq 2 ] && ok "$name: no guess ($(printf '%s' "$out" | head -1))" || bad "$name" "rc=$rc: $out" ;;
  esac
}

# --- subcommands ---------------------------------------------------------------
hint "clent" "unknown subcommand 'clent'; did you mean 'client'?" clent
hint "compaer" "did you mean 'compare'?" compaer
hint "plto" "did you mean 'plot'?" plto
hint "emualte" "did you mean 'emulate'?" emualte
hint "stor" "did you mean 'store'?" stor
hint "nod" "did you mean 'node'?" nod
hint "rnu" "did you mean 'run'?" rnu
no_guess "xyzzyq" xyzzyq
hint "xyzzyq lists the subcommands" "known subcommands: 'run', 'replay', 'compare', 'sweep', 'merge', 'plot'" xyzzyq

# --- long options, one per subcommand --------------------------------------------
hint "run --sed" "Unknown option --sed; did you mean --seed?" run --sed 3 x.ini
hint "run --qiuet" "did you mean --quiet?" run --qiuet x.ini
hint "compare --polices" "Unknown option --polices; did you mean --policies?" compare --polices latency x.ini
hint "compare --seds=3 (with =VALUE)" "did you mean --seeds?" compare --seds=3 x.ini
hint "plot --kidn" "Unknown option --kidn; did you mean --kind?" plot --kidn fig8 x.db
hint "plot --kep" "did you mean --keep?" plot --kep x.db
hint "node --confg" "did you mean --config?" node --confg x.ini
hint "node init --adress" "did you mean --address?" node init --adress 3
hint "client --rat" "did you mean --rate?" client --rat 3
hint "agree --scael" "did you mean --scale?" agree --scael 0.5 x.ini
hint "emulate --lisen" "did you mean --listen?" emulate --lisen 127.0.0.1:0 x.ini
hint "store --rael" "did you mean --real?" store --rael x.profile put k
hint "bench --quik" "did you mean --quick?" bench --quik
hint "bench sphinks" "did you mean 'sphinx'?" bench sphinks
hint "--hlep" "did you mean --help?" plot --hlep
hint "replay --polcy" "Unknown option --polcy; did you mean --policy?" replay --polcy latency t.csv
hint "sweep --runer" "did you mean --runner?" sweep --runer list s.ini
hint "merge --includ-unfinished" "did you mean --include-unfinished?" merge --includ-unfinished o.db i.db
hint "trace info --formt" "did you mean --format?" trace info --formt azure2019 t.csv
hint "replya" "did you mean 'replay'?" replya
hint "swep" "did you mean 'sweep'?" swep
no_guess "plot --zzzzzzzz" plot --zzzzzzzz x.db
no_guess "compare --polcy (4 edits from --policies)" compare --polcy latency x.ini

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
