#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 3, Performance: the client against wrk on the same signed UpdateItem (ALL_NEW) over
# DynamoDB Local. Run inside scripts/dynamodb-local.sh run -- bench/wrk/compare.sh BUILD_DIR
# (ZAE_TEST_DYNAMODB_ENDPOINT exported). zae_bench must include bench/dynamodb_bench.cc.
#
# Besides wrk's own report it prints wrk's CPU per request (user + system time of the wrk
# process, bash's `time`, divided by the requests it completed): the same measure as the
# client's client_cpu_us, so the two are side by side in one run. On loopback most of both is
# the kernel's TCP and scheduling work, which is the floor no client goes below.
set -euo pipefail
build="${1:?usage: compare.sh BUILD_DIR}"
: "${ZAE_TEST_DYNAMODB_ENDPOINT:?run under scripts/dynamodb-local.sh run --}"
script="$(mktemp --suffix=.lua)"
out="$(mktemp)"
wrk1="$(mktemp)"
wrk8="$(mktemp)"
client_before="$(mktemp)"
client="$(mktemp)"
trap 'rm -f "$script" "$out" "$wrk1" "$wrk8" "$client_before" "$client"' EXIT
# The client first: it creates the table and items, and writes its first signed request as a
# wrk script (wrk.method, wrk.body, wrk.headers; wrk adds Host, which matches the signed one).
# A first, unreported pass warms DynamoDB Local's JVM (several times slower on its first
# thousands of requests), so that the client is not measured against a colder server than wrk.
ZAE_BENCH_WRK_REQUEST="$script" "$build/bench/zae_bench" \
  --benchmark_filter="BM_DynamoDbUpdateItemAllNew/socket:1/real_time/threads:1" \
  --benchmark_min_time="${WARMUP_TIME:-5}" >/dev/null
"$build/bench/zae_bench" \
  --benchmark_filter="${FILTER:-BM_DynamoDbUpdateItemAllNew}" --benchmark_min_time="${MIN_TIME:-3}" \
  | tee "$client_before"

# wrk with its CPU time: prints wrk's report, then "wrk_cpu_us_per_request=..." .
run_wrk() {
  local TIMEFORMAT='%U %S'
  local cpu
  { cpu=$( { time wrk "$@" -s "$script" "$ZAE_TEST_DYNAMODB_ENDPOINT/" >"$out"; } 2>&1 ); }
  cat "$out"
  local requests
  requests=$(awk '/requests in/ {print $1}' "$out")
  awk -v cpu="$cpu" -v n="$requests" 'BEGIN {
    split(cpu, t, " "); printf "wrk_cpu_us_per_request=%.1f (user %.1f, sys %.1f, %d requests)\n",
      (t[1] + t[2]) * 1e6 / n, t[1] * 1e6 / n, t[2] * 1e6 / n, n }'
}

echo "== wrk: 1 connection (p50 against the client's p50_us, threads:1)"
run_wrk -t1 -c1 -d"${DURATION:-10}s" --latency | tee "$wrk1"
echo "== wrk: 8 connections (Requests/sec against the client's items_per_second, threads:8)"
run_wrk -t8 -c8 -d"${DURATION:-10}s" --latency | tee "$wrk8"
# The client once more, last: against the first run it shows how far the server drifted
# (usually faster) while wrk ran.
echo "== client again (drift check)"
"$build/bench/zae_bench" \
  --benchmark_filter="${FILTER:-BM_DynamoDbUpdateItemAllNew}" --benchmark_min_time="${MIN_TIME:-3}" \
  | tee "$client"

# The ratios: wrk against the mean of the client runs just before and just after it, so
# that the server's drift during the script cancels. Google Benchmark prints counters with k/M
# suffixes, wrk latencies in us/ms/s.
ratios() {
  awk -v wrk1="$wrk1" -v wrk8="$wrk8" '
    function num(text,   v) {  # "1.2k", "3.4k/s", "512.3" -> number
      sub(/\/s$/, "", text); v = text + 0
      if (text ~ /k$/) v *= 1e3; else if (text ~ /M$/) v *= 1e6
      return v
    }
    function counter(line, name,   i, n, parts, kv) {
      n = split(line, parts, " ")
      for (i = 1; i <= n; i++) if (index(parts[i], name "=") == 1) return num(substr(parts[i], length(name) + 2))
      return -1
    }
    function micros(text,   v) {  # wrk: "476.00us", "3.26ms", "1.02s"
      v = text + 0
      if (text ~ /ms$/) v *= 1e3; else if (text ~ /us$/) v *= 1; else if (text ~ /s$/) v *= 1e6
      return v
    }
    # Each file has one line per benchmark: the sums over both files are twice the means.
    /AllNew\/socket:1\/real_time\/threads:1 / {
      p50 += counter($0, "p50_us") / 2; cpu += counter($0, "client_cpu_us") / 2; n1++
    }
    /AllNew\/socket:1\/real_time\/threads:8 / { ops8 += counter($0, "items_per_second") / 2; n8++ }
    END {
      if (n1 != 2) p50 = cpu = 0
      if (n8 != 2) ops8 = 0
      while ((getline line < wrk1) > 0) if (line ~ /^ +50%/) { split(line, f, " "); wrk_p50 = micros(f[2]) }
      while ((getline line < wrk8) > 0) if (line ~ /^Requests\/sec:/) { split(line, f, " "); wrk_ops8 = f[2] + 0 }
      if (p50 > 0 && wrk_p50 > 0) printf "ratio p50 client/wrk = %.2f (%.0f vs %.0f us; target <= 1.10)\n", p50 / wrk_p50, p50, wrk_p50
      if (ops8 > 0 && wrk_ops8 > 0) printf "ratio 8 threads client/wrk = %.2f (%.0f vs %.0f /s; target >= 0.90)\n", ops8 / wrk_ops8, ops8, wrk_ops8
      if (cpu > 0) printf "client CPU per call = %.1f us (target <= 30)\n", cpu
    }' "$client_before" "$client"
}
echo "== the issue's ratios (wrk against the mean of the client runs before and after it)"
ratios
