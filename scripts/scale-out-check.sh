#!/usr/bin/env bash
# Scale-out check: two detserve replicas behind nginx on loopback; one is stopped mid-load.
#
#   scripts/scale-out-check.sh [--binary PATH] [--model PATH] [--samples DIR]
#                              [--concurrency N] [--requests N] [--keep]
#
# 1. Starts two `detserve serve --host 127.0.0.1 --port 0` replicas (A and B) on the default model
#    and waits for their /readyz.
# 2. Starts Debian's nginx (not as a daemon, everything in a temp dir) with deploy/nginx/detserve.conf
#    as it is, only its upstream `server` lines pointed at A and B and `listen` at a free port.
# 3. --concurrency curl loops (default 8) POST darknet's photos through nginx, --requests each
#    (default 12); every answer must be 200, carry the request's X-Request-Id and the photo's label.
# 4. Once a third of the requests are answered and A has work in flight, A gets SIGTERM: it answers
#    what it holds and exits; nginx sends the rest (and retries what A refused) to B.
# 5. Checks: no request failed, every answer correct, both replicas answered (their access logs,
#    and B's /metrics detserve_http_requests_total), A's and B's answers add up to the requests,
#    A exited 0 after its drain, B still ready; then B is stopped the same way and must exit 0.
#
# Environment: DETSERVE_MODEL (default models/nanodet/nanodet.xml), DETSERVE_SAMPLES_DIR (default:
# scripts/fetch-sample-images.sh). Needs nginx (Debian: nginx-light) and curl. Exit status 0 when
# every check passes, 1 otherwise; the temp dir with every log is kept on failure (or --keep).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# The label each photo's answer must contain: the converted NanoDet's top detections on darknet's
# sample photos (scream.jpg has none it detects, so it is left out).
declare -A EXPECTED_LABEL=(
  [dog.jpg]=dog [person.jpg]=person [horses.jpg]=horse
  [giraffe.jpg]=giraffe [kite.jpg]=kite [eagle.jpg]=bird
)
NGINX_CONF_SOURCE="$DETSERVE_ROOT/deploy/nginx/detserve.conf"
READY_TIMEOUT_S=240        # model load + warm-up, on a machine that may be busy
REQUEST_TIMEOUT_S=120      # curl --max-time per request
# Replica settings: one stream each (two replicas share this machine's cores), the access log for
# counting, and a drain long enough for a slow machine.
REPLICA_ARGS=(--host 127.0.0.1 --port 0 --streams 1 --threads 1 --access-log --shutdown-timeout-ms 30000)

binary="$DETSERVE_BIN"
model="${DETSERVE_MODEL:-$DETSERVE_DEFAULT_MODEL}"
samples="${DETSERVE_SAMPLES_DIR:-}"
concurrency=8
per_loop=12
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --binary|--model|--samples|--concurrency|--requests)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --binary) binary="$2" ;; --model) model="$2" ;; --samples) samples="$2" ;;
        --concurrency) concurrency="$2" ;; --requests) per_loop="$2" ;;
      esac
      shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ "$concurrency" =~ ^[1-9][0-9]*$ ]] || die "--concurrency: expected a positive integer, got '$concurrency'"
