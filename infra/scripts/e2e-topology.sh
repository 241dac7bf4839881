#!/usr/bin/env bash
# Multi-host topology test (issue 16 item 3). On one machine it builds what team mode looks like on
# many: PostgreSQL, the Temporal service (the SDK's test server as a process of its own, behind mTLS
# with certificates this test makes), s3proxy (a real S3 API server, filesystem backend) and the
# backend (no in-process worker) on the host, and THREE workers, each a "host" of its own:
#   - its own network namespace (ip netns), joined to the host by a veth pair on a bridge: it reaches
#     Temporal and s3proxy on the bridge address only, and nothing on the host's loopback;
#   - its own mount and UTS namespace (unshare --mount --uts): a fresh /tmp in which only its own
#     directory (its --root, its client certificate, the backend's public task key) is mounted back;
#   - its own client certificate, the S3 store as its artifact store.
# From inside each worker the test asserts that the backend's home, the other workers' roots and the
# store's directory are absent, and that PostgreSQL and the backend cannot be reached. Then the bundled
# `demo` run must SUCCEED with steps on more than one worker; a kill -9 of the "host" running pretrain
# (its worker and every process in its namespace) must make the step resume on another host from its
# last checkpoint in the store; the catalog (psql) and the bucket must hold every row exactly once.
#
# Usage: bash infra/scripts/e2e-topology.sh [--no-kill]
#   --no-kill   leave out the kill -9 part (the run on three hosts and the row counts only).
# Needs root (namespaces, a bridge), the packaged app and worker jar (./mvnw -B verify -DskipTests),
# PostgreSQL's server binaries, openssl, /usr/bin/python3 with torch; s3proxy's jar-with-dependencies
# is fetched into ~/.m2 by the Maven wrapper on first use. Every process, namespace and link it makes is
# removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib.sh
pick_jdk

KILL=1
case "${1:-}" in
  --no-kill) KILL=0 ;;
  "") ;;
  *) echo "usage: $0 [--no-kill]" >&2; exit 2 ;;
esac

APP=backend/target/quarkus-app
WORKER_JAR=$PWD/workers/target/trainyard-worker.jar
S3PROXY_VERSION=2.6.0
S3PROXY_JAR=$HOME/.m2/repository/org/gaul/s3proxy/$S3PROXY_VERSION/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar
TEMPORAL_PORT=${E2E_TOPOLOGY_TEMPORAL_PORT:-17833}
PG_PORT=${E2E_TOPOLOGY_PG_PORT:-17850}
S3_PORT=${E2E_TOPOLOGY_S3_PORT:-17860}
HTTP_PORT=${E2E_TOPOLOGY_HTTP_PORT:-18790}
NET=${E2E_TOPOLOGY_NET:-10.231.77} # a /24 of the bridge: the host is .1, worker i is .1i
HOST_IP=$NET.1
BRIDGE=tytopo0
WORKERS="1 2 3"
TOKEN=e2e-topology-token
API=http://127.0.0.1:$HTTP_PORT/api/v1
BUCKET=trainyard-topology
PREFIX=team
# Throwaway S3 credentials for this run's s3proxy, made here; nothing secret is in the repository.
AWS_ACCESS_KEY_ID=topology-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
AWS_SECRET_ACCESS_KEY=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION=us-east-1

[ "$(id -u)" = 0 ] || { echo "e2e-topology needs root (network and mount namespaces, a bridge)" >&2; exit 1; }
for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && PGBIN=$dir; done
[ -x "${PGBIN:-}/initdb" ] || { echo "e2e-topology needs PostgreSQL's server binaries (apt-get install postgresql)" >&2; exit 1; }
[ -f "$APP/quarkus-run.jar" ] && [ -f "$WORKER_JAR" ] || { echo "build first: ./mvnw -B verify -DskipTests" >&2; exit 1; }
if [ ! -f "$S3PROXY_JAR" ]; then
  ./mvnw -q -B dependency:get -Dartifact=org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies -Dtransitive=false \
    >/dev/null || { echo "cannot fetch org.gaul:s3proxy:$S3PROXY_VERSION:jar-with-dependencies" >&2; exit 1; }
fi
if ip -o addr show | grep -q " $NET\."; then
  echo "the bridge subnet $NET.0/24 is in use here; set E2E_TOPOLOGY_NET to a free one" >&2
  exit 1
