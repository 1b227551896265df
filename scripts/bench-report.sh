#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Regenerates the "Full run" section of docs/benchmarks.md: `zae-limiter bench` against a fresh
# DynamoDB Local (pinned in tools/dynamodb-local) and against an SQLite file, at 1 and 8 threads,
# with the machine it ran on. Everything between the section's two marker lines is replaced.
#
#   scripts/bench-report.sh [BUILD_DIR]        (default build/; run `make build` first)
#
# Environment: BENCH_OPS (timed operations per scenario, default 2000), BENCH_WARMUP (seconds of
# untimed warm acquires before the first row, default 20), BENCH_THREADS (default "1 8").
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
cli="$build/src/cli/zae-limiter"
doc=docs/benchmarks.md
begin='<!-- bench-report:begin (scripts/bench-report.sh rewrites this section) -->'
end='<!-- bench-report:end -->'
ops=${BENCH_OPS:-2000}
warmup=${BENCH_WARMUP:-20}
threads=${BENCH_THREADS:-1 8}

if [[ ! -x "$cli" ]]; then
  echo "bench-report: $cli is missing; run 'make build' first" >&2
  exit 1
fi
if ! grep -qF -- "$begin" "$doc" || ! grep -qF -- "$end" "$doc"; then
  echo "bench-report: $doc lacks the section markers" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

thread_flags=()
for t in $threads; do
  thread_flags+=(--threads "$t")
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# A fresh JVM per run: DynamoDB Local slows down after long heavy use.
scripts/dynamodb-local.sh run -- sh -c \
  "'$cli' bench --endpoint-url \"\$ZAE_TEST_DYNAMODB_ENDPOINT\" --name bench-report \
     --ops $ops --warmup $warmup ${thread_flags[*]} --json '$work/dynamodb.json'" \
  >"$work/dynamodb.txt" 2>"$work/dynamodb.err" || {
  cat "$work/dynamodb.err" >&2
  exit 1
}
"$cli" bench --store "sqlite://$work/bench.db" --ops "$ops" --warmup 2 "${thread_flags[@]}" \
  --json "$work/sqlite.json" >"$work/sqlite.txt" 2>"$work/sqlite.err" || {
  cat "$work/sqlite.err" >&2
  exit 1
}
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "$begin"
  echo
  echo "Generated $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "on $(nproc) × ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
  echo "load average ${load_before} before and ${load_after} after. Command:"
  echo "\`scripts/bench-report.sh\` (BENCH_OPS=$ops, BENCH_WARMUP=$warmup s, threads: $threads)."
  echo
  echo "DynamoDB Local 2.6.1 on loopback (fresh JVM, ${warmup} s of warm acquires first):"
  echo
  echo '```'
  cat "$work/dynamodb.txt"
  echo '```'
  echo
  echo "SQLite file (WAL):"
  echo
  echo '```'
  cat "$work/sqlite.txt"
  echo '```'
  echo
  echo "$end"
} >"$work/section.md"

awk -v begin="$begin" -v end="$end" -v section="$work/section.md" '
  $0 == begin { while ((getline line < section) > 0) print line; skipping = 1; next }
  $0 == end { skipping = 0; next }
  !skipping { print }
' "$doc" >"$work/doc.md"
cp "$work/doc.md" "$doc"
echo "bench-report: rewrote the full-run section of $doc"
