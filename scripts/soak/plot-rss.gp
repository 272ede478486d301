# RSS of detserve over a soak (scripts/soak.sh sets csv, png, warmup [s], base_mb, limit [%], label).
set terminal pngcairo size 960,540 font ",11"
set output png
set datafile separator ","
set key inside right bottom
set grid
set title "detserve serve: resident memory during the soak (".label.")"
set xlabel "minutes"
set ylabel "VmRSS (MB)"
set y2label "threads"
set ytics nomirror
set y2tics
set yrange [0:*]
set autoscale xfixmax
set y2range [0:*]
set arrow 1 from warmup / 60.0, graph 0 to warmup / 60.0, graph 1 nohead dt 3 lc rgb "gray40"
set label 1 "end of warm-up" at warmup / 60.0, graph 0.05 offset 0.5, 0 tc rgb "gray40"
plot csv using ($1 / 60):($2 / 1024) skip 1 with lines lw 2 lc rgb "#1f77b4" title "VmRSS", \
     base_mb with lines dt 2 lc rgb "black" title sprintf("after warm-up (%.1f MB)", base_mb), \
     base_mb * (1 + limit / 100.0) with lines dt 3 lc rgb "red" title sprintf("+%g %% (pass limit)", limit), \
     csv using ($1 / 60):3 skip 1 axes x1y2 with lines lw 1 lc rgb "#2ca02c" title "threads (right axis)"
