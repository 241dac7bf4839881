#!/usr/bin/env bash
# Local Keycloak for Trainyard development and tests: the real server (org.keycloak:keycloak-quarkus-dist
# from Maven Central), bound to 127.0.0.1 only, with infra/keycloak/realm-trainyard.json imported.
# All credentials in that realm are TEST-ONLY. See infra/keycloak/README.md.
#
#   infra/scripts/keycloak.sh fetch                       download (via Maven, cached in ~/.m2) and unpack
#   infra/scripts/keycloak.sh start [port]                start in the background (default 18180), wait until ready
#   infra/scripts/keycloak.sh stop                        stop the server started by 'start'
#   infra/scripts/keycloak.sh status                      print the issuer if running, exit 1 if not
#   infra/scripts/keycloak.sh token <user> [password]     password grant via trainyard-web; prints the access token
#   infra/scripts/keycloak.sh client-token <client> [secret]   client-credentials grant; prints the access token
#   infra/scripts/keycloak.sh decode [jwt]                print a JWT's payload as JSON (reads stdin if no arg)
#
# Environment: KC_PORT (port for token/status when no server state is recorded), KC_MGMT_PORT (management
# port for /health; default port+1), KC_START_TIMEOUT (seconds, default 180), KC_JAVA_HOME (JDK 17 or 21 to
# run Keycloak with), KC_FRESH=1 (start from an empty database), MAVEN_REPO_LOCAL (default ~/.m2/repository).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KC_VERSION=26.7.3
KC_ARTIFACT=org.keycloak:keycloak-quarkus-dist:$KC_VERSION:tar.gz
CACHE=$ROOT/infra/.keycloak
KC_HOME=$CACHE/keycloak-$KC_VERSION
REALM_FILE=$ROOT/infra/keycloak/realm-trainyard.json
REALM=trainyard
PID_FILE=$CACHE/keycloak.pid
PORT_FILE=$CACHE/keycloak.port
LOG_FILE=$CACHE/keycloak.log
M2_REPO=${MAVEN_REPO_LOCAL:-$HOME/.m2/repository}
TARBALL=$M2_REPO/org/keycloak/keycloak-quarkus-dist/$KC_VERSION/keycloak-quarkus-dist-$KC_VERSION.tar.gz

die() { echo "keycloak.sh: $*" >&2; exit 1; }
log() { echo "keycloak.sh: $*" >&2; }

jdk_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

