#!/usr/bin/env bash
# End to end, as a user would see it: a schedule fires exactly once per tick across a kill -9 of
# the backend and its restart. A schedule ticking every 2 seconds (overlap ALLOW, a 5-minute
# catch-up window) launches a one-step template; local mode is killed with SIGKILL mid-way and
# started again. Afterwards every tick from the first to the last has exactly one row, FIRED, with
# its own run (the ticks missed while it was down caught up), and the schedule launched exactly as
# many runs as it has ticks: none lost, none twice. Uses the packaged app and its own home dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib.sh
pick_jdk

APP=backend/target/quarkus-app/quarkus-run.jar
HOME_DIR=$(mktemp -d /tmp/trainyard-e2e-schedules.XXXXXX)
PORT=18083
API=http://127.0.0.1:$PORT/api/v1
PID=""
STARTED=$(date +%s)

cleanup() {
  stop_pid "$PID"
  rm -rf "$HOME_DIR"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- last app log ---" >&2
  tail -n 60 "$HOME_DIR"/app-*.log >&2 || true
  echo "e2e-schedules: 0 passed, 1 failed"
  exit 1
}

start() {
  # A short lease, so the restarted backend takes over soon after the dead one's lease expires.
  "$JAVA_HOME/bin/java" -Dquarkus.http.port=$PORT -Dtrainyard.temporal.embedded-port=17236 \
    -Dtrainyard.schedules.lease-ttl=3s -Dtrainyard.home="$HOME_DIR" -jar "$APP" \
    >"$HOME_DIR/app-$1.log" 2>&1 &
  PID=$!
  await_ready "$PORT" "$PID" || fail "the app did not become ready ($1: exited, or not within 120 s)"
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
auth() { echo "Authorization: Bearer $(cat "$HOME_DIR/local-token")"; }
ticks() { curl -fs -H "$(auth)" "$API/templates/e2e-tick/schedules/$SCHEDULE/ticks?limit=1000"; }
fired() { ticks | json "len([t for t in d['items'] if t['status'] == 'FIRED'])"; }

wait_fired() { # count timeout_s
  for _ in $(seq 1 $(($2 * 4))); do
    [ "$(fired)" -ge "$1" ] && return 0
    sleep 0.25
  done
  fail "waited $2 s for $1 fired ticks; there are $(fired)"
}

start first
curl -fs -X POST "$API/templates" -H "$(auth)" -H 'Content-Type: application/yaml' --data-binary @- >/dev/null <<'YAML' \
  || fail "the template was not created"
apiVersion: trainyard/v1
kind: Pipeline
name: e2e-tick
steps:
  - id: only
    kind: command
    run: echo tick > "$TRAINYARD_OUTPUT/tick.txt"
YAML
SCHEDULE=$(curl -fs -X POST "$API/templates/e2e-tick/schedules" -H "$(auth)" -H 'Content-Type: application/json' \
  -d '{"cron": "*/2 * * * * *", "timeZone": "UTC", "overlapPolicy": "ALLOW", "catchupWindowSeconds": 300}' \
  | json "d['id']") || fail "the schedule was not created"
echo "schedule $SCHEDULE: every 2 s"
wait_fired 2 30
BEFORE=$(fired)

echo "kill -9 of the backend (pid $PID) after $BEFORE fired ticks"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=""
KILLED_AT=$(date +%s)
start second
echo "restarted after $(($(date +%s) - KILLED_AT)) s down"
# The ticks of the downtime catch up, then one more on time.
DOWN_TICKS=$(( ($(date +%s) - KILLED_AT) / 2 ))
wait_fired $((BEFORE + DOWN_TICKS + 1)) 60
curl -fs -X POST -H "$(auth)" "$API/templates/e2e-tick/schedules/$SCHEDULE/pause" >/dev/null || fail "pause refused"
for _ in $(seq 1 120); do
  [ "$(ticks | json "len([t for t in d['items'] if t['status'] in ('PENDING', 'BUFFERED')])")" = 0 ] && break
  sleep 0.25
done

ticks >"$HOME_DIR/ticks.json"
curl -fs -H "$(auth)" "$API/runs?launchedBy=schedule:$SCHEDULE&limit=500" >"$HOME_DIR/runs.json"
python3 - "$HOME_DIR/ticks.json" "$HOME_DIR/runs.json" <<'PY' || fail "the ticks and runs do not match one to one"
import json, sys
from datetime import datetime
ticks = json.load(open(sys.argv[1]))["items"]
runs = json.load(open(sys.argv[2]))["items"]
at = sorted(datetime.fromisoformat(t["tickAt"].replace("Z", "+00:00")) for t in ticks)
gaps = [(b - a).total_seconds() for a, b in zip(at, at[1:])]
problems = []
if len(set(at)) != len(at):
    problems.append("a tick has two rows")
if any(g != 2 for g in gaps):
    problems.append(f"ticks are not every 2 s from first to last: gaps {gaps}")
not_fired = [t for t in ticks if t["status"] != "FIRED" or not t["runId"]]
if not_fired:
    problems.append(f"ticks not fired: {not_fired}")
run_ids = [t["runId"] for t in ticks]
if len(set(run_ids)) != len(run_ids):
    problems.append("two ticks name the same run")
launched = {r["id"] for r in runs}
if launched != set(run_ids):
    problems.append(f"{len(launched)} runs launched by the schedule for {len(ticks)} ticks")
for p in problems:
    print(p, file=sys.stderr)
print(f"{len(ticks)} ticks from {at[0]:%H:%M:%S} to {at[-1]:%H:%M:%S}, each FIRED once with its own run; "
      f"{len(launched)} runs launched by the schedule")
sys.exit(1 if problems else 0)
PY
grep -q "took the schedules lease" "$HOME_DIR/app-second.log" || fail "the restarted backend never took the lease"
echo "e2e-schedules took $(($(date +%s) - STARTED)) s"
echo "e2e-schedules: 1 passed, 0 failed"
