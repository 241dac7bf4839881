#!/usr/bin/env bash
# Issue 11 H4, end to end: the packaged app, started with a 128 MiB heap, refuses the probe's matrix
# bomb (8 keys x 10 values: 10^8 combinations in 338 bytes) with 422 and the matrix's path, keeps
# answering, and has stored nothing. Before the fix it expanded all 10^8 ids first (38.8 s, 6.5 GB RSS).
# Prints the time the refusal took (docs/benchmarks.md records it).
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib.sh
pick_jdk

APP=backend/target/quarkus-app/quarkus-run.jar
HOME_DIR=$(mktemp -d /tmp/trainyard-e2e-limits.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
API=http://127.0.0.1:$PORT/api/v1
PID=""

cleanup() {
  stop_pid "$PID"
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  tail -n 40 "$HOME_DIR/app.log" >&2 || true
  echo "e2e-spec-limits: 0 passed, 1 failed"
  exit 1
}

[ -f "$APP" ] || fail "$APP is missing: package the app first (./mvnw -B -DskipTests package)"
"$JAVA_HOME/bin/java" -Xmx128m -XX:+ExitOnOutOfMemoryError -Dquarkus.http.port="$PORT" \
  -Dtrainyard.temporal.embedded-port=0 -Dtrainyard.home="$HOME_DIR" -jar "$APP" >"$HOME_DIR/app.log" 2>&1 &
PID=$!
await_ready "$PORT" "$PID" || fail "the app did not become ready with -Xmx128m"
AUTH="Authorization: Bearer $(cat "$HOME_DIR/local-token")"

KEYS=""
for k in 0 1 2 3 4 5 6 7; do KEYS="$KEYS${KEYS:+, }k$k: [0,1,2,3,4,5,6,7,8,9]"; done
BOMB=$(printf 'apiVersion: trainyard/v1\nkind: Pipeline\nname: bomb\nsteps:\n  - id: work\n    kind: command\n    run: echo ${{ matrix.k0 }}\n    matrix: {%s}\n' "$KEYS")
echo "bomb: ${#BOMB} bytes"

START=$(date +%s%N)
STATUS=$(curl -s -o "$HOME_DIR/answer.json" -w '%{http_code}' -X POST "$API/templates" -H "$AUTH" \
  -H 'Content-Type: application/yaml' --data-binary "$BOMB")
MILLIS=$(( ($(date +%s%N) - START) / 1000000 ))
[ "$STATUS" = 422 ] || fail "the bomb got $STATUS, expected 422: $(cat "$HOME_DIR/answer.json")"
grep -q '"path":"steps\[0\].matrix"' "$HOME_DIR/answer.json" || fail "no problem at steps[0].matrix: $(cat "$HOME_DIR/answer.json")"
kill -0 "$PID" 2>/dev/null || fail "the app died"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$API/templates/bomb")" = 404 ] || fail "a template was stored"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$API/runs")" = 200 ] || fail "the app stopped answering"
START=$(date +%s%N)
STATUS=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/templates" -H "$AUTH" -H 'Content-Type: application/yaml' --data-binary "$BOMB")
AGAIN=$(( ($(date +%s%N) - START) / 1000000 ))
[ "$STATUS" = 422 ] || fail "the second bomb got $STATUS, expected 422"
echo "the matrix bomb was refused with 422 in $MILLIS ms (first request after start), $AGAIN ms the second time, by a backend with -Xmx128m"
echo "e2e-spec-limits: 1 passed, 0 failed"
