#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Issue 3, Performance: the client against wrk on the same signed UpdateItem (ALL_NEW) over
# DynamoDB Local. Run inside scripts/dynamodb-local.sh run -- bench/wrk/compare.sh BUILD_DIR
# (ZAE_TEST_DYNAMODB_ENDPOINT exported). zae_bench must include bench/dynamodb_bench.cc.
set -euo pipefail
build="${1:?usage: compare.sh BUILD_DIR}"
: "${ZAE_TEST_DYNAMODB_ENDPOINT:?run under scripts/dynamodb-local.sh run --}"
script="$(mktemp --suffix=.lua)"
trap 'rm -f "$script"' EXIT
# The client first: it creates the table and items, and writes its first signed request as a
# wrk script (wrk.method, wrk.body, wrk.headers; wrk adds Host, which matches the signed one).
ZAE_BENCH_WRK_REQUEST="$script" "$build/bench/zae_bench" \
  --benchmark_filter='BM_DynamoDbUpdateItemAllNew' --benchmark_min_time="${MIN_TIME:-3}"
echo "== wrk: 1 connection (p50 against the client's p50_us, threads:1)"
wrk -t1 -c1 -d"${DURATION:-10}s" --latency -s "$script" "$ZAE_TEST_DYNAMODB_ENDPOINT/"
echo "== wrk: 8 connections (Requests/sec against the client's items_per_second, threads:8)"
wrk -t8 -c8 -d"${DURATION:-10}s" --latency -s "$script" "$ZAE_TEST_DYNAMODB_ENDPOINT/"