fi

TMP=$(mktemp -d /tmp/trainyard-e2e-topology.XXXXXX)
STAGE=$(mktemp -d /run/trainyard-e2e-topology.XXXXXX) # where a worker's own dir waits while /tmp is replaced
HOME_DIR=$TMP/backend-home
S3_DIR=$TMP/s3
TLS_DIR=$TMP/tls
PGDATA_DIR=$TMP/pg/data
BACKEND_PID="" TEMPORAL_PID="" S3_PID="" PG_STARTED="" RUN=""
declare -A WORKER_PID=()

ns() { echo "trainyard-topo-w$1"; }
host_dir() { echo "$TMP/hosts/w$1"; } # what worker i's mount namespace keeps of the host's /tmp
root_of() { echo "$(host_dir "$1")/root"; }
as_pg() { runuser -u postgres -- "$@"; }
psql_q() { "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -XAtq -c "$1"; }

kill_host() { # i: SIGKILL of every process in worker i's network namespace (the host is gone)
  local pids
  pids=$(ip netns pids "$(ns "$1")" 2>/dev/null || true)
  [ -n "$pids" ] && kill -9 $pids 2>/dev/null || true
  [ -n "${WORKER_PID[$1]:-}" ] && wait "${WORKER_PID[$1]}" 2>/dev/null || true
}

cleanup() {
  for i in $WORKERS; do
    stop_pid "${WORKER_PID[$i]:-}" # its shutdown hook stops its steps
    kill_host "$i"
    ip netns del "$(ns "$i")" 2>/dev/null || true # removes its veth pair
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  stop_pid "$BACKEND_PID"
  stop_pid "$S3_PID"
  stop_pid "$TEMPORAL_PID"
  [ -n "$PG_STARTED" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$TMP"
  rmdir "$STAGE"/* "$STAGE" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "FAIL: $*" >&2
  for log in "$TMP"/{temporal,s3proxy,backend,worker-w*}.log; do [ -f "$log" ] || continue; echo "--- $log (tail) ---" >&2; tail -n 25 "$log" >&2; done
  echo "e2e-topology: 0 passed, 1 failed"
  exit 1
}

wait_port() { # host port name pid
  for _ in $(seq 1 240); do
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || fail "$3 exited during start"
    sleep 0.25
  done
  fail "$3 did not listen on $1:$2 within 60 s"
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
run_field() { curl -fs -H "Authorization: Bearer $TOKEN" "$API/runs/$RUN" | json "$1"; }
wait_run_end() { # timeout_s
  local status=""
  for _ in $(seq 1 $(($1 * 2))); do
    status=$(run_field "d['status']" 2>/dev/null || true)
    case "$status" in SUCCEEDED | FAILED | CANCELLED) break ;; esac
    sleep 0.5
  done
  [ "$status" = SUCCEEDED ] || fail "the demo run is ${status:-unknown} after $1 s: $(run_field "d.get('error')" 2>/dev/null)"
}

# --- the host's services ---
mkdir -p "$TMP/pg" "$HOME_DIR" "$S3_DIR/data" "$TLS_DIR" "$TMP/hosts"
chmod 755 "$TMP"
chown postgres "$TMP/pg"
as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 >"$TMP/initdb.log" 2>&1 || fail "initdb failed"
as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$TMP/pg/server.log" -w -t 60 \
  -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $TMP/pg" start >/dev/null || fail "PostgreSQL did not start"
PG_STARTED=1
psql_q "CREATE ROLE trainyard_owner LOGIN PASSWORD 'owner-e2e'" >/dev/null || fail "CREATE ROLE failed"
psql_q "CREATE ROLE trainyard_app LOGIN PASSWORD 'app-e2e'" >/dev/null || fail "CREATE ROLE failed"
psql_q "ALTER SCHEMA public OWNER TO trainyard_owner" >/dev/null || fail "ALTER SCHEMA failed"

# The bridge the workers' veth pairs join; Temporal and s3proxy listen on its address only.
ip link add "$BRIDGE" type bridge
ip addr add "$HOST_IP/24" dev "$BRIDGE"
ip link set "$BRIDGE" up

# Temporal's certificates, as an operator makes them: a CA (its key thrown away), the server's
# certificate for the bridge address and loopback, a client certificate for the backend and one per worker.
(
  cd "$TLS_DIR"
  ec() { openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "$@"; }
  ec -x509 -keyout ca.key -out ca.pem -days 2 -subj "/CN=e2e-topology CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  leaf() { # name cn extensions
    ec -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
    openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -out "$1.pem" \
      -extfile <(printf '%s\n' "$3")
    rm "$1.csr"
  }
  leaf server trainyard-temporal "subjectAltName=IP:127.0.0.1,IP:$HOST_IP,DNS:localhost
extendedKeyUsage=serverAuth"
  leaf client trainyard-backend "extendedKeyUsage=clientAuth"
  for i in $WORKERS; do leaf "worker-$i" "topology-w$i" "extendedKeyUsage=clientAuth"; done
  rm ca.key ca.srl
) >"$TMP/openssl.log" 2>&1 || fail "making the TLS certificates failed"
chmod 700 "$TLS_DIR"

"$JAVA_HOME/bin/java" -cp "$APP/lib/main/*:$APP/app/*" dev.trainyard.backend.temporal.EmbeddedTemporal \
  "$TEMPORAL_PORT" "$TLS_DIR" "$HOST_IP" >"$TMP/temporal.log" 2>&1 &
TEMPORAL_PID=$!

cat >"$S3_DIR/s3proxy.conf" <<EOF
s3proxy.endpoint=http://$HOST_IP:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$AWS_ACCESS_KEY_ID
s3proxy.credential=$AWS_SECRET_ACCESS_KEY
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem
jclouds.filesystem.basedir=$S3_DIR/data
EOF
"$JAVA_HOME/bin/java" -cp "$S3PROXY_JAR" org.gaul.s3proxy.Main --properties "$S3_DIR/s3proxy.conf" >"$TMP/s3proxy.log" 2>&1 &
S3_PID=$!
wait_port "$HOST_IP" "$TEMPORAL_PORT" "the Temporal test server" "$TEMPORAL_PID"
wait_port "$HOST_IP" "$S3_PORT" "s3proxy" "$S3_PID"
curl -fsS -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" \
  -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  "http://$HOST_IP:$S3_PORT/$BUCKET" >/dev/null || fail "creating bucket $BUCKET on s3proxy failed"

"$JAVA_HOME/bin/java" -Dquarkus.http.port="$HTTP_PORT" -Dtrainyard.home="$HOME_DIR" \
  -Dtrainyard.temporal.target="$HOST_IP:$TEMPORAL_PORT" -Dtrainyard.worker.embedded=false \
  -Dtrainyard.temporal.tls.cert="$TLS_DIR/client.pem" -Dtrainyard.temporal.tls.key="$TLS_DIR/client.key" \
  -Dtrainyard.temporal.tls.ca="$TLS_DIR/ca.pem" \
  -Dtrainyard.store.uri="s3://$BUCKET/$PREFIX" -Dtrainyard.store.s3-endpoint="http://$HOST_IP:$S3_PORT" \
  -Dtrainyard.auth.local-token="$TOKEN" \
  -Dquarkus.datasource.jdbc.url="jdbc:postgresql://127.0.0.1:$PG_PORT/postgres" \
  -Dquarkus.datasource.username=trainyard_app -Dquarkus.datasource.password=app-e2e \
  -Dquarkus.flyway.username=trainyard_owner -Dquarkus.flyway.password=owner-e2e \
  -jar "$APP/quarkus-run.jar" >"$TMP/backend.log" 2>&1 &
BACKEND_PID=$!
await_ready "$HTTP_PORT" "$BACKEND_PID" || fail "the backend did not become ready (exited, or not within 120 s)"

# --- three worker hosts ---
for i in $WORKERS; do
  d=$(host_dir "$i")
  mkdir -p "$(root_of "$i")" "$d/etc" "$STAGE/w$i"
  cp "$TLS_DIR/worker-$i.pem" "$d/etc/client.pem"
  cp "$TLS_DIR/worker-$i.key" "$d/etc/client.key"
  cp "$TLS_DIR/ca.pem" "$d/etc/ca.pem"
  cp "$HOME_DIR/keys/task-signing.pub" "$d/etc/task-signing.pub" # the backend's public key only
  # The host gets its own copy of the worker jar: the checkout may itself lie under /tmp, which the
  # worker's mount namespace replaces.
  cp "$WORKER_JAR" "$d/etc/trainyard-worker.jar"
  ip netns add "$(ns "$i")"
  ip link add "tytopo-w$i" type veth peer name "tytopo-w${i}n"
  ip link set "tytopo-w${i}n" netns "$(ns "$i")"
  ip -n "$(ns "$i")" link set "tytopo-w${i}n" name eth0
  ip -n "$(ns "$i")" addr add "$NET.1$i/24" dev eth0
  ip -n "$(ns "$i")" link set eth0 up
  ip -n "$(ns "$i")" link set lo up
  ip link set "tytopo-w$i" master "$BRIDGE" up
  # ip netns exec and unshare exec (no fork): $! is the worker's JVM. In its mount namespace /tmp is
  # a fresh tmpfs into which only this host's dir is moved back.
  HOSTNAME=topology-w$i ip netns exec "$(ns "$i")" unshare --mount --uts --propagation private -- /bin/bash -c '
      set -e
      hostname "$HOSTNAME"
      mount --bind "$0" "$1"
      mount -t tmpfs -o mode=1777 topology-tmp /tmp
      mkdir -p "$0"
      mount --move "$1" "$0"
      shift
      exec "$@"' "$d" "$STAGE/w$i" \
    "$JAVA_HOME/bin/java" -jar "$d/etc/trainyard-worker.jar" --temporal "$HOST_IP:$TEMPORAL_PORT" --pool default \
    --root "$(root_of "$i")" --tls-cert "$d/etc/client.pem" --tls-key "$d/etc/client.key" --tls-ca "$d/etc/ca.pem" \
    --task-key "$d/etc/task-signing.pub" --store "s3://$BUCKET/$PREFIX" --s3-endpoint "http://$HOST_IP:$S3_PORT" \
    --cache-size 1G --max-concurrent-steps 1 --termination-grace 2 >"$TMP/worker-w$i.log" 2>&1 &
  WORKER_PID[$i]=$!
  # One at a time: three JVMs starting at once on two cores miss the SDK's first-call deadline.
  for _ in $(seq 1 240); do
    grep -q "^trainyard worker: polling" "$TMP/worker-w$i.log" 2>/dev/null && break
    kill -0 "${WORKER_PID[$i]}" 2>/dev/null || fail "worker topology-w$i exited during start"
    sleep 0.5
  done
  grep -q "^trainyard worker: polling" "$TMP/worker-w$i.log" || fail "worker topology-w$i did not poll within 120 s"
done
echo "topology: PostgreSQL 127.0.0.1:$PG_PORT, backend 127.0.0.1:$HTTP_PORT, Temporal $HOST_IP:$TEMPORAL_PORT (mTLS)," \
  "s3proxy $HOST_IP:$S3_PORT; workers topology-w1..3 at $NET.11-13 (pids ${WORKER_PID[*]})"

# --- what a worker host sees ---
inside() { # i command...: run in worker i's network, mount and UTS namespaces
  local i=$1
  shift
  nsenter --target "${WORKER_PID[$i]}" --net --mount --uts -- "$@"
}
for i in $WORKERS; do
  [ "$(inside "$i" hostname)" = "topology-w$i" ] || fail "worker $i's hostname is $(inside "$i" hostname)"
  inside "$i" test -d "$(root_of "$i")" || fail "topology-w$i does not see its own root $(root_of "$i")"
  inside "$i" test -f "$(host_dir "$i")/etc/task-signing.pub" || fail "topology-w$i does not see its task key"
  for path in "$HOME_DIR" "$S3_DIR" "$TLS_DIR" "$TMP/pg"; do
    ! inside "$i" test -e "$path" || fail "topology-w$i sees $path"
  done
  for j in $WORKERS; do
    [ "$j" = "$i" ] && continue
    ! inside "$i" test -e "$(host_dir "$j")" || fail "topology-w$i sees topology-w$j's root $(host_dir "$j")"
  done
  for port in "$PG_PORT" "$HTTP_PORT"; do
    ! inside "$i" timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null \
      || fail "topology-w$i reaches 127.0.0.1:$port (PostgreSQL or the backend) on its loopback"
  done
  ! inside "$i" timeout 2 bash -c "exec 3<>/dev/tcp/$HOST_IP/$PG_PORT" 2>/dev/null \
    || fail "topology-w$i reaches PostgreSQL on $HOST_IP:$PG_PORT"
  inside "$i" timeout 2 bash -c "exec 3<>/dev/tcp/$HOST_IP/$S3_PORT" || fail "topology-w$i cannot reach s3proxy"
done
echo "isolation: each worker sees its own root only (not the backend's home, the store's directory," \
  "the other roots, the TLS CA dir or PostgreSQL's data) and reaches Temporal and s3proxy, not PostgreSQL or the backend"

# --- the demo run across the three hosts ---
launch=$(curl -sS --max-time 120 -w '\n%{http_code}' -X POST "$API/runs" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"template": "demo", "params": {}}' 2>&1) || true
[ "${launch##*$'\n'}" = 201 ] || [ "${launch##*$'\n'}" = 200 ] || fail "launch refused: $launch"
RUN=$(json "d['id']" <<<"${launch%$'\n'*}") || fail "launch answered no run id: $launch"
echo "launched $RUN"

KILLED=""
if [ "$KILL" = 1 ]; then
  # The first attempt of pretrain uploads its newest checkpoint to the store as a resume state named
  # resume/<run>/pretrain/attempt-1/step-<N>; once one is there, the host running it dies.
  names=$S3_DIR/data/$BUCKET/$PREFIX/names/resume/$RUN/pretrain/attempt-1
  for _ in $(seq 1 1200); do
    compgen -G "$names/step-*" >/dev/null && break
    sleep 0.25
  done
  compgen -G "$names/step-*" >/dev/null ||
    fail "pretrain stored no resume state within 300 s; steps: $(run_field "[(s['id'], s['status']) for s in d['steps']]" 2>/dev/null)"
  killed_at=$(ls "$names" | sed -n 's/^step-\([0-9]*\)$/\1/p' | sort -n | tail -1)
  for i in $WORKERS; do [ -d "$(root_of "$i")/work/$RUN/pretrain/attempt-1" ] && KILLED=$i; done
  [ -n "$KILLED" ] || fail "no worker root holds pretrain's attempt 1"
  echo "kill -9 of topology-w$KILLED (worker pid ${WORKER_PID[$KILLED]} and its host's processes) while pretrain" \
    "runs there, its newest resume state in the store step-$killed_at"
  kill -9 "${WORKER_PID[$KILLED]}"
  kill_host "$KILLED"
  WORKER_PID[$KILLED]=""
fi

wait_run_end 900
echo "the demo run SUCCEEDED"

# --- steps ran on more than one host; the killed step resumed elsewhere ---
q() { psql_q "$1" || fail "query failed: $1"; }
hosts=$(q "SELECT string_agg(DISTINCT split_part(worker, '/', 1), ',') FROM step_attempt WHERE run_id = '$RUN' AND status = 'SUCCEEDED'")
[ "$(tr ',' '\n' <<<"$hosts" | grep -c '^topology-w')" -ge 2 ] || fail "the steps ran on $hosts only, expected more than one host"
echo "steps succeeded on: $hosts"
q "SELECT step_id || ' ' || attempt || ' ' || status || ' ' || split_part(worker, '/', 1) FROM step_attempt WHERE run_id = '$RUN' ORDER BY started_at" | sed 's/^/  /'

if [ "$KILL" = 1 ]; then
  expect_row() { # what sql expected
    local got
    got=$(q "$2")
    [ "$got" = "$3" ] || fail "$1: expected $3, got $got"
  }
  expect_row "pretrain's attempts" "SELECT string_agg(attempt || ':' || status, ' ' ORDER BY attempt) FROM step_attempt WHERE run_id = '$RUN' AND step_id = 'pretrain'" "1:FAILED 2:SUCCEEDED"
  q "SELECT error FROM step_attempt WHERE run_id = '$RUN' AND step_id = 'pretrain' AND attempt = 1" | grep -q heartbeat \
    || fail "pretrain attempt 1 did not fail for the lost heartbeat"
  second=$(q "SELECT split_part(worker, '/', 1) FROM step_attempt WHERE run_id = '$RUN' AND step_id = 'pretrain' AND attempt = 2")
  [ "$second" != "topology-w$KILLED" ] || fail "pretrain attempt 2 ran on the killed host topology-w$KILLED"
  log=$(root_of "${second#topology-w}")/work/$RUN/pretrain/attempt-2/step.log
  resumed=$(sed -n 's/.*resumed from .* at step \([0-9]*\).*/\1/p' "$log" 2>/dev/null | head -1)
  if [ -z "$resumed" ]; then
    fail "pretrain attempt 2 on $second started from step 0: its log has no 'resumed from', though" \
      "attempt 1 on topology-w$KILLED had stored its resume state step-$killed_at in the bucket"
  fi
  [ "$resumed" -ge "$killed_at" ] || fail "pretrain attempt 2 resumed at step $resumed, before the stored step-$killed_at"
  echo "pretrain attempt 2 on $second resumed at step $resumed (topology-w$KILLED was killed with step-$killed_at in the store)"
fi

# --- the catalog and the bucket: every row and object exactly once ---
expect() { # what sql expected
  local got
  got=$(q "$2")
  [ "$got" = "$3" ] || fail "$1: expected $3, got $got"
}
STEPS=9
expect "runs" "SELECT count(*) FROM run" 1
expect "run status" "SELECT status FROM run WHERE id = '$RUN'" SUCCEEDED
expect "steps" "SELECT count(*) FROM step WHERE run_id = '$RUN'" $STEPS
expect "steps not SUCCEEDED" "SELECT count(*) FROM step WHERE run_id = '$RUN' AND status <> 'SUCCEEDED'" 0
expect "attempts" "SELECT count(*) FROM step_attempt WHERE run_id = '$RUN'" $((STEPS + KILL))
expect "attempts other than the killed one not SUCCEEDED #1" \
  "SELECT count(*) FROM step_attempt WHERE run_id = '$RUN' AND step_id <> 'pretrain' AND (status <> 'SUCCEEDED' OR attempt <> 1)" 0
expect "step outputs, one per step output" "SELECT count(*) FROM (SELECT DISTINCT run_id, step_id, name FROM step_output WHERE run_id = '$RUN') o" \
  "$(q "SELECT count(*) FROM step_output WHERE run_id = '$RUN'")"
outputs=$(q "SELECT count(*) FROM step_output WHERE run_id = '$RUN'")
expect "artifacts, one per step output" "SELECT count(*) FROM artifact WHERE run_id = '$RUN'" "$outputs"
expect "artifacts made by a failed attempt" \
  "SELECT count(*) FROM artifact a JOIN step_attempt s ON (s.run_id, s.step_id, s.attempt) = (a.run_id, a.step_id, a.attempt) WHERE s.status <> 'SUCCEEDED'" 0
expect "artifacts not in the S3 store" "SELECT count(*) FROM artifact WHERE uri NOT LIKE 's3://$BUCKET/$PREFIX/%'" 0
edges=$(q "SELECT count(*) FROM lineage_edge")
expect "distinct lineage edges" "SELECT count(*) FROM (SELECT DISTINCT from_node, to_node, role FROM lineage_edge) e" "$edges"
# The bucket: every catalog artifact's manifest, plus the training attempts' resume states (internal
# artifacts found by their names under names/resume/, no catalog row), and nothing else.
store=$S3_DIR/data/$BUCKET/$PREFIX
bucket_ids=$(find "$store/artifacts" -name '*.manifest' -printf '%f\n' | sed 's/\.manifest$//' | sort)
resume_ids=$(find "$store/names/resume" -type f -exec sh -c 'for f; do tr -d "\n" <"$f"; echo; done' _ {} + 2>/dev/null | sort)
resume_states=$(grep -c . <<<"$resume_ids" || true)
expected_ids=$( (q "SELECT id FROM artifact"; [ -n "$resume_ids" ] && echo "$resume_ids") | sort)
[ "$bucket_ids" = "$expected_ids" ] || fail "the bucket's manifests are not the catalog's artifacts plus the resume states:
$(diff <(echo "$expected_ids") <(echo "$bucket_ids"))"
manifests=$(grep -c . <<<"$bucket_ids")
artifacts=$(q "SELECT count(*) FROM artifact")
echo "catalog: 1 run, $STEPS steps, $((STEPS + KILL)) attempts, $outputs outputs = $artifacts artifacts, $edges distinct lineage edges;" \
  "bucket: $manifests manifests = those $artifacts artifacts + $resume_states resume states"
echo "e2e-topology: 1 passed, 0 failed"
