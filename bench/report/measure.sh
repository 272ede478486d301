# shellcheck shell=bash
# Helpers of bench/run.sh: servers started and stopped by name, the command log, resident memory,
# CPU split and perf profile of a load run. Source it after scripts/common.sh with $out set.

declare -A server_pids=()
next_port=$(( 20000 + RANDOM % 20000 ))

# True when something listens on TCP port $1 (/proc/net/tcp*: no ss/netstat needed). cpp-httplib
# binds with SO_REUSEPORT, so a second server on a busy port would start fine and share its traffic.
port_in_use() {
  awk -v p="$(printf '%04X' "$1")" '$4 == "0A" && toupper(substr($2, index($2, ":") + 1)) == p { found = 1 }
                                    END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
# pick_port VAR: the next free port into VAR (not $(…): the counter must advance in this shell).
pick_port() {
  next_port=$(( next_port + 1 ))
  while port_in_use "$next_port"; do next_port=$(( next_port + 1 )); done
  printf -v "$1" '%s' "$next_port"
}
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }  # calc "1.5 * 2" (no bc on minimal images)

# Quotes like a person would type it: 'a b' only where needed; paths shown relative to the repo.
show_command() {
  local arg shown=()
  for arg in "$@"; do
    arg="${arg//$DETSERVE_ROOT\//}"
    arg="${arg//$samples\//\$SAMPLES/}"
    arg="${arg//$out\//\$OUT/}"
    if [[ "$arg" =~ ^[A-Za-z0-9_./:=%+,\$-]+$ || "$arg" = "&" ]]; then shown+=("$arg"); else shown+=("'$arg'"); fi
  done
  echo "${shown[*]}"
}

# Runs a command and appends it to $out/commands.txt (the report's "exact commands").
logged() {
  show_command "$@" >>"$out/commands.txt"
  "$@"
}

server_pid() { echo "${server_pids[$1]}"; }

# start_server NAME COMMAND...: starts it in the background (log: $out/NAME.log) and returns once
# GET /readyz answers 200 on the --port of the command line.
start_server() {
  local name="$1"; shift
  local port="" prev=""
  for arg in "$@"; do [ "$prev" = --port ] && port="$arg"; prev="$arg"; done
  show_command "$@" "&" >>"$out/commands.txt"
  "$@" >"$out/$name.log" 2>&1 &
  server_pids[$name]=$!
  for _ in $(seq 1 3000); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    kill -0 "${server_pids[$name]}" 2>/dev/null || die "$name exited: $(tail -5 "$out/$name.log")"
    sleep 0.02
  done
  die "$name not ready after 60 s: $(tail -5 "$out/$name.log")"
}

stop_server() {
  local pid="${server_pids[$1]:-}"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "server_pids[$1]"
}

stop_all_servers() {
  local name
  for name in "${!server_pids[@]}"; do stop_server "$name"; done
}

rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# Busy and total CPU ticks of the machine (all cores), from /proc/stat.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
# utime + stime of a process, all its threads, in ticks.
process_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# The children line of `times` (1m2.500s 0m0.250s) in seconds.
times_children_s() { awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); t += p[1] * 60 + p[2] } print t }'; }

# watch_others FILE: until killed, once a second "epoch_s,cores" of CPU used by processes that are
# not this run (not descendants of this shell): /proc/stat's busy ticks minus our processes'
# utime+stime+cutime+cstime (a reaped child's time moves into its parent's cutime, so the sum is
# continuous). Run it in the background.
watch_others() {
  local root=$$ hz prev="" now
  hz=$(getconf CLK_TCK)
  echo "epoch_s,others_cores" >"$1"
  while sleep 1; do
    # cat, not awk on the files, and || true: a process may exit between the glob and the read
    # (and set -e is inherited here).
    now=$( { grep '^cpu ' /proc/stat; cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$root" -v t="$(date +%s)" '
      $1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9; next }
      { pid = $1; line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
        parent[pid] = f[2]; ticks[pid] = f[12] + f[13] + f[14] + f[15] }
      END { for (p in ticks) { q = p; n = 0; while (q != root && q > 1 && n++ < 64) q = parent[q]; if (q == root) ours += ticks[p] }
            print t, busy, ours }')
    if [ -n "$prev" ]; then
      awk -v a="$prev" -v b="$now" -v hz="$hz" 'BEGIN { split(a, x, " "); split(b, y, " ")
        if (y[1] > x[1]) printf "%d,%.3f\n", y[1], ((y[2] - x[2]) - (y[3] - x[3])) / hz / (y[1] - x[1]) }' >>"$1"
    fi
    prev="$now"
  done
}

