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
trap 'rm -f "$script" "$out"' EXIT
# The client first: it creates the table and items, and writes its first signed request as a
# wrk script (wrk.method, wrk.body, wrk.headers; wrk adds Host, which matches the signed one).
# A first, unreported pass warms DynamoDB Local's JVM (several times slower on its first
# thousands of requests), so that the client is not measured against a colder server than wrk.
ZAE_BENCH_WRK_REQUEST="$script" "$build/bench/zae_bench" \
  --benchmark_filter="BM_DynamoDbUpdateItemAllNew/socket:1/real_time/threads:1" \
  --benchmark_min_time="${WARMUP_TIME:-5}" >/dev/null
"$build/bench/zae_bench" \
  --benchmark_filter="${FILTER:-BM_DynamoDbUpdateItemAllNew}" --benchmark_min_time="${MIN_TIME:-3}"

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
run_wrk -t1 -c1 -d"${DURATION:-10}s" --latency
echo "== wrk: 8 connections (Requests/sec against the client's items_per_second, threads:8)"
run_wrk -t8 -c8 -d"${DURATION:-10}s" --latency
# The client once more, last: against the first run it shows how far the server drifted
# (usually faster) while wrk ran.
echo "== client again (drift check)"
"$build/bench/zae_bench" \
  --benchmark_filter="${FILTER:-BM_DynamoDbUpdateItemAllNew}" --benchmark_min_time="${MIN_TIME:-3}"