[[ "$per_loop" =~ ^[1-9][0-9]*$ ]] || die "--requests: expected a positive integer, got '$per_loop'"
case "$model" in /*) ;; *) model="$DETSERVE_ROOT/$model" ;; esac
[ -x "$binary" ] || die "$binary not found: run scripts/build.sh (or pass --binary)"
[ -f "$model" ] || die "model $model not found: run scripts/fetch-default-model.sh"
[ -f "$NGINX_CONF_SOURCE" ] || die "$NGINX_CONF_SOURCE not found"
nginx_bin="$(command -v nginx || true)"
[ -n "$nginx_bin" ] || { [ -x /usr/sbin/nginx ] && nginx_bin=/usr/sbin/nginx; } \
  || die "nginx not found: install Debian's nginx-light (scripts/install-deps.sh test)"
command -v curl >/dev/null 2>&1 || die "curl not found"
[ -n "$samples" ] || samples="$(bash "$DETSERVE_ROOT/scripts/fetch-sample-images.sh")"
photos=()
for name in "${!EXPECTED_LABEL[@]}"; do
  [ -f "$samples/$name" ] || die "sample photo $samples/$name not found (scripts/fetch-sample-images.sh)"
  photos+=("$name")
done
mapfile -t photos < <(printf '%s\n' "${photos[@]}" | sort)
total=$(( concurrency * per_loop ))

# --- processes and clean-up -------------------------------------------------------------------------
tmp="$(mktemp -d "${TMPDIR:-/tmp}/detserve-scale-out.XXXXXX")"
chmod 755 "$tmp"           # nginx's workers (nobody, when run as root) use temp dirs below it
declare -A pid=()          # name → pid of what this script started
load_pids=()
failures=()
cleanup() {
  local status=$? name
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for name in "${!pid[@]}"; do kill -TERM "${pid[$name]}" 2>/dev/null || true; done
  for name in "${!pid[@]}"; do wait "${pid[$name]}" 2>/dev/null || true; done
  if [ "$status" -ne 0 ] || [ "${#failures[@]}" -gt 0 ] || [ "$keep" = 1 ]; then
    info "logs kept in $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { failures+=("$*"); printf '    FAIL %s\n' "$*" >&2; }

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true; }

# Waits until the process is gone; its exit status in $exit_status ("timeout" if it lingers).
wait_exit() {   # wait_exit NAME SECONDS
  local name="$1" deadline=$(( $(date +%s) + $2 ))
  while kill -0 "${pid[$name]}" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || { exit_status=timeout; return; }
    sleep 0.2
  done
  exit_status=0
  wait "${pid[$name]}" || exit_status=$?
  unset "pid[$name]"
}

# Value of detserve_http_requests_total{route="/v1/detect",code="200"} (0 when absent).
detect_200_from_metrics() {
  curl -s --max-time 10 "http://127.0.0.1:$1/metrics" \
    | awk '/^detserve_http_requests_total\{/ && /route="\/v1\/detect"/ && /code="200"/ { n += $NF } END { print n + 0 }'
}
in_flight_from_metrics() {
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null \
    | awk '/^detserve_requests_in_flight / { print $2 + 0; found = 1 } END { if (!found) print 0 }'
}
access_log_200() { grep -c '"POST /v1/detect" 200 ' "$1" || true; }

# --- 1. two replicas --------------------------------------------------------------------------------
step "start replicas A and B (${binary#"$DETSERVE_ROOT"/} serve ${REPLICA_ARGS[*]})"
info "model $model"
declare -A port=()
for r in A B; do
  # From the repository root, so that web_root's default (web/) resolves as in the image.
  (cd "$DETSERVE_ROOT" && exec "$binary" serve "${REPLICA_ARGS[@]}" --model "$model") >"$tmp/replica-$r.log" 2>&1 &
  pid[$r]=$!
done
for r in A B; do
  deadline=$(( $(date +%s) + 30 ))
  until port[$r]="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/replica-$r.log" | head -1)" \
        && [ -n "${port[$r]}" ]; do
    kill -0 "${pid[$r]}" 2>/dev/null || die "replica $r exited at start: $(tail -5 "$tmp/replica-$r.log")"
    [ "$(date +%s)" -lt "$deadline" ] || die "replica $r did not say where it listens within 30 s: $tmp/replica-$r.log"
    sleep 0.2
  done
done
for r in A B; do
  deadline=$(( $(date +%s) + READY_TIMEOUT_S ))
  until [ "$(http_code "http://127.0.0.1:${port[$r]}/readyz")" = 200 ]; do
    kill -0 "${pid[$r]}" 2>/dev/null || die "replica $r exited before ready: $(tail -5 "$tmp/replica-$r.log")"
    [ "$(date +%s)" -lt "$deadline" ] || die "replica $r not ready within ${READY_TIMEOUT_S} s: $tmp/replica-$r.log"
    sleep 0.5
  done
  info "replica $r: pid ${pid[$r]}, http://127.0.0.1:${port[$r]}, ready"
done

# --- 2. nginx in front ---------------------------------------------------------------------------
step "start nginx ($nginx_bin) with ${NGINX_CONF_SOURCE#"$DETSERVE_ROOT"/}"
ngx="$tmp/nginx"
mkdir -p "$ngx"
chmod 755 "$ngx"

# deploy/nginx/detserve.conf with the upstream's server lines pointed at A and B (their parameters
# kept) and `listen` on loopback; everything else exactly as shipped.
render_site_conf() {   # render_site_conf LISTEN_PORT > file
  awk -v a="127.0.0.1:${port[A]}" -v b="127.0.0.1:${port[B]}" -v listen_port="$1" '
    /^[ \t]*upstream[ \t]/ { in_upstream = 1 }
    in_upstream && /^[ \t]*}/ { in_upstream = 0 }
    in_upstream && /^[ \t]*server[ \t]+[^ \t;]+/ {
      servers++
      if (servers > 2) next
      match($0, /server[ \t]+[^ \t;]+/)
      print substr($0, 1, RSTART - 1) "server " (servers == 1 ? a : b) substr($0, RSTART + RLENGTH)
      next
    }
    /^[ \t]*listen[ \t]/ { sub(/listen[ \t]+[^;]+;/, "listen 127.0.0.1:" listen_port ";"); listens++ }
    { print }
    END { if (servers < 1 || listens != 1) exit 3 }
  ' "$NGINX_CONF_SOURCE"
}
run_user=""
if is_root; then
  # nginx started by root runs its workers as another user; name it instead of relying on the
  # compiled-in default.
  run_user="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
fi

# A loopback port nothing listens on now (nginx cannot be given port 0); retried if taken meanwhile.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free loopback port found"
}
nginx_port=""
for attempt in 1 2 3; do
  candidate="$(free_port)"
  render_site_conf "$candidate" >"$ngx/detserve.conf" \
    || die "${NGINX_CONF_SOURCE#"$DETSERVE_ROOT"/} no longer has an 'upstream { server …; }' block and one 'listen' line: update render_site_conf in $0"
  cat >"$ngx/nginx.conf" <<EOF
# Generated by scripts/scale-out-check.sh: a private nginx around deploy/nginx/detserve.conf.
$run_user
worker_processes 2;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path $ngx/client_body;
    proxy_temp_path $ngx/proxy;
    fastcgi_temp_path $ngx/fastcgi;
    uwsgi_temp_path $ngx/uwsgi;
    scgi_temp_path $ngx/scgi;
    # Request id, status, the replica(s) tried and their answers, seconds.
    log_format scaleout '\$http_x_request_id \$status "\$upstream_addr" "\$upstream_status" \$request_time';
    access_log $ngx/access.log scaleout;
    include $ngx/detserve.conf;
}
EOF
  "$nginx_bin" -t -q -p "$ngx" -e "$ngx/error.log" -c "$ngx/nginx.conf" 2>"$ngx/config-test.log" \
    || die "nginx rejects the generated config: $(cat "$ngx/config-test.log")"
  "$nginx_bin" -p "$ngx" -e "$ngx/error.log" -c "$ngx/nginx.conf" -g 'daemon off;' 2>>"$ngx/stderr.log" &
  pid[nginx]=$!
  deadline=$(( $(date +%s) + 15 ))
  while kill -0 "${pid[nginx]}" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
    [ "$(http_code "http://127.0.0.1:$candidate/healthz")" = 200 ] && { nginx_port="$candidate"; break; }
    sleep 0.2
  done
  [ -n "$nginx_port" ] && break
  kill -TERM "${pid[nginx]}" 2>/dev/null || true
  wait "${pid[nginx]}" 2>/dev/null || true
  unset "pid[nginx]"
  warn "nginx did not come up on port $candidate (attempt $attempt): $(tail -2 "$ngx/error.log" 2>/dev/null)"
done
[ -n "$nginx_port" ] || die "nginx did not start: $ngx/error.log"
url="http://127.0.0.1:$nginx_port/v1/detect"
info "nginx: pid ${pid[nginx]}, http://127.0.0.1:$nginx_port → A :${port[A]}, B :${port[B]}"

# --- 3. load through nginx ----------------------------------------------------------------------
step "load: $concurrency curl loops × $per_loop requests = $total, photos ${photos[*]}"
mkdir -p "$tmp/answers"
# One line per request: "<id> <photo> <http status> <verdict>".
load_loop() {   # load_loop K
  local k="$1" i photo id code verdict body
  for (( i = 1; i <= per_loop; i++ )); do
    photo="${photos[$(( (k + i) % ${#photos[@]} ))]}"
    id="scale-$k-$i"
    body="$tmp/answers/$id.json"
    code="$(curl -s -o "$body" -w '%{http_code}' --max-time "$REQUEST_TIMEOUT_S" \
              -H "X-Request-Id: $id" -H 'Content-Type: image/jpeg' \
              --data-binary "@$samples/$photo" "$url" 2>/dev/null)" || code="${code:-000}"
    if [ "$code" != 200 ]; then verdict="http_$code"
    elif ! grep -qF "\"request_id\":\"$id\"" "$body"; then verdict=wrong_request_id
    elif ! grep -qF "\"label\":\"${EXPECTED_LABEL[$photo]}\"" "$body"; then verdict="no_${EXPECTED_LABEL[$photo]}"
    else verdict=ok; fi
    echo "$id $photo $code $verdict" >>"$tmp/results-$k.txt"
  done
}
answered() { cat "$tmp"/results-*.txt 2>/dev/null | wc -l; }

t_start=$(date +%s.%N)
for (( k = 0; k < concurrency; k++ )); do
  : >"$tmp/results-$k.txt"
  load_loop "$k" &
  load_pids+=($!)
done

# --- 4. stop A mid-run ----------------------------------------------------------------------------
stop_after=$(( total / 3 ))
info "SIGTERM to A once $stop_after requests are answered, both replicas have answered and A has work in flight"
a_in_flight=0
deadline=""
while :; do
  n="$(answered)"
  if [ "$n" -ge "$stop_after" ] && [ "$(access_log_200 "$tmp/replica-A.log")" -ge 1 ] \
     && [ "$(access_log_200 "$tmp/replica-B.log")" -ge 1 ]; then
    [ -n "$deadline" ] || deadline=$(( $(date +%s) + 30 ))
    a_in_flight="$(in_flight_from_metrics "${port[A]}")"
    [ "$a_in_flight" -ge 1 ] && break
    [ "$(date +%s)" -lt "$deadline" ] || { warn "A had nothing in flight for 30 s; stopping it anyway"; break; }
  fi
  [ "$n" -lt "$total" ] || break
  sleep 0.1
done
answered_at_stop="$(answered)"
kill -TERM "${pid[A]}"
t_stop=$(date +%s.%N)
info "SIGTERM → A after $answered_at_stop/$total answers ($a_in_flight in flight on A)"

wait_exit A 60
a_exit="$exit_status"
info "A exited: status $a_exit"
for p in "${load_pids[@]}"; do wait "$p" || true; done
load_pids=()
t_end=$(date +%s.%N)

# --- 5. checks ----------------------------------------------------------------------------------
step "checks"
cat "$tmp"/results-*.txt >"$tmp/results.txt"
n_results="$(wc -l <"$tmp/results.txt")"
n_ok="$(awk '$4 == "ok"' "$tmp/results.txt" | wc -l)"
n_bad=$(( total - n_ok ))
if [ "$n_results" -ne "$total" ]; then fail "$n_results of $total requests recorded"; fi
if [ "$n_ok" -ne "$total" ]; then
  fail "$n_bad of $total requests failed or were answered wrongly:"
  awk '$4 != "ok" { print "        " $0 }' "$tmp/results.txt" | head -10 >&2
  awk '$4 != "ok" { n[$4]++ } END { for (k in n) printf "        %s × %d\n", k, n[k] }' "$tmp/results.txt" >&2
fi
[ "$answered_at_stop" -lt "$total" ] || fail "A was stopped after the load ended, not mid-run"

# B writes an answer's access-log line and its metrics just after the answer itself: read its
# metrics after a moment, then stop it (a graceful stop finishes those writes) before reading its log.
sleep 0.5
b_metrics="$(detect_200_from_metrics "${port[B]}")"
[ "$(http_code "http://127.0.0.1:${port[B]}/readyz")" = 200 ] || fail "replica B is not ready after the run"
# nginx's per-client limits (limit_req 50 r/s, burst 100, limit_conn 64 → 429): a burst of 300
# quick requests from this one address is partly refused by nginx itself, then, once the bucket has
# refilled, the client is answered again (a probe, so that the detection counts below stay exact).
step "per-client limits at nginx: 300 requests at once"
limit_codes="$(curl -s -o /dev/null -w '%{http_code}\n' --parallel --parallel-max 50 \
                 "http://127.0.0.1:$nginx_port/healthz?burst=[1-300]" 2>/dev/null | sort | uniq -c | tr -s ' ' | tr '\n' ',')"
info "answers: ${limit_codes%,} (count code)"
grep -q ' 429,' <<<"$limit_codes" || fail "a burst of 300 requests from one address got no 429 from nginx's limit_req"
grep -qE ' 5[0-9][0-9],' <<<"$limit_codes" && fail "the burst got 5xx answers: $limit_codes"
sleep 2.5
after_burst="$(http_code "http://127.0.0.1:$nginx_port/healthz")"
[ "$after_burst" = 200 ] || fail "after the burst, GET /healthz through nginx answered $after_burst, expected 200"

step "stop B"
kill -TERM "${pid[B]}"
wait_exit B 60
[ "$exit_status" = 0 ] || fail "replica B exited with status $exit_status after SIGTERM, expected 0"
a_200="$(access_log_200 "$tmp/replica-A.log")"
b_200="$(access_log_200 "$tmp/replica-B.log")"
# Answers A wrote after it logged the SIGTERM: the requests it held when told to stop.
a_drained="$(awk '/SIGTERM: no new connections/ { after = 1 } after && /"POST \/v1\/detect" 200 / { n++ } END { print n + 0 }' "$tmp/replica-A.log")"
a_refused="$(grep -c '"POST /v1/detect" 503 ' "$tmp/replica-A.log" || true)"
[ "$a_200" -ge 1 ] || fail "replica A answered no request"
[ "$b_200" -ge 1 ] || fail "replica B answered no request"
[ $(( a_200 + b_200 )) -eq "$total" ] \
  || fail "the replicas answered $a_200 + $b_200 = $(( a_200 + b_200 )) detections with 200, expected one per request ($total)"
[ "$b_metrics" -eq "$b_200" ] \
  || fail "B's /metrics counts $b_metrics POST /v1/detect 200 answers, its access log $b_200"
if [ "$a_in_flight" -ge 1 ] && [ "$a_drained" -lt 1 ]; then
  fail "A had $a_in_flight request(s) in flight at SIGTERM but answered none after it (dropped, and retried by nginx?)"
fi
[ "$a_exit" = 0 ] || fail "replica A exited with status $a_exit after SIGTERM, expected 0 (graceful drain)"
grep -q 'SIGTERM: no new connections' "$tmp/replica-A.log" || fail "replica A's log does not show the SIGTERM drain"
grep -q 'detserve: stopped' "$tmp/replica-A.log" || fail "replica A's log does not end with 'stopped'"
# nginx's view: requests that needed a second replica, and what the first one said.
retried="$(awk -F'"' '$2 ~ /,/' "$ngx/access.log" | wc -l)"
first_answers="$(awk -F'"' '$2 ~ /,/ { split($4, s, /, /); n[s[1]]++ } END { for (k in n) { printf "%s%s×%d", sep, k, n[k]; sep = " " } }' "$ngx/access.log")"
nginx_5xx="$(awk '$2 ~ /^5/' "$ngx/access.log" | wc -l)"
[ "$nginx_5xx" -eq 0 ] || fail "nginx answered $nginx_5xx requests with 5xx (see $ngx/access.log)"

seconds="$(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.1f", b - a }')"
stop_at="$(awk -v a="$t_start" -v b="$t_stop" 'BEGIN { printf "%.1f", b - a }')"
step "summary"
info "requests   $total through nginx ($concurrency loops × $per_loop) in $seconds s: $n_ok answered 200 with their id and expected label, $n_bad failed"
info "replica A  $a_200 answered: $(( a_200 - a_drained )) before SIGTERM (at ${stop_at} s, $a_in_flight in flight), $a_drained while draining; $a_refused refused with 503 while draining; exit $a_exit"
info "replica B  $b_200 answered (its /metrics: $b_metrics)"
retry_note=""
[ -z "$first_answers" ] || retry_note=" (status from the first replica tried: $first_answers)"
info "nginx      $retried request(s) retried on the other replica$retry_note; 5xx to clients: $nginx_5xx"
if [ "${#failures[@]}" -gt 0 ]; then
  printf '\nscale-out check: %d check(s) failed:\n' "${#failures[@]}" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
step "ok: every request answered correctly, both replicas served, A drained and exited 0"