# measure_load NAME CPU_CSV MEMORY_CSV BENCH_COMMAND...: runs the load generator against server NAME
# while sampling its resident memory (the peak goes to MEMORY_CSV as NAME,load) and splitting the
# machine's CPU between the server, the load generator and everything else (CPU_CSV, in cores).
measure_load() {
  local name="$1" cpu_csv="$2" memory_csv="$3"; shift 3
  local pid peak_file cores
  pid="$(server_pid "$name")"
  peak_file="$(mktemp)"
  ( peak=0
    while kb=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [ -n "$kb" ]; do
      [ "$kb" -gt "$peak" ] && { peak=$kb; echo "$peak" >"$peak_file"; }
      sleep 0.2
    done ) &
  local sampler=$!
  show_command "$@" >>"$out/commands.txt"
  local t0 m0 p0 t1 m1 p1 bench_times
  t0=$(date +%s.%N); m0=$(machine_ticks); p0=$(process_ticks "$pid")
  bench_times=$( "$@" >/dev/null || exit 1; times )  # the subshell's children: the load generator
  t1=$(date +%s.%N); m1=$(machine_ticks); p1=$(process_ticks "$pid")
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  echo "$name,load,$(awk '{ printf "%.1f", $1 / 1024 }' "$peak_file")" >>"$memory_csv"
  rm -f "$peak_file"
  cores=$(getconf _NPROCESSORS_ONLN)
  # shellcheck disable=SC2086  # "busy total" pairs
  awk -v t="$(calc "$t1 - $t0")" -v hz="$(getconf CLK_TCK)" -v n="$cores" -v b="$(times_children_s <<<"$bench_times")" \
      -v p0="$p0" -v p1="$p1" -v m0="$m0" -v m1="$m1" 'BEGIN {
        split(m0, a, " "); split(m1, z, " ")
        busy = (z[1] - a[1]) / hz / t; server = (p1 - p0) / hz / t; bench = b / t
        print "wall_s,cores,busy_cores,server_cores,bench_cores,other_cores"
        printf "%.2f,%d,%.3f,%.3f,%.3f,%.3f\n", t, n, busy, server, bench, busy - server - bench
      }' >"$cpu_csv"
}

# profile_server NAME REPORT BENCH_COMMAND...: perf record (flat, 499 Hz) of server NAME while the
# load runs; REPORT gets the top shared objects and symbols.
profile_server() {
  local name="$1" report="$2"; shift 2
  local pid data
  pid="$(server_pid "$name")"
  data="$(mktemp)"
  show_command perf record -F 499 -p "<$name pid>" -o perf.data >>"$out/commands.txt"
  perf record -F 499 -p "$pid" -o "$data" 2>"$out/perf.log" &
  local perf_pid=$!
  sleep 0.5
  logged "$@" >/dev/null
  kill -INT "$perf_pid"
  wait "$perf_pid" || true
  # awk, not head: head would exit early, and perf report's SIGPIPE would fail the run (pipefail).
  {
    echo "# perf record -F 499 -p <detserve pid> during: $(show_command "$@")"
    echo "## by shared object"
    perf report -i "$data" --stdio --no-children --sort dso 2>/dev/null \
      | awk '!/^#/ && NF { sub(/[ \t]+$/, ""); if (n++ < 15) print }'
    echo "## by symbol (those perf could name)"
    perf report -i "$data" --stdio --no-children --sort dso,symbol 2>/dev/null \
      | awk '!/^#/ && NF && !/\[.\] 0x/ { sub(/[ \t-]+$/, ""); if (n++ < 15) print }'
  } >"$report"
  rm -f "$data"
}

# streams,batch,items_per_second of each BM_EngineForward run in a Google Benchmark JSON.
engine_csv() {
  echo "streams,batch,items_per_second"
  jq -r '.benchmarks[]
         | select(.name | startswith("BM_EngineForward/"))
         | select((.run_type // "iteration") == "iteration")
         | [(.name | capture("streams:(?<s>[0-9]+)").s | tonumber), (.name | capture("batch:(?<b>[0-9]+)").b | tonumber),
            .items_per_second] | @csv' "$1"
}

# streams,batch,items_per_second,start,end: the better of two engine_csv runs, and each.
engine_merge() {
  { engine_csv "$1" | awk -F, 'NR > 1 { print "s", $0 }'; engine_csv "$2" | awk -F, 'NR > 1 { print "e", $0 }'; } |
    awk -F'[ ,]' '{ key = $2 "," $3; v[$1, key] = $4; if (!(key in seen)) { seen[key] = 1; order[++n] = key } }
      END { print "streams,batch,items_per_second,start,end"
            for (i = 1; i <= n; i++) { k = order[i]; a = v["s", k]; b = v["e", k]
              printf "%s,%s,%s,%s\n", k, (a > b ? a : b), a, b } }'
}

# The best sustained throughput (ok / duration: see REPORT.md) of detserve's default configuration
# in a sweep.sh CSV.
sweep_saturation() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
           $col["label"] == "2 streams; batching on" || $col["label"] == "defaults" {
             if ($col["ok"] / $col["duration_s"] > best) best = $col["ok"] / $col["duration_s"] }
           END { if (best <= 0) exit 1; printf "%.3f\n", best }' "$1"
}
