#!/bin/sh
# The network sweep's anonymity observer ([network] anonymity = on) and the
# federated-trust figures, through the program: on one Poisson mix
# (scenarios/mixclaves/anonymity-single-mix.ini) the measured mean
# sender-set entropy is within 1% of anon_pmix_ref(rho) and the mean
# number inside within 1% of lambda x mean delay, over at least 30000
# messages; on Loopix and Mixclaves networks (anonymity.ini) every packet
# is followed, more hops give more entropy, the nodes' own buffers give
# Fig. 1's R (append near 1/2, oblivious none) without changing the
# entropy, and the trust column equals the hand values; anonymity with Sphinx packets and bad trust lists exit 2
# with one line. Needs CLOUDMIX; run from the repository root.
set -u
: "${CLOUDMIX:?set CLOUDMIX to build/cloudmix}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
S=scenarios/mixclaves

# --- one Poisson mix against the closed forms -------------------------------------
if $CLOUDMIX run $S/anonymity-single-mix.ini --quiet --out "$T/one.db" 2>"$T/err"; then ok "single mix runs"
else bad "single mix runs" "$(cat "$T/err")"; fi
row=$(q "$T/one.db" "SELECT messages, h_mean, h_ref, occupancy, lambda_held * 0.1, unlinked FROM mixclaves_anon")
echo "     messages|H|H ref|occupancy|lambda x delay|unlinked = $row"
echo "$row" | awk -F'|' '{ exit !($1 >= 30000 && $6 == 0) }' && ok "single mix: >= 30000 messages, all followed" ||
  bad "single mix: >= 30000 messages, all followed" "$row"
echo "$row" | awk -F'|' '{ d = $2 / $3 - 1; exit !(d < 0.01 && d > -0.01) }' &&
  ok "single mix: mean entropy within 1% of anon_pmix_ref" || bad "single mix: entropy within 1%" "$row"
echo "$row" | awk -F'|' '{ d = $4 / $5 - 1; exit !(d < 0.01 && d > -0.01) }' &&
  ok "single mix: occupancy within 1% of lambda x mean delay" || bad "single mix: occupancy within 1%" "$row"

# --- networks: every packet followed, hops add entropy, trust by hand ----------------
if $CLOUDMIX run $S/anonymity.ini --quiet --out "$T/net.db" 2>"$T/err"; then ok "anonymity.ini runs"
else bad "anonymity.ini runs" "$(cat "$T/err")"; fi
n=$(q "$T/net.db" "SELECT count(*) FROM mixclaves_anon WHERE messages > 0 AND unlinked = 0 AND eps_messages > 0")
[ "$n" = 10 ] && ok "anonymity.ini: 10 steps scored, nothing unlinked" || bad "anonymity.ini: 10 steps scored" "$n"
h1=$(q "$T/net.db" "SELECT h_mean FROM mixclaves_anon WHERE config = 'mixclaves-3' AND rate = 2000")
h3=$(q "$T/net.db" "SELECT h_mean FROM mixclaves_anon WHERE config = 'mixclaves-3x3' AND rate = 2000")
awk -v a="$h1" -v b="$h3" 'BEGIN { exit !(b > a + 0.5) }' && ok "3 hops over 3 nodes: more entropy than 1 ($h3 > $h1 bits)" ||
  bad "3 hops: more entropy than 1" "$h1 $h3"
lo=$(q "$T/net.db" "SELECT h_mean FROM mixclaves_anon WHERE config = 'loopix-6x3' AND rate = 500")
hi=$(q "$T/net.db" "SELECT h_mean FROM mixclaves_anon WHERE config = 'loopix-6x3' AND rate = 2000")
awk -v a="$lo" -v b="$hi" 'BEGIN { exit !(b > a) }' && ok "more traffic, more entropy (Loopix: $lo < $hi bits)" ||
  bad "more traffic, more entropy" "$lo $hi"
r=$(q "$T/net.db" "SELECT count(*) FROM mixclaves_anon WHERE buffer = 'append' AND buffer_r BETWEEN 0.4 AND 0.6")
o=$(q "$T/net.db" "SELECT count(*) FROM mixclaves_anon WHERE buffer = 'oblivious' AND (buffer_r IS NULL OR abs(buffer_r) < 0.01)")
e=$(q "$T/net.db" "SELECT count(*) FROM mixclaves_anon a JOIN mixclaves_anon b ON a.rate = b.rate
  WHERE a.config = 'mixclaves-1' AND b.config = 'mixclaves-1-oblivious' AND a.h_mean = b.h_mean")
[ "$r" = 8 ] && [ "$o" = 2 ] && [ "$e" = 2 ] &&
  ok "buffer R in the nodes' own buffers: append near 1/2, oblivious none; the same entropy either way" ||
  bad "buffer R: append near 1/2, oblivious none, same entropy" "append rows $r, oblivious rows $o, equal H $e"
t=$(q "$T/net.db" "SELECT group_concat(config || '=' || printf('%.6f', p_honest_path), ' ') FROM mixclaves_trust")
[ "$t" = "loopix-6x3=0.992000 mixclaves-1=1.000000 mixclaves-3=1.000000 mixclaves-3x3=1.000000 mixclaves-1-oblivious=1.000000" ] &&
  ok "trust: 1 - 0.2^3 for Loopix, 1 with an attested domain on the path" || bad "trust values" "$t"
$CLOUDMIX run $S/anonymity.ini --quiet --set network.anonymity=false --set config.mixclaves-3x3.trust=0.9,0.5,0.2 \
  --set config.mixclaves-3x3.hops=2 --set network.rates=500 --out "$T/tr.db" 2>"$T/err" || bad "trust run" "$(cat "$T/err")"
t=$(q "$T/tr.db" "SELECT printf('%.6f', p_honest_path) FROM mixclaves_trust WHERE config = 'mixclaves-3x3'")
a=$(q "$T/tr.db" "SELECT count(*) FROM sqlite_master WHERE name = 'mixclaves_anon'")
[ "$t" = "0.823333" ] && [ "$a" = 0 ] &&
  ok "trust across 3 domains (0.9, 0.5, 0.2), 2 hops: 1 - 0.53/3; no anonymity table when off" ||
  bad "trust across 3 domains" "$t, anon table $a"

# --- malformed: exit 2, one line -----------------------------------------------------
expect2() {
  name=$1
  shift
  $CLOUDMIX run "$@" --quiet --out "$T/bad.db" 2>"$T/err"
  code=$?
  lines=$(wc -l <"$T/err")
  if [ "$code" = 2 ] && [ "$lines" = 1 ]; then ok "malformed ($name): exit 2, one line: $(cat "$T/err")"
  else bad "malformed ($name): exit 2, one line" "exit $code, $lines lines: $(cat "$T/err")"; fi
}
expect2 "anonymity with Sphinx" $S/anonymity.ini --set mixclaves.crypto=full
expect2 "trust out of range" $S/anonymity.ini --set config.loopix-6x3.trust=1.5
expect2 "trust list length" $S/anonymity.ini --set config.mixclaves-3x3.trust=1,0.5
expect2 "bad path" $S/anonymity.ini --set config.mixclaves-3x3.path=sideways

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
