#!/usr/bin/env bash
# Starts an image built by Jib without a container engine, to show it runs: its layers are unpacked
# into a directory and its entrypoint runs there in a chroot, in mount and PID namespaces of its own,
# as the image's user, with the image's environment.
#
#   infra/images/smoke-test.sh backend    backend/target/trainyard-backend-image.tar: local mode starts
#                                         and answers /q/health/started, /live and /ready (the chart's probes)
#   infra/images/smoke-test.sh worker     workers/target/trainyard-worker-image.tar: --help, and python3
#                                         imports torch
#
# Needs root (chroot, mount); the host's network is shared, so the backend listens on a free
# loopback port. Not part of ./trainyard test (the images are built on purpose, docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
kind=${1:-}
case "$kind" in
  backend) image=backend/target/trainyard-backend-image.tar ;;
  worker) image=workers/target/trainyard-worker-image.tar ;;
  *) echo "usage: infra/images/smoke-test.sh backend|worker" >&2; exit 2 ;;
esac
[ -f "$image" ] || { echo "no $image: build it first (docs/deploy.md, \"Images\")" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "smoke-test.sh needs root (chroot and mount)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/trainyard-image-smoke.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -n 30 "$tmp/out.log" >&2 2>/dev/null || true; echo "image-smoke-$kind: 0 passed, 1 failed"; exit 1; }

mkdir -p "$tmp/image" "$tmp/root"
tar -xf "$image" -C "$tmp/image"
# The image's layers in order, and its user, environment and entrypoint (read from its config).
python3 - "$tmp/image" >"$tmp/spec" <<'PY'
import json, shlex, sys
d = sys.argv[1]
manifest = json.load(open(f"{d}/manifest.json"))[0]
config = json.load(open(f"{d}/{manifest['Config']}"))["config"]
print("layers=(" + " ".join(shlex.quote(f"{d}/{l}") for l in manifest["Layers"]) + ")")
print("user=" + shlex.quote(config.get("User", "0:0")))
print("workdir=" + shlex.quote(config.get("WorkingDir", "/")))
print("envs=(" + " ".join(shlex.quote(e) for e in config.get("Env", [])) + ")")
print("entrypoint=(" + " ".join(shlex.quote(a) for a in config.get("Entrypoint", [])) + ")")
PY
. "$tmp/spec"
for layer in "${layers[@]}"; do tar --warning=no-unknown-keyword -xf "$layer" -C "$tmp/root"; done
uid=${user%%:*} gid=${user##*:}

run_in_image() { # env... -- command...
  local extra=()
  while [ "$1" != -- ]; do extra+=("$1"); shift; done
  shift
  unshare --mount --pid --fork sh -c '
    root=$1; shift
    mkdir -p "$root/dev" "$root/proc"
    # A mount of its own, as a container root is (Java finds a file store through /proc/self/mounts).
    mount --bind "$root" "$root" && mount --rbind /dev "$root/dev" && mount -t proc proc "$root/proc" || exit 1
    exec chroot "$root" "$@"' sh "$tmp/root" \
    /usr/bin/setpriv --reuid="$uid" --regid="$gid" --clear-groups \
    /usr/bin/env -i "${envs[@]}" HOME=/tmp "${extra[@]}" sh -c 'cd "$0" && exec "$@"' "$workdir" "$@"
}

if [ "$kind" = backend ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  run_in_image TRAINYARD_HOME=/tmp/home QUARKUS_HTTP_PORT="$port" TRAINYARD_TEMPORAL_EMBEDDED_PORT=0 -- \
    "${entrypoint[@]}" >"$tmp/out.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 480); do
    curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || fail "the backend exited during start"
    sleep 0.5
  done
  for probe in started live ready; do
    code=$(curl -s -o "$tmp/$probe.json" -w '%{http_code}' "http://127.0.0.1:$port/q/health/$probe")
    [ "$code" = 200 ] || fail "/q/health/$probe answered $code"
    echo "/q/health/$probe: $code $(tr -d ' \n' <"$tmp/$probe.json" | head -c 200)"
  done
  echo "image-smoke-backend: 1 passed, 0 failed"
else
  run_in_image -- "${entrypoint[@]}" --help >"$tmp/out.log" 2>&1 || fail "the worker's --help failed"
  grep -q -- "--task-key" "$tmp/out.log" || fail "no usage from the worker"
  run_in_image -- python3 -c 'import torch, numpy, jinja2; print("torch", torch.__version__)' >"$tmp/out.log" 2>&1 \
    || fail "python3 in the image cannot import torch, numpy and jinja2"
  cat "$tmp/out.log"
  echo "image-smoke-worker: 1 passed, 0 failed"
fi
