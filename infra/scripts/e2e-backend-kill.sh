#!/usr/bin/env bash
# Fault test, team topology on one machine: the Temporal service (the SDK's test server as a process
# of its own), PostgreSQL (a real server in a temp dir), the backend (no embedded worker) and one
# standalone worker are separate processes. The backend is killed with SIGKILL while a step runs on
# the worker and stays dead while the worker finishes that step and the next ones. After the backend
# restarts, the run must SUCCEED without re-running any finished step, and the catalog must hold
# every run, step, attempt, artifact and lineage edge exactly once (checked with psql).
# Needs the packaged app and worker jar (./mvnw package) and PostgreSQL's server binaries (initdb,
# pg_ctl, psql: Debian's postgresql package). No network; every process it starts is stopped on exit.
# E2E_BACKEND_KILL_JAVA_OPTS adds backend options, e.g. -Dtrainyard.temporal.sticky-execution=true
# to see the stuck run this test guards against (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib.sh
pick_jdk

APP=backend/target/quarkus-app
WORKER_JAR=workers/target/trainyard-worker.jar
TEMPORAL_PORT=${E2E_BACKEND_KILL_TEMPORAL_PORT:-17733}
PG_PORT=${E2E_BACKEND_KILL_PG_PORT:-17750}
HTTP_PORT=${E2E_BACKEND_KILL_HTTP_PORT:-18690}
PAUSE=5 # each of the three shard steps sleeps this long; the worker runs them one after another
TOKEN=e2e-backend-kill-token
API=http://127.0.0.1:$HTTP_PORT/api/v1
TMP=$(mktemp -d /tmp/trainyard-e2e-kill.XXXXXX)
HOME_DIR=$TMP/home
TLS_DIR=$TMP/tls # the standalone Temporal mints its mTLS certificates here; backend and worker present client.pem
PGDATA_DIR=$TMP/pg/data
BACKEND_PID="" WORKER_PID="" TEMPORAL_PID="" PG_STARTED=""

for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && PGBIN=$dir; done
[ -n "${PGBIN:-}" ] || PGBIN=$(pg_config --bindir 2>/dev/null || true)
[ -x "${PGBIN:-}/initdb" ] || { echo "e2e-backend-kill needs PostgreSQL's server binaries (apt-get install postgresql)" >&2; exit 1; }
[ -f "$APP/quarkus-run.jar" ] && [ -f "$WORKER_JAR" ] || { echo "build first: ./mvnw -B package -DskipTests" >&2; exit 1; }

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_q() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -XAtq -c "$1"; }