# Keycloak 26 runs on JDK 17 or 21; prefer 17 (what it is tested with here). Set explicitly, never inherited.
pick_kc_java() {
  local c
  if [ -n "${KC_JAVA_HOME:-}" ]; then
    [ -x "$KC_JAVA_HOME/bin/java" ] || die "KC_JAVA_HOME=$KC_JAVA_HOME has no bin/java"
    export JAVA_HOME=$KC_JAVA_HOME; return 0
  fi
  for want in 17 21; do
    for c in "/usr/lib/jvm/java-$want-openjdk-amd64" /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/* \
             "${JAVA_HOME:-/nonexistent}"; do
      if [ -x "$c/bin/java" ] && [ "$(jdk_major "$c")" = "$want" ]; then
        export JAVA_HOME=$c; return 0
      fi
    done
  done
  die "Keycloak $KC_VERSION needs a JDK 17 or 21 (set KC_JAVA_HOME)"
}

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required"; }

kc_port() {
  if [ -f "$PORT_FILE" ]; then cat "$PORT_FILE"; else echo "${KC_PORT:-18180}"; fi
}
issuer_for() { echo "http://127.0.0.1:$1/realms/$REALM"; }

running_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # Guard against a recycled pid: it must still be our kc.sh / Keycloak JVM.
  if [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -e kc.sh -e keycloak; then
    return 1
  fi
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cmd_fetch() {
  if [ -f "$KC_HOME/.unpacked" ] && [ -x "$KC_HOME/bin/kc.sh" ]; then
    return 0
  fi
  need tar
  if [ ! -f "$TARBALL" ]; then
    log "downloading $KC_ARTIFACT through Maven (about 176 MB, cached in $M2_REPO)"
    pick_kc_java   # Maven itself runs on any JDK >= 8
    mkdir -p "$CACHE/download"
    # -N: only the root POM, no reactor; the artifact lands in the local repository as a side effect.
    "$ROOT/mvnw" -q -N -B -f "$ROOT/pom.xml" -Dmaven.repo.local="$M2_REPO" dependency:copy \
      -Dartifact="$KC_ARTIFACT" -DoutputDirectory="$CACHE/download" >&2 \
      || die "Maven could not fetch $KC_ARTIFACT"
    rm -rf "$CACHE/download"
    [ -f "$TARBALL" ] || die "expected $TARBALL after the download"
  fi
  if [ -f "$TARBALL.sha1" ] && command -v sha1sum >/dev/null; then
    local want got
    want=$(cut -c1-40 <"$TARBALL.sha1"); got=$(sha1sum "$TARBALL" | cut -c1-40)
    [ "$want" = "$got" ] || die "checksum mismatch for $TARBALL (delete it and retry)"
  fi
  log "unpacking into $KC_HOME"
  local tmp
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/unpack.XXXXXX")
  tar -xzf "$TARBALL" -C "$tmp"
  [ -x "$tmp/keycloak-$KC_VERSION/bin/kc.sh" ] || { rm -rf "$tmp"; die "unexpected archive layout"; }
  rm -rf "$KC_HOME"
  mv "$tmp/keycloak-$KC_VERSION" "$KC_HOME"
  rm -rf "$tmp"
  touch "$KC_HOME/.unpacked"
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" 2>/dev/null || true; }

is_ready() { # port mgmt_port
  local body
  body=$(curl -sf --max-time 5 "http://127.0.0.1:$2/health/ready" 2>/dev/null) || return 1
  echo "$body" | grep -q '"UP"' || return 1
  body=$(curl -sf --max-time 5 "$(issuer_for "$1")/.well-known/openid-configuration" 2>/dev/null) || return 1
  echo "$body" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["issuer"]==sys.argv[1] else 1)' \
    "$(issuer_for "$1")"
}

cmd_start() {
  local port=${1:-18180}
  [[ "$port" =~ ^[0-9]+$ ]] || die "port must be a number"
  local mport=${KC_MGMT_PORT:-$((port + 1))}
  need curl; need python3
  local pid
  if pid=$(running_pid); then
    local cur; cur=$(kc_port)
    [ "$cur" = "$port" ] || die "already running (pid $pid) on port $cur; run 'stop' first"
    local cur_m; cur_m=$(cat "$CACHE/keycloak.mgmt-port" 2>/dev/null || echo "$mport")
    if is_ready "$cur" "$cur_m"; then
      log "already running (pid $pid)"; issuer_for "$cur"; return 0
    fi
    log "pid $pid is running but not ready yet; waiting"
  else
    [ -f "$REALM_FILE" ] || die "missing $REALM_FILE"
    cmd_fetch
    pick_kc_java
    port_busy "$port" && die "port $port on 127.0.0.1 is already in use by another process"
    port_busy "$mport" && die "management port $mport on 127.0.0.1 is already in use (set KC_MGMT_PORT)"
    # Dev H2 file DB under $KC_HOME/data/h2: kept between starts (schema creation, master-realm setup and the
    # import cost most of a start), but wiped whenever the realm file changed or KC_FRESH=1, so the realm is
    # always exactly realm-trainyard.json (import strategy IGNORE_EXISTING would otherwise keep a stale one).
    local sum; sum=$(sha256sum "$REALM_FILE" | cut -c1-64)
    if [ "${KC_FRESH:-0}" = 1 ] || [ "$(cat "$CACHE/realm.sha256" 2>/dev/null)" != "$sum" ]; then
      log "fresh database (realm file changed, first start, or KC_FRESH=1)"
      rm -rf "$KC_HOME/data/h2" "$CACHE/realm.sha256"
    fi
    rm -rf "$KC_HOME/data/import"; mkdir -p "$KC_HOME/data/import"
    cp "$REALM_FILE" "$KC_HOME/data/import/realm-$REALM.json"
    echo "$port" >"$PORT_FILE"; echo "$mport" >"$CACHE/keycloak.mgmt-port"
    log "starting Keycloak $KC_VERSION on 127.0.0.1:$port (management 127.0.0.1:$mport), JAVA_HOME=$JAVA_HOME"
    # setsid: own process group, so 'stop' can end kc.sh and its JVM together and a Ctrl-C here leaves it up.
    JAVA_HOME=$JAVA_HOME setsid nohup "$KC_HOME/bin/kc.sh" start-dev \
      --http-host=127.0.0.1 --http-port="$port" --hostname="http://127.0.0.1:$port" \
      --http-management-host=127.0.0.1 --http-management-port="$mport" --health-enabled=true \
      --cache=local --db=dev-file --import-realm \
      </dev/null >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
  fi
  local pid; pid=$(cat "$PID_FILE")
  local deadline=$((SECONDS + ${KC_START_TIMEOUT:-180}))
  local t0=$SECONDS
  while ! is_ready "$port" "$mport"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -n 40 "$LOG_FILE" >&2 || true
      die "Keycloak exited during startup (log: $LOG_FILE)"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 40 "$LOG_FILE" >&2 || true
      die "not ready after ${KC_START_TIMEOUT:-180}s (still running as pid $pid; log: $LOG_FILE)"
    fi
    sleep 1
  done
  [ -n "${sum:-}" ] && echo "$sum" >"$CACHE/realm.sha256"
  log "ready after $((SECONDS - t0))s (pid $pid, log $LOG_FILE)"
  issuer_for "$port"
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$PID_FILE"; log "not running"; return 0
  fi
  log "stopping pid $pid"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after 30s; sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
}

cmd_status() {
  local pid port mport
  pid=$(running_pid) || { echo "not running"; return 1; }
  port=$(kc_port); mport=$(cat "$CACHE/keycloak.mgmt-port" 2>/dev/null || echo $((port + 1)))
  if is_ready "$port" "$mport"; then issuer_for "$port"; else echo "starting (pid $pid)"; return 1; fi
}

token_request() { # form args...
  need curl; need python3
  local url resp
  url="$(issuer_for "$(kc_port)")/protocol/openid-connect/token"
  resp=$(curl -s --max-time 15 -X POST "$url" "$@") || die "cannot reach $url (is Keycloak started?)"
  echo "$resp" | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
except ValueError:
    sys.exit("keycloak.sh: unexpected token response")
if "access_token" not in r:
    sys.exit("keycloak.sh: token request failed: " + json.dumps(r))
print(r["access_token"])'
}

cmd_token() {
  [ $# -ge 1 ] || die "usage: token <user> [password]  (test users' password is <user>-pass)"
  local user=$1 pass=${2:-$1-pass}
  token_request --data-urlencode grant_type=password --data-urlencode client_id=trainyard-web \
    --data-urlencode "username=$user" --data-urlencode "password=$pass" --data-urlencode scope=openid
}

cmd_client_token() {
  [ $# -ge 1 ] || die "usage: client-token <client> [secret]"
  local client=$1 secret=${2:-}
  if [ -z "$secret" ]; then
    case "$client" in  # the realm's TEST-ONLY secrets
      trainyard-ci) secret=ci-secret-for-local-tests-only ;;
      trainyard-worker) secret=worker-secret-for-local-tests-only ;;
      *) die "usage: client-token <client> <secret>" ;;
    esac
  fi
  token_request --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$client" \
    --data-urlencode "client_secret=$secret"
}

cmd_decode() {
  local jwt=${1:-}
  [ -n "$jwt" ] || jwt=$(cat)
  python3 -c '
import base64, json, sys
p = sys.argv[1].strip().split(".")[1]
print(json.dumps(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))), indent=2, sort_keys=True))' "$jwt"
}

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
  fetch) shift; cmd_fetch "$@" ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop ;;
  status) shift; cmd_status ;;
  token) shift; cmd_token "$@" ;;
  client-token) shift; cmd_client_token "$@" ;;
  decode) shift; cmd_decode "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
