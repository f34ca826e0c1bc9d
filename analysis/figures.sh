#!/bin/sh
# `make figures`: runs every scenario of a seed figure or table that
# cloudmix reproduces, from scratch, into one folder, draws each figure as
# PNG and PDF (the PDF's gnuplot script and data kept beside it, for
# restyling), and writes index.html: each figure with its seed counterpart's
# number and caption, the commands that made it, and our measured headline
# beside the seed's. The headlines are read from the results files with
# sqlite3. Run from the top of the tree.
# Usage: sh analysis/figures.sh path/to/cloudmix OUT_DIR [SEEDS]
#   SEEDS: seeds per policy of the UAV comparison (the seed's headline), default 10
set -eu
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: $0 path/to/cloudmix OUT_DIR [SEEDS]" >&2; exit 2; }
CM=$1
OUT=$2
SEEDS=${3:-10}
[ -x "$CM" ] || { echo "$0: $CM: not an executable (run make first)" >&2; exit 2; }
case "$SEEDS" in '' | *[!0-9]*) echo "$0: SEEDS: expected a whole number >= 2, got '$SEEDS'" >&2; exit 2 ;; esac
[ "$SEEDS" -ge 2 ] || { echo "$0: SEEDS: expected a whole number >= 2 (a 95% CI needs two), got $SEEDS" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "$0: sqlite3 not found (Debian: sqlite3; make deps installs it)" >&2; exit 1; }
[ -f scenarios/cloudless/fig5-resnet.ini ] || { echo "$0: run from the top of the cloudmix tree" >&2; exit 2; }

S=scenarios/cloudless
M=scenarios/mixclaves
DB=$OUT/db
rm -rf "$OUT"
mkdir -p "$DB"
BODY=$OUT/.body.html
: > "$BODY"
now() { date +%s.%N; }
# since T: seconds since the time T (from now), one decimal
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }
T0=$(now)
UAV_POLICIES=loi,cost,latency,mix,random,only:edge-openfaas,only:wavelength-openfaas,only:aws-lambda,only:gcp-cloudrun,only:azr-functions

