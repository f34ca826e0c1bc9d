# The testbed's Fig. 10-like plot (tests/testbed/fig10.sh): offered and
# delivered loops/s over time, the probe client's p50 and p99 RTT on the
# right axis, a dashed line at each row of events.csv after the first (with
# the updater: a node provisioned, then its epoch committed; `who` names who
# decided).
#   gnuplot -e "dir='build/testbed'" tests/testbed/elasticity.gp
if (!exists("dir")) dir = 'build/testbed'
if (!exists("who")) who = 'the script'
set terminal pngcairo size 900,500 noenhanced
set output dir.'/elasticity.png'
set datafile separator ','
set key top left
set xlabel 'time (s)'
set ylabel 'loops per second'
set y2label 'probe RTT (ms)'
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set title 'Testbed: load ramped; dashed: a node provisioned, its epoch committed (decided by '.who.')'
# the dashed lines: one arrow per row of events.csv after the first
stats dir.'/events.csv' using 1 skip 1 nooutput
do for [i=1:STATS_records-1] {
  stats dir.'/events.csv' every ::i::i using 1 skip 1 nooutput
  set arrow from first STATS_min, graph 0 to first STATS_min, graph 1 nohead dashtype 2 lc rgb 'gray40'
}
plot dir.'/elasticity.csv' using 1:3 skip 1 with lines lw 2 title 'offered', \
     '' using 1:4 skip 1 with lines lw 2 title 'delivered', \
     '' using 1:5 skip 1 axes x1y2 with lines dt 3 title 'p50 RTT', \
     '' using 1:6 skip 1 axes x1y2 with lines dt 4 title 'p99 RTT'
