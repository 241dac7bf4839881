# Shared by ./trainyard and CI: pick a JDK >= 21 (the build targets Java 21).
java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1; }

pick_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  for candidate in /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/*; do
    if [ -x "$candidate/bin/javac" ] && [ "$(java_major "$candidate")" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "Trainyard needs a JDK 21 or newer (set JAVA_HOME, or install e.g. openjdk-21-jdk / Temurin 21+)." >&2
  exit 1
}

# Stops a process: SIGTERM, then SIGKILL after 10 s. Nothing to do for an empty or dead pid.
stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Waits for the app on 127.0.0.1:<port> to be ready. Returns 1 if <pid> exits, 2 after 120 s.
await_ready() {
  local port=$1 pid=$2
  for _ in $(seq 1 240); do
    curl -fs "http://127.0.0.1:$port/q/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  return 2
}

# Prints "<passed> <failed>" from a Playwright JSON report (an unreadable report counts as one failure).
playwright_counts() {
  node -e '
    const fs = require("fs");
    let p = 0, f = 0;
    try {
      const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
      p = r.stats.expected ?? 0;
      f = (r.stats.unexpected ?? 0) + (r.stats.flaky ?? 0);
    } catch { f = 1; }
    console.log(p, f);
  ' "$1"
}
