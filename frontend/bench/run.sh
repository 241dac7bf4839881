#!/usr/bin/env bash
# Browser benchmark of the dashboard at scale: starts the packaged app (build it first:
# ./mvnw -o -B package -DskipTests) in local mode on its own ports and a fresh home, seeds its
# database with backend/src/test/resources/bench/dashboard-seed.sql through psql, runs
# dashboard.bench.ts in Debian's Chromium and writes the timings to $BENCH_OUT (default
# frontend/bench/results.json). Ports: PORT (18580), TEMPORAL_PORT (17633), DB_PORT (17634).
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib.sh
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
PORT=${PORT:-18580}
TEMPORAL_PORT=${TEMPORAL_PORT:-17633}
DB_PORT=${DB_PORT:-17634}
APP=backend/target/quarkus-app/quarkus-run.jar
HOME_DIR=$(mktemp -d /tmp/trainyard-bench.XXXXXX)
TOKEN=bench-$RANDOM$RANDOM
OUT=${BENCH_OUT:-$PWD/frontend/bench/results.json}
PID=""
cleanup() { stop_pid "$PID"; }
trap cleanup EXIT
[ -f "$APP" ] || { echo "no packaged app at $APP: ./mvnw -o -B package -DskipTests" >&2; exit 1; }

# The database port as an environment variable: as a system property it fails Quarkus' unknown-key check.
TRAINYARD_AUTH_LOCAL_TOKEN=$TOKEN TRAINYARD_LOCAL_DB_PORT=$DB_PORT "$JAVA_HOME/bin/java" -Dquarkus.http.port="$PORT" \
  -Dtrainyard.temporal.embedded-port="$TEMPORAL_PORT" \
  -Dtrainyard.home="$HOME_DIR" -jar "$APP" >"$HOME_DIR/app.log" 2>&1 &
PID=$!
await_ready "$PORT" "$PID" || { tail -40 "$HOME_DIR/app.log"; exit 1; }
PRINTED=$(sed -n 's/.*Dashboard token: *\([^ ]*\).*/\1/p' "$HOME_DIR/app.log" | tail -1)
[ -n "$PRINTED" ] && TOKEN=$PRINTED

echo "seeding…"
START=$(date +%s)
# As the tables' owner, whose password local mode keeps in the home (the superuser cannot log in).
PGPASSWORD=$(sed -n 's/^trainyard_owner=//p' "$HOME_DIR/secrets/db-password") \
  psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$DB_PORT" -U trainyard_owner -d postgres \
  -f backend/src/test/resources/bench/dashboard-seed.sql
echo "seeded in $(( $(date +%s) - START )) s"

# Compare: ten of the seeded runs get a train step metrics file of 10,000 lines each (loss, lr, tokens),
# where local mode reads a step attempt's metrics (home/work/<run>/<step>/attempt-1/metrics.jsonl).
COMPARE_RUNS=$(PGPASSWORD=$(sed -n 's/^trainyard_owner=//p' "$HOME_DIR/secrets/db-password") \
  psql -qAt -h 127.0.0.1 -p "$DB_PORT" -U trainyard_owner -d postgres \
  -c "SELECT id FROM run WHERE status = 'SUCCEEDED' ORDER BY created_at DESC LIMIT 10")
n=0
for run in $COMPARE_RUNS; do
  n=$((n + 1))
  mkdir -p "$HOME_DIR/work/$run/train/attempt-1"
  awk -v seed="$n" 'BEGIN { srand(seed); for (i = 1; i <= 10000; i++)
    printf "{\"step\": %d, \"loss\": %.5f, \"lr\": %.6g, \"tokens\": %d}\n", i, 2 + 8 / sqrt(i) + rand() * 0.2, 1e-4, i * 2048 }' \
    >"$HOME_DIR/work/$run/train/attempt-1/metrics.jsonl"
done
export BENCH_COMPARE_RUNS=$(echo $COMPARE_RUNS | tr ' ' ',')

(cd frontend && E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_TOKEN="$TOKEN" BENCH_OUT="$OUT" \
  npx playwright test -c bench/playwright.config.ts)