cleanup() {
  stop_pid "$WORKER_PID"   # its shutdown hook stops its steps' process groups
  stop_pid "$BACKEND_PID"
  stop_pid "$TEMPORAL_PID"
  [ -n "$PG_STARTED" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAIL: $*" >&2
  if [ -n "${RUN:-}" ]; then
    echo "--- Temporal history of $RUN ---" >&2
    "$JAVA_HOME/bin/java" -cp "$APP/lib/main/*" infra/scripts/TemporalHistory.java "127.0.0.1:$TEMPORAL_PORT" "$RUN" default "$TLS_DIR" >&2 2>/dev/null \
      || echo "(history unavailable)" >&2
  fi
  for log in "$TMP"/*.log; do echo "--- $log (tail) ---" >&2; tail -n 30 "$log" >&2; done
  echo "e2e-backend-kill: 0 passed, 1 failed"
  exit 1
}

wait_port() { # port name pid
  for _ in $(seq 1 240); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || fail "$2 exited during start"
    sleep 0.25
  done
  fail "$2 did not listen on $1 within 60 s"
}

start_backend() {
  "$JAVA_HOME/bin/java" -Dquarkus.http.port="$HTTP_PORT" -Dtrainyard.home="$HOME_DIR" \
    -Dtrainyard.temporal.target="127.0.0.1:$TEMPORAL_PORT" -Dtrainyard.worker.embedded=false \
    -Dtrainyard.temporal.tls.cert="$TLS_DIR/client.pem" -Dtrainyard.temporal.tls.key="$TLS_DIR/client.key" \
    -Dtrainyard.temporal.tls.ca="$TLS_DIR/ca.pem" \
    -Dtrainyard.auth.local-token="$TOKEN" \
    -Dquarkus.datasource.jdbc.url="jdbc:postgresql://127.0.0.1:$PG_PORT/postgres" \
    -Dquarkus.datasource.username=trainyard_app -Dquarkus.datasource.password=app-e2e \
    -Dquarkus.flyway.username=trainyard_owner -Dquarkus.flyway.password=owner-e2e \
    ${E2E_BACKEND_KILL_JAVA_OPTS:-} -jar "$APP/quarkus-run.jar" >"$TMP/backend-$1.log" 2>&1 &
  BACKEND_PID=$!
  await_ready "$HTTP_PORT" "$BACKEND_PID" || fail "the backend did not become ready ($1: exited, or not within 120 s)"
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
run_field() { curl -fs -H "Authorization: Bearer $TOKEN" "$API/runs/$RUN" | json "$1"; }
wait_for() { # expression expected timeout_s
  for _ in $(seq 1 $(($3 * 4))); do
    [ "$(run_field "$1" 2>/dev/null)" = "$2" ] && return 0
    sleep 0.25
  done
  fail "waited $3 s for $1 == $2; it is $(run_field "$1" 2>/dev/null)"
}

# --- the team topology ---
mkdir -p "$TMP/pg" "$HOME_DIR"
if [ "$(id -u)" = 0 ]; then chmod 755 "$TMP"; chown postgres "$TMP/pg"; fi
as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 >"$TMP/initdb.log" 2>&1 || fail "initdb failed"
as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$TMP/pg/server.log" -w -t 60 \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $TMP/pg" start >/dev/null || fail "PostgreSQL did not start"
PG_STARTED=1
# The two roles of team mode (docs/security.md, "Database roles"): the backend refuses a superuser.
psql_q "CREATE ROLE trainyard_owner LOGIN PASSWORD 'owner-e2e'" >/dev/null || fail "CREATE ROLE failed"
psql_q "CREATE ROLE trainyard_app LOGIN PASSWORD 'app-e2e'" >/dev/null || fail "CREATE ROLE failed"
psql_q "ALTER SCHEMA public OWNER TO trainyard_owner" >/dev/null || fail "ALTER SCHEMA failed"

"$JAVA_HOME/bin/java" -cp "$APP/lib/main/*:$APP/app/*" dev.trainyard.backend.temporal.EmbeddedTemporal "$TEMPORAL_PORT" "$TLS_DIR" \
  >"$TMP/temporal.log" 2>&1 &
TEMPORAL_PID=$!
wait_port "$TEMPORAL_PORT" "the Temporal test server" "$TEMPORAL_PID"

start_backend first
grep -ho 'Sticky execution off: [^,]*' "$TMP/backend-first.log" || echo "sticky execution on"
"$JAVA_HOME/bin/java" -jar "$WORKER_JAR" --temporal "127.0.0.1:$TEMPORAL_PORT" --pool default --root "$HOME_DIR" \
  --tls-cert "$TLS_DIR/client.pem" --tls-key "$TLS_DIR/client.key" --tls-ca "$TLS_DIR/ca.pem" \
  --task-key "$HOME_DIR/keys/task-signing.pub" \
  --max-concurrent-steps 1 --termination-grace 2 >"$TMP/worker.log" 2>&1 &
WORKER_PID=$!
echo "topology: PostgreSQL :$PG_PORT, Temporal :$TEMPORAL_PORT (pid $TEMPORAL_PID), backend :$HTTP_PORT (pid $BACKEND_PID), worker (pid $WORKER_PID)"

# --- the fault ---
RUN=$(curl -fs -X POST "$API/runs" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"template\": \"hello\", \"params\": {\"pause_seconds\": $PAUSE}}" | json "d['id']") || fail "launch refused"
echo "launched $RUN"
wait_for "[s['status'] for s in d['steps'] if s['id'] == 'greet'][0]" SUCCEEDED 60
wait_for "[s['status'] for s in d['steps'] if s['id'] == 'shard-0'][0]" RUNNING 60

echo "kill -9 of the backend (pid $BACKEND_PID) while shard-0 runs on the worker"
kill -9 "$BACKEND_PID"
wait "$BACKEND_PID" 2>/dev/null || true
BACKEND_PID=""

# While the backend is dead the worker finishes shard-0 and runs shard-1 and shard-2 (already
# scheduled by the workflow): their outputs are moved into the artifact store.
for _ in $(seq 1 $(((3 * PAUSE + 30) * 4))); do
  done_shards=$(find "$HOME_DIR/artifacts" -name 'shard-*.txt' 2>/dev/null | wc -l)
  [ "$done_shards" = 3 ] && break
  sleep 0.25
done
[ "$done_shards" = 3 ] || fail "the worker finished $done_shards of 3 shards while the backend was dead"
sleep 2
behind=$(psql_q "SELECT count(*) FROM step WHERE run_id = '$RUN' AND status = 'SUCCEEDED'")
echo "backend dead: the worker finished all 3 shards; the catalog still records $behind succeeded step(s)"

start_backend second
wait_for "d['status']" SUCCEEDED 60
echo "after the restart the run SUCCEEDED"

# --- the catalog converged: every row exactly once, nothing re-run ---
q() { psql_q "$1" || fail "query failed: $1"; }
expect() { # what sql expected
  local got
  got=$(q "$2")
  [ "$got" = "$3" ] || fail "$1: expected $3, got $got"
}
expect "runs" "SELECT count(*) FROM run" 1
expect "run status" "SELECT status FROM run WHERE id = '$RUN'" SUCCEEDED
expect "steps (greet, shard-0..2, join)" "SELECT count(*) FROM step WHERE run_id = '$RUN'" 5
expect "steps not SUCCEEDED" "SELECT count(*) FROM step WHERE run_id = '$RUN' AND status <> 'SUCCEEDED'" 0
expect "attempts (one per step: nothing re-ran)" "SELECT count(*) FROM step_attempt WHERE run_id = '$RUN'" 5
expect "attempts not SUCCEEDED or numbered > 1" \
  "SELECT count(*) FROM step_attempt WHERE run_id = '$RUN' AND (status <> 'SUCCEEDED' OR attempt <> 1)" 0
expect "step outputs" "SELECT count(*) FROM step_output WHERE run_id = '$RUN'" 5
expect "artifacts" "SELECT count(*) FROM artifact" 5
expect "artifacts of this run" "SELECT count(*) FROM artifact WHERE run_id = '$RUN'" 5
expect "artifact files (greeting, 3 shards, report + lines)" "SELECT count(*) FROM artifact_file" 6
# Lineage: each attempt produced its output (5), each shard read greet's output (3), join read the
# three shards (3).
expect "lineage edges" "SELECT count(*) FROM lineage_edge" 11
expect "distinct lineage edges" "SELECT count(*) FROM (SELECT DISTINCT from_node, to_node, role FROM lineage_edge) e" 11
# The worker side: one work dir per step, never a second attempt.
work_dirs=$(find "$HOME_DIR/work/$RUN" -mindepth 2 -maxdepth 2 -name 'attempt-*' | wc -l)
[ "$work_dirs" = 5 ] || fail "the worker made $work_dirs attempt dirs, expected 5 (a step re-ran?)"
echo "catalog: 1 run, 5 steps, 5 attempts (all #1), 5 outputs, 5 artifacts, 6 files, 11 edges; 5 work dirs"
echo "e2e-backend-kill: 1 passed, 0 failed"
