# Plots of bench/run.sh's report; bench/report/plot.sh prepares the data blocks and sets
# dir, configs (sweep configurations), ceiling (engine-only img/s), saturation, single (ms).
set terminal pngcairo size 960,600 font ",11"
set datafile separator whitespace
set key outside right top
set grid
set logscale x 2
set xlabel "concurrency (closed loop)"

set output dir."/throughput.png"
set title "Throughput vs concurrency"
set ylabel "images/s"
set yrange [0:*]
plot for [i=0:configs-1] dir."/sweep.dat" index i using 1:2 with linespoints lw 2 title columnheader(1), \
     dir."/naive.dat" index 0 using 1:2 with linespoints lw 2 dt 2 lc rgb "black" title "naive baseline", \
     ceiling with lines dt 3 lc rgb "red" title sprintf("engine-only ceiling %.1f", ceiling)

set output dir."/latency.png"
set ylabel "ms"
set logscale y
set yrange [*:*]
set multiplot layout 1,2
set key inside left top font ",9"
set title "p50 latency vs concurrency"
plot for [i=0:configs-1] dir."/sweep.dat" index i using 1:3 with linespoints lw 2 title columnheader(1), \
     dir."/naive.dat" index 0 using 1:3 with linespoints lw 2 dt 2 lc rgb "black" title "naive baseline"
set title "p99 latency vs concurrency"
plot for [i=0:configs-1] dir."/sweep.dat" index i using 1:4 with linespoints lw 2 title columnheader(1), \
     dir."/naive.dat" index 0 using 1:4 with linespoints lw 2 dt 2 lc rgb "black" title "naive baseline"
unset multiplot

set output dir."/load.png"
set key inside left top font ",11"
unset logscale x
set xrange [0:*]
set xlabel "offered load (requests/s, open loop)"
set title sprintf("Latency vs offered load, detserve defaults (saturation %.1f img/s)", saturation)
set arrow 1 from saturation, graph 0 to saturation, graph 1 nohead dt 3 lc rgb "red"
plot dir."/openloop_all.dat" using 1:3 with linespoints lw 2 title "p50", \
     dir."/openloop_all.dat" using 1:4 with linespoints lw 2 title "p99", \
     2 * single with lines dt 2 lc rgb "black" title sprintf("2 x single-request latency (%.0f ms)", 2 * single)
