#!/usr/bin/env bash
# End to end, as a user would see it: local mode is killed with SIGKILL mid-run and started again.
# The token of the first start still works. The run in flight continues by itself (marked
# INTERRUPTED, then retried from its failed steps): the steps that had finished are not executed
# again (their attempt counts stay at 1), and the audit log names the automatic retry. Uses the
# packaged app and its own home dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib.sh
pick_jdk

APP=backend/target/quarkus-app/quarkus-run.jar
HOME_DIR=$(mktemp -d /tmp/trainyard-e2e.XXXXXX)
PORT=18080
API=http://127.0.0.1:$PORT/api/v1
PID=""

cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- last app log ---" >&2
  tail -n 60 "$HOME_DIR"/app-*.log >&2 || true
  echo "e2e-local-restart: 0 passed, 1 failed"
  exit 1
}

start() {
  "$JAVA_HOME/bin/java" -Dquarkus.http.port=$PORT -Dtrainyard.temporal.embedded-port=17233 \
    -Dtrainyard.home="$HOME_DIR" -jar "$APP" >"$HOME_DIR/app-$1.log" 2>&1 &
  PID=$!
  await_ready "$PORT" "$PID" || fail "the app did not become ready ($1: exited, or not within 120 s)"
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
auth() { echo "Authorization: Bearer $(cat "$HOME_DIR/local-token")"; }
run_field() { curl -fs -H "$(auth)" "$API/runs/$RUN" | json "$1"; }

wait_for() { # expression expected timeout_s
  for _ in $(seq 1 $(($3 * 4))); do
    [ "$(run_field "$1")" = "$2" ] && return 0
    sleep 0.25
  done
  fail "waited $3 s for $1 == $2; it is $(run_field "$1")"
}

start first
[ "$(curl -s -o /dev/null -w '%{http_code}' "$API/runs")" = 401 ] || fail "the API answered without the local token"
RUN=$(curl -fs -X POST "$API/runs" -H "$(auth)" -H 'Content-Type: application/json' \
  -d '{"template": "hello", "params": {"pause_seconds": 30}}' | json "d['id']")
echo "launched $RUN"
wait_for "[s['status'] for s in d['steps'] if s['id'] == 'greet'][0]" SUCCEEDED 60
wait_for "[s['status'] for s in d['steps'] if s['id'] == 'shard-0'][0]" RUNNING 60

echo "kill -9 of the local-mode process (pid $PID)"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=""

TOKEN_BEFORE=$(cat "$HOME_DIR/local-token")
start second
[ "$(cat "$HOME_DIR/local-token")" = "$TOKEN_BEFORE" ] || fail "the local token changed across the restart"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_BEFORE" "$API/runs")" = 200 ] \
  || fail "the token of the first start was refused after the restart"
echo "after restart: the first start's token still works"
grep -q "marked INTERRUPTED, resuming them now" "$HOME_DIR/app-second.log" || fail "the run was not marked INTERRUPTED"
wait_for "d['status']" SUCCEEDED 120
GREET_ATTEMPTS=$(run_field "[len(s['attempts']) for s in d['steps'] if s['id'] == 'greet'][0]")
GREET_STATUS=$(run_field "[s['status'] for s in d['steps'] if s['id'] == 'greet'][0]")
SHARD_ATTEMPTS=$(run_field "[len(s['attempts']) for s in d['steps'] if s['id'] == 'shard-0'][0]")
[ "$GREET_ATTEMPTS" = 1 ] && [ "$GREET_STATUS" = REUSED ] || fail "greet re-ran: $GREET_ATTEMPTS attempts, $GREET_STATUS"
[ "$SHARD_ATTEMPTS" = 2 ] || fail "shard-0 has $SHARD_ATTEMPTS attempts, expected 2 (interrupted + retried)"
curl -fs -H "$(auth)" "$API/audit?actor=trainyard" | json "[e['target'] for e in d['items'] if e['action'] == 'RUN RESUME']" \
  | grep -q "$RUN" || fail "the audit log has no RUN RESUME of $RUN by trainyard"
echo "resumed by itself: SUCCEEDED; greet reused (1 attempt), shard-0 2 attempts; audited"

NEW_TOKEN=$(curl -fs -X POST -H "Authorization: Bearer $TOKEN_BEFORE" "$API/auth/token/rotate" | json "d['token']")
[ "$NEW_TOKEN" = "$(cat "$HOME_DIR/local-token")" ] && [ "$NEW_TOKEN" != "$TOKEN_BEFORE" ] || fail "rotation did not write a new token"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN_BEFORE" "$API/runs")" = 401 ] || fail "the old token still works"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $NEW_TOKEN" "$API/runs")" = 200 ] || fail "the new token is refused"
echo "rotated: the old token is refused, the new one works"
echo "e2e-local-restart: 1 passed, 0 failed"
