#!/usr/bin/env bash
# Team mode end to end in a real Chromium (Debian's): the packaged app runs against the real Keycloak
# (started by the test command), a user signs in through Keycloak's own login page (authorization code
# + PKCE, session cookie) and launches a run from the dashboard's form; the run is recorded as theirs.
# Prints "e2e-keycloak-signin: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib.sh
pick_jdk

# 18081 is one of trainyard-web's registered redirect URIs (infra/keycloak/realm-trainyard.json).
PORT=18081
TEMPORAL_PORT=${E2E_TEMPORAL_PORT:-17236}
KEYCLOAK=${TRAINYARD_TEST_KEYCLOAK:-http://127.0.0.1:18180}
APP=backend/target/quarkus-app/quarkus-run.jar
HOME_DIR=$(mktemp -d /tmp/trainyard-e2e-keycloak.XXXXXX)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
RESULTS="$HOME_DIR/results.json"
TEMPLATE=team-a-greeting
PID=""

cleanup() { stop_pid "$PID"; }
trap 'cleanup; rm -rf "$HOME_DIR"' EXIT

fail() {
  echo "FAIL: $*" >&2
  tail -n 40 "$HOME_DIR/app.log" >&2 2>/dev/null || true
  echo "e2e-keycloak-signin: 0 passed, 1 failed"
  exit 1
}

[ -f "$APP" ] || fail "no packaged app at $APP (./mvnw package)"
[ -x "$CHROMIUM" ] || fail "no Chromium at $CHROMIUM (apt-get install -y chromium)"
curl -fs "$KEYCLOAK/realms/trainyard/.well-known/openid-configuration" >/dev/null \
  || fail "Keycloak is not serving $KEYCLOAK/realms/trainyard (infra/scripts/keycloak.sh start)"

# The state secret encrypts the PKCE verifier in a cookie: random per start, passed in the environment
# (never on the command line, where ps would show it).
QUARKUS_OIDC_AUTHENTICATION_STATE_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '/+=\n') \
"$JAVA_HOME/bin/java" -Dquarkus.http.port=$PORT -Dtrainyard.temporal.embedded-port="$TEMPORAL_PORT" \
  -Dtrainyard.home="$HOME_DIR" -Dtrainyard.auth.mode=oidc -Dquarkus.oidc.tenant-enabled=true \
  -Dquarkus.oidc.auth-server-url="$KEYCLOAK/realms/trainyard" -Dquarkus.oidc.client-id=trainyard-web \
  -jar "$APP" >"$HOME_DIR/app.log" 2>&1 &
PID=$!
await_ready "$PORT" "$PID" || fail "the app did not become ready (exited, or not within 120 s)"

# An admin (bearer token from Keycloak) gives team-a a template; operator-a then launches it in the browser.
ADMIN_TOKEN=$(bash infra/scripts/keycloak.sh token admin) || fail "no admin token from Keycloak"
cat >"$HOME_DIR/template.yaml" <<YAML
apiVersion: trainyard/v1
kind: Pipeline
name: $TEMPLATE
description: team-a's greeting, launched from the browser after signing in with Keycloak
params:
  greeting: {type: string, default: "hello from team a"}
steps:
  - id: greet
    kind: command
    run: printf '%s\\n' "\$TRAINYARD_PARAM_GREETING" > "\$TRAINYARD_OUTPUT/greeting.txt"
YAML
STATUS=$(curl -s -o "$HOME_DIR/create.json" -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/api/v1/templates?team=team-a" \
  -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/yaml' --data-binary @"$HOME_DIR/template.yaml")
[ "$STATUS" = 201 ] || fail "creating the team-a template answered $STATUS: $(cat "$HOME_DIR/create.json")"

(cd frontend && [ -d node_modules/@playwright/test ] || npm ci --no-audit --no-fund >/dev/null) || fail "npm ci failed"
set +e
(cd frontend && E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_KEYCLOAK_USER=operator-a E2E_KEYCLOAK_PASSWORD=operator-a-pass \
  E2E_TEMPLATE=$TEMPLATE CHROMIUM="$CHROMIUM" E2E_RESULTS="$RESULTS" \
  npx playwright test -c e2e/playwright.config.ts keycloak-signin)
RC=$?
set -e
cleanup
PID=""

read -r PASSED FAILED < <(playwright_counts "$RESULTS")
[ "$RC" -ne 0 ] && [ "$FAILED" = 0 ] && FAILED=1
[ "$PASSED" = 0 ] && [ "$FAILED" = 0 ] && FAILED=1  # skipped is not passed
echo "e2e-keycloak-signin: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
