#!/usr/bin/env bash
# The dashboard end to end in a real Chromium (Debian's /usr/bin/chromium, never a downloaded one):
# builds the packaged app (unless --no-build), starts it in local mode on its own ports and home,
# runs the Playwright suite in frontend/e2e, stops the app and prints "e2e-browser: N passed, M failed".
# Screenshots of the main pages land in docs/screenshots/. Arguments after the flags go to Playwright,
# e.g. `e2e-browser.sh --no-build compare.e2e.ts` runs one file.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
. infra/scripts/lib.sh
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
pick_jdk

BUILD=1
if [ "${1:-}" = "--no-build" ]; then BUILD=0; shift; fi
PORT=${E2E_PORT:-18081}
TEMPORAL_PORT=${E2E_TEMPORAL_PORT:-17234}
APP=backend/target/quarkus-app/quarkus-run.jar
HOME_DIR=$(mktemp -d /tmp/trainyard-e2e-browser.XXXXXX)
TOKEN=${TRAINYARD_AUTH_LOCAL_TOKEN:-e2e-$(date +%s)-$RANDOM}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
RESULTS="$HOME_DIR/results.json"
PID=""

cleanup() { stop_pid "$PID"; }
trap 'cleanup; rm -rf "$HOME_DIR"' EXIT

fail() {
  echo "FAIL: $*" >&2
  tail -n 40 "$HOME_DIR/app.log" >&2 2>/dev/null || true
  echo "e2e-browser: 0 passed, 1 failed"
  exit 1
}

[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM (apt-get install -y chromium)"

if [ "$BUILD" = 1 ]; then
  # The packaged app is shared with other engineers: never build in parallel with another Maven.
  while pgrep -f 'org.codehaus.plexus.classworlds.launcher.Launcher' >/dev/null; do
    echo "waiting for another Maven build to finish…"; sleep 10
  done
  ./mvnw -q -B -DskipTests package || fail "build failed"
fi
[ -f "$APP" ] || fail "no packaged app at $APP (run without --no-build)"
(cd frontend && [ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund >/dev/null) || fail "npm ci failed"

TRAINYARD_AUTH_LOCAL_TOKEN=$TOKEN "$JAVA_HOME/bin/java" -Dquarkus.http.port="$PORT" \
  -Dtrainyard.temporal.embedded-port="$TEMPORAL_PORT" -Dtrainyard.home="$HOME_DIR" \
  -jar "$APP" >"$HOME_DIR/app.log" 2>&1 &
PID=$!
await_ready "$PORT" "$PID" || fail "the app did not become ready (exited, or not within 120 s)"
# If the server prints its own token (auth on, no fixed token honoured), use that one.
PRINTED=$(sed -n 's/.*Dashboard token: *\([^ ]*\).*/\1/p' "$HOME_DIR/app.log" | tail -1)
[ -n "$PRINTED" ] && TOKEN=$PRINTED

SHOTS=${SCREENSHOT_DIR:-$HOME_DIR/screenshots}
mkdir -p "$SHOTS"
set +e
# Dataset files the tests register must lie in the app's dataset root (the server hashes them itself).
mkdir -p "$HOME_DIR/datasets"
(cd frontend && E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_TOKEN="$TOKEN" CHROMIUM="$CHROMIUM" \
  E2E_DATASETS="$HOME_DIR/datasets" SCREENSHOT_DIR="$SHOTS" E2E_RESULTS="$RESULTS" npm run --silent e2e -- "$@")
RC=$?
set -e
cleanup
PID=""

read -r PASSED FAILED < <(playwright_counts "$RESULTS")
[ "$RC" -ne 0 ] && [ "$FAILED" = 0 ] && FAILED=1
echo "e2e-browser: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