esc() { printf '%s' "$1" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'; }
# q DB SQL: the query's answer; an error or an empty answer ends the whole
# script (q runs inside $(...), where set -e would not see it).
q() {
  ans=$(sqlite3 "$1" "$2") && [ -n "$ans" ] || { echo "figures: $1: no answer to: $2" >&2; kill -TERM $$; exit 1; }
  printf '%s' "$ans"
}

# run ID CMD...: echo and run one cloudmix command; remember it for the index.
run() {
  log=$DB/$1.log; shift
  echo "figures: $*"
  "$@" > "$log" 2>&1 || { echo "figures: failed: $*" >&2; cat "$log" >&2; exit 1; }
  CMDS="$CMDS$*
"
}

# figure ID DBFILE KIND SEEDREF CAPTION SEED_HEADLINE OUR_HEADLINE NOTE: draw
# DBFILE's figure as ID.png and ID.pdf (+ ID.gp, ID-*.dat), checking that
# plot chose KIND from the run's recorded experiment (mx-table1, a second
# view of a network run, is asked for by name), then append the figure's
# section to the index.
figure() {
  id=$1 db=$2 kind=$3 ref=$4 cap=$5 seedh=$6 ourh=$7 note=$8
  set --
  [ "$kind" != mx-table1 ] || set -- --kind "$kind"
  run "$id-png" "$CM" plot "$db" "$@" --out "$OUT/$id.png"
  grep -q ": $kind of run" "$DB/$id-png.log" || { echo "figures: $db: expected the $kind figure: $(cat "$DB/$id-png.log")" >&2; exit 1; }
  run "$id-pdf" "$CM" plot "$db" "$@" --out "$OUT/$id.pdf" --keep
  secs=$(since "$FIG_T0")
  {
    printf '<section id="%s">\n<h2>%s</h2>\n' "$id" "$(esc "$ref")"
    printf '<blockquote>%s</blockquote>\n' "$(esc "$cap")"
    printf '<p><img src="%s.png" alt="%s"></p>\n' "$id" "$(esc "$ref")"
    printf '<p>Also <a href="%s.pdf">PDF</a>, with its gnuplot script <a href="%s.gp">%s.gp</a> and data (run <code>gnuplot %s.gp</code> here to redraw it); results <a href="db/%s">db/%s</a>.</p>\n' \
      "$id" "$id" "$id" "$id" "$(basename "$db")" "$(basename "$db")"
    printf '<table><tr><th>seed</th><td>%s</td></tr>\n<tr><th>ours</th><td>%s</td></tr></table>\n' \
      "$(esc "$seedh")" "$(esc "$ourh")"
    [ -z "$note" ] || printf '<p class="note">%s</p>\n' "$(esc "$note")"
    printf '<p>Made by (%s s):</p>\n<pre>%s</pre>\n</section>\n' "$secs" "$(esc "$CMDS")"
  } >> "$BODY"
  CMDS=""
  FIG_T0=$(now)
}
CMDS=""
FIG_T0=$(now)

# --- Cloudless ---------------------------------------------------------------------
d=$DB/fig5-resnet.db
run fig5 "$CM" run $S/fig5-resnet.ini --quiet --out "$d"
figure cl-fig5 "$d" fig5 "Cloudless Fig. 5" \
  "Figure 5: Execution times of ResNet over various providers over different model sizes. The differing ResNets have different memory and compute footprints, causing different providers to perform better than others." \
  "The fastest provider changes with the model: AWS Fission relatively better on ResNet18, worse on larger ones (no numbers printed)." \
  "Fastest per model: $(q "$d" "SELECT group_concat(function || ' ' || provider || printf(' %.2f s', mean_exec_s), '; ') FROM (SELECT function, provider, mean_exec_s, rowid r FROM cloudless_providers p WHERE function <> '*' AND mean_exec_s = (SELECT min(mean_exec_s) FROM cloudless_providers o WHERE o.run_id = p.run_id AND o.function = p.function) ORDER BY r)")" ""

d=$DB/fig6-storage.db
run fig6 "$CM" run $S/fig6-storage.ini --quiet --out "$d"
figure cl-fig6 "$d" cl-fig6 "Cloudless Fig. 6" \
  "Figure 6: A heatmap of the network delay from source compute nodes to destination storage for a 64MB payload. We see differing patterns of read & write times that can be optimized." \
  "A heatmap at 64 MB, compute source x store (no numbers printed)." \
  "$(q "$d" "WITH m AS (SELECT max(bytes) b FROM cloudless_storage_scan) SELECT printf('%d MB writes take %.3f s to %.3f s', m.b / 1048576, min(write_s), max(write_s)) FROM cloudless_storage_scan, m WHERE bytes = m.b"); fastest store: $(q "$d" "WITH m AS (SELECT max(bytes) b FROM cloudless_storage_scan), r AS (SELECT location, store, avg(write_s) w FROM cloudless_storage_scan, m WHERE bytes = m.b GROUP BY location, store), f AS (SELECT location, store, w, row_number() OVER (PARTITION BY location ORDER BY w) rk FROM r) SELECT group_concat(printf('%s -> %s %.3f s', location, store, w), '; ') FROM f WHERE rk = 1 AND location IN ('aws-lambda', 'gcp-cloudrun', 'azr-functions', 'edge-openfaas')")" \
  "Our link classes are estimates (scenarios/cloudless/storage.ini): the cells restate them."

d=$DB/fig8-live-concurrency.db
run fig8 "$CM" run $S/fig8-live-concurrency.ini --quiet --out "$d"
figure cl-fig8 "$d" fig8 "Cloudless Fig. 8" \
  "Figure 8: Throughput of Cloudless on each provider on ResNet18, smoothed with window size of 3. AWS has a concurrency limit of 10, Azure 20, GCP 30, and EDGE 5. Number of concurrent global requests are increased over time from 0 to 40 seconds." \
  "0-15 s: most invocations go to AWS (the fastest); after 30 s all cloud providers are used; the total is above any one provider's." \
  "$(q "$d" "SELECT printf('0-15 s: %.0f%% of completions on aws-lambda; 30-60 s: total %.1f calls/s, the largest provider %.1f calls/s', 100.0 * sum(provider = 'aws-lambda' AND finished_ns < 15e9) / max(1, sum(finished_ns < 15e9)), sum(finished_ns >= 30e9 AND finished_ns < 60e9) / 30.0, (SELECT max(n) / 30.0 FROM (SELECT count(*) n FROM cloudless_calls WHERE outcome = 'completed' AND finished_ns >= 30e9 AND finished_ns < 60e9 GROUP BY provider))) FROM cloudless_calls WHERE outcome = 'completed'")" \
  "Azure and the edge carry little after 30 s in ours (analysis/VALIDATION.md, Fig. 8)."

d=$DB/fig9-fault-tolerance.db
run fig9 "$CM" run $S/fig9-fault-tolerance.ini --quiet --out "$d"
figure cl-fig9 "$d" fig9 "Cloudless Fig. 9" \
  "Figure 9: The graph displays the lowest latency policy. It sends all invocations to the fastest provider available at any given timepoint. After each vertical line, we simulate a cloud returning errors for all invocations(from AWS, GCP, then Azure). When no clouds are available, the edge is used." \
  "Failover AWS -> GCP -> Azure -> edge, switching at once." \
  "Most calls per 60 s window: $(q "$d" "WITH w AS (SELECT submitted_ns / 60000000000 AS k, provider, count(*) AS n FROM cloudless_calls WHERE outcome = 'completed' GROUP BY k, provider), b AS (SELECT k, provider, n, (SELECT sum(n) FROM w w2 WHERE w2.k = w.k) AS t, row_number() OVER (PARTITION BY k ORDER BY n DESC) AS rk FROM w) SELECT group_concat(printf('%d-%d s %s (%d of %d)', k * 60, k * 60 + 60, provider, n, t), ' -> ') FROM (SELECT * FROM b WHERE rk = 1 ORDER BY k)"); failed calls: $(q "$d" "SELECT count(*) FROM cloudless_calls WHERE outcome <> 'completed'")" ""

d=$DB/sec65-variability.db
run sec65 "$CM" run $S/sec65-variability.ini --quiet --out "$d"
figure cl-sec65 "$d" sec65 "Cloudless Section 6.5 (evaluation over time; the seed's graph has no number)" \
  "6.5 Evaluation over time: a thousand consecutive invokes on the providers we are studying ... a noisy variation over time ... the edge used has higher variability." \
  "The edge is the most variable provider (no numbers printed)." \
  "Coefficient of variation (sd / mean latency): $(q "$d" "SELECT group_concat(printf('%s %.3f', provider, sd_latency_s / mean_latency_s), ', ') FROM (SELECT * FROM cloudless_providers WHERE function <> '*' ORDER BY sd_latency_s / mean_latency_s DESC)")" ""

d=$DB/table1-dag.db
run table1 "$CM" run $S/table1-dag.ini --quiet --out "$d"
figure cl-table1 "$d" cl-table1 "Cloudless Table 1" \
  "Table 1: We display the scheduling results of the example DAG workflow in Figure 7. The following is optimizing for time given an unlimited cost constraint." \
  "default lp 2.531 s; no edge 2.977 s; aws only 2.867 s; gcp only 3.581 s; azure only 2.730 s" \
  "Measured mean time: $(q "$d" "SELECT group_concat(printf('%s %.3f s', plan, time_s), '; ') FROM cloudless_workflow WHERE time_s IS NOT NULL")" \
  "Ours are 4-5x smaller (published FLOP counts at estimated speeds, no framework overhead); the default row is the fastest in both."

d=$DB/uav-flight-compare.db
run uav-compare "$CM" compare $S/uav-flight.ini --seeds "$SEEDS" --policies "$UAV_POLICIES" --quiet --out "$d"
figure cl-headline "$d" compare "Cloudless headline (abstract), on the UAV flight of section 3" \
  "Our results show 7.3-29.3% improvement in response time and 2.9-73.9% reduction in cost compared to using a single cloud provider for some workloads." \
  "7.3-29.3% lower response time and 2.9-73.9% lower cost than a single cloud provider" \
  "Latency policy, mean latency lower than: $(q "$d" "WITH l AS (SELECT policy, mean FROM compare_results WHERE metric = 'mean_latency_s') SELECT group_concat(printf('%s %.1f%%', substr(o.policy, 6), 100 * (1 - p.mean / o.mean)), ', ') FROM l p, l o WHERE p.policy = 'latency' AND o.policy LIKE 'only:%'"); cost per 1000 calls lower than: $(q "$d" "WITH l AS (SELECT policy, mean FROM compare_results WHERE metric = 'cost_per_1000_usd') SELECT group_concat(printf('%s %.1f%%', substr(o.policy, 6), 100 * (1 - p.mean / o.mean)), ', ') FROM l p, l o WHERE p.policy = 'latency' AND o.policy LIKE 'only:%' AND o.mean > 0") ($SEEDS seeds per policy)" \
  "The single clouds are aws-lambda, gcp-cloudrun and azr-functions; wavelength-openfaas is AWS's remote edge and edge-openfaas the UAV's own computer (free). analysis/VALIDATION.md reads these."

d=$DB/uav-flight.db
run uav "$CM" run $S/uav-flight.ini --quiet --out "$d"
figure cl-uav "$d" uav "Cloudless use case (section 3): one UAV flight under the latency policy" \
  "A UAV crossing regions: ResNet18 in the countryside, ResNet152 over a city." \
  "No figure in the seed." \
  "Calls per provider: $(q "$d" "SELECT group_concat(provider || ' ' || n, ', ') FROM (SELECT provider, count(*) n FROM cloudless_calls WHERE outcome = 'completed' GROUP BY provider ORDER BY n DESC)")" ""

# --- Mixclaves ---------------------------------------------------------------------
d=$DB/fig1-buffer-correlation.db
run mx-fig1 "$CM" run $M/fig1-buffer-correlation.ini --quiet --out "$d"
figure mx-fig1 "$d" mx-fig1 "Mixclaves Fig. 1" \
  "Figure 1: Message buffering access patterns in Loopix (left) vs Mixclaves (right). Loopix has a correlation coefficient of 0.738 from input to output address accesses, whereas Mixclaves is 0.03." \
  "R = 0.738 (append then sort); R = 0.03 (random insertion)" \
  "$(q "$d" "SELECT group_concat(printf('%s R = %.4f', variant, r), '; ') FROM mixclaves_buffer")" \
  "Load and address model differ (analysis/VALIDATION.md, Fig. 1); oblivious is ours."

d=$DB/fig8-single-node.db
run mx-fig8 "$CM" run $M/fig8-single-node.ini --quiet --out "$d"
figure mx-fig8 "$d" mx-fig8 "Mixclaves Fig. 8" \
  "Figure 8: Throughput vs latency for a single node. Running in enclaves reduces peak throughput by around 200 messages per second." \
  "Enclave: about 200 msg/s lower peak; the oblivious buffer lowers it further (no number)." \
  "Peak delivered msg/s: $(q "$d" "SELECT group_concat(printf('%s %.0f', config, p), ', ') FROM (SELECT config, max(delivered_per_s) p FROM mixclaves_load GROUP BY config ORDER BY min(rowid))")" \
  "The enclave's 200 msg/s is a parameter taken from the seed; the oblivious buffer costs the Twisted profile nothing (no number in the seed). The next figure measures both on our C node."

d=$DB/fig8-c-node.db
run mx-fig8c "$CM" run $M/fig8-c-node.ini --quiet --out "$d"
figure mx-fig8-c-node "$d" mx-fig8 "Mixclaves Fig. 8, with our C node's measured costs" \
  "Figure 8 (as above), on the host profile measured from our own node (bench mixnode-udp, bench buffer)." \
  "Enclave: about 200 msg/s lower peak; the oblivious buffer lowers it further (no number)." \
  "Peak delivered msg/s: $(q "$d" "SELECT group_concat(printf('%s %.0f', config, p), ', ') FROM (SELECT config, max(delivered_per_s) p FROM mixclaves_load GROUP BY config ORDER BY min(rowid))")" \
  "Measured on the 2-core development machine, not an n2d-standard-2."

d=$DB/fig9-scalability.db
run mx-fig9 "$CM" run $M/fig9-scalability.ini --quiet --out "$d"
figure mx-fig9 "$d" mx-fig9 "Mixclaves Fig. 9" \
  "Figure 9: A network of six Loopix nodes saturates below 2400 messages per second (3 hops), but Mixclave cluster of three nodes saturates above 3000 messages per second at 54% of the cost." \
  "Loopix 6 nodes < 2400 msg/s; Mixclaves 3 nodes > 3000 msg/s at 54% of the cost" \
  "Peak delivered msg/s: $(q "$d" "SELECT group_concat(printf('%s %.0f', config, p), ', ') FROM (SELECT config, max(delivered_per_s) p FROM mixclaves_load GROUP BY config ORDER BY min(rowid))"); 3 Mixclaves nodes cost $(q "$d" "SELECT printf('%.0f%%', 100 * (SELECT monthly_usd FROM mixclaves_cost WHERE mixnet = 'Mixclaves' AND nodes = 3) / (SELECT monthly_usd FROM mixclaves_cost WHERE mixnet = 'Loopix'))") of Loopix" \
  "Every node uses the one-node 800 msg/s profile, so our 3-node peak (2400) is below the seed's 3000."

d=$DB/table1-cost.db
run mx-table1 "$CM" run $M/table1-cost.ini --quiet --out "$d"
figure mx-table1 "$d" mx-table1 "Mixclaves Table 1" \
  "Table 1: Cost and throughput comparison of Loopix to two different Mixclave topologies." \
  "Loopix 6: < 2400 msg/s, \$296.04; Mixclaves 1-4: < 800, < 2000, < 3600, < 4800 msg/s, \$53.34, \$106.68, \$160.02, \$213.36" \
  "$(q "$d" "SELECT group_concat(printf('%s %d: %.0f msg/s, \$%.2f', mixnet, nodes, peak_per_s, monthly_usd), '; ') FROM mixclaves_cost")" \
  "The Mixclaves surcharge was solved backwards from the seed's \$53.34 (analysis/VALIDATION.md)."

d=$DB/fig10-elasticity.db
run mx-fig10 "$CM" run $M/fig10-elasticity.ini --quiet --out "$d"
figure mx-fig10 "$d" mx-fig10 "Mixclaves Fig. 10" \
  "Figure 10: Adding nodes as throughput increases. A node is added to the mixnet at every dashed line, preserving latency." \
  "Throughput increases beyond the saturation points of Section 5.2 (one node < 800 msg/s); latency preserved; no numbers" \
  "$(q "$d" "SELECT printf('%.0f msg/s delivered at the end with %d nodes (one node: 800), p50 RTT %.1f ms', (SELECT value FROM run_metrics WHERE run_id = 1 AND name = 'delivered_end_per_s'), (SELECT value FROM run_metrics WHERE run_id = 1 AND name = 'nodes_end'), 1000 * (SELECT value FROM run_metrics WHERE run_id = 1 AND name = 'p50_end_s'))")" \
  "Thresholds are 0.75 x the measured Fig. 9 peaks; provisioning time (2 s) is an assumption (the seed pre-allocates VMs)."

# --- the index -----------------------------------------------------------------------
TOTAL=$(since "$T0")
VERSION=$("$CM" --version)
{
  cat <<EOF
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cloudmix: the seed's figures, reproduced</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}img{max-width:100%;border:1px solid #ccc}
blockquote{color:#444;font-style:italic}pre{background:#f4f4f4;padding:.5em;overflow-x:auto}th{text-align:left;padding-right:1em;vertical-align:top}
.note{color:#555}</style></head><body>
<h1>The seed's figures, reproduced by cloudmix</h1>
<p>Seed: <i>Cloudless and Mixclaves</i> (Srivatsa et al., UC Berkeley EECS-2023-184). Made by <code>make figures</code>
($(esc "$VERSION"), $(date -u '+%Y-%m-%d %H:%M UTC'), $TOTAL s for the runs and plots below; $SEEDS seeds per
policy in the comparison, seed 1 elsewhere). Every number under "ours" was read from the results file beside it. Where we differ
from the seed and why: <code>analysis/VALIDATION.md</code>.</p>
<ul>
EOF
  sed -n 's|^<section id="\([^"]*\)">$|\1|p' "$BODY" | while read -r id; do
    title=$(sed -n "/^<section id=\"$id\">/{n;s|<h2>\(.*\)</h2>|\1|p;}" "$BODY")
    printf '<li><a href="#%s">%s</a></li>\n' "$id" "$title"
  done
  printf '</ul>\n'
  cat "$BODY"
  cat <<'EOF'
<h2>Not reproduced</h2>
<ul>
<li>Mixclaves Fig. 10 (adding nodes as throughput grows, elastic scale-out): no scenario yet; it comes with the Mixclaves control-plane work.</li>
<li>Mixclaves Fig. 7 (breakdown of VM provisioning costs) and the iperf3 enclave figures of 5.1.1 (9.73 vs 9.55 Gbps):
measurements of a cloud provider's VMs and SEV-SNP hardware, which a simulator does not have (analysis/VALIDATION.md).</li>
<li>Cloudless Figs. 1-4 and 7 and Mixclaves Figs. 2-6 are diagrams, not results (Cloudless Fig. 7's workflow is the DAG of Table 1).</li>
</ul>
</body></html>
EOF
} > "$OUT/index.html"
rm -f "$BODY"
echo "figures: $(ls "$OUT"/*.png | wc -l) figures, index in $OUT/index.html ($TOTAL s)"
