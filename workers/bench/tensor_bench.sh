#!/usr/bin/env bash
# Trainyard tensor engine vs a numpy memmap peer: same files, page cache warm, one run each.
# usage: workers/bench/tensor_bench.sh [MB per checkpoint, default 1024] [work dir] [earlier worker jar]
# Needs the worker jar: ./mvnw -q -B -pl workers -am package -DskipTests
# BENCH_JAVA_OPTS: extra JVM options for Trainyard (e.g. -Xmx to check the memory bound, or JFR).
# With an earlier worker jar (a copy of workers/target/trainyard-worker.jar built from another
# commit), that one runs too, in the same run, as "before".
set -euo pipefail
MB=${1:-1024}; W=${2:-/tmp/tensor-bench}; BEFORE=${3:-}
cd "$(dirname "$0")/../.."
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
CP=workers/target/trainyard-worker.jar
# shellcheck disable=SC2206
OPTS=(${BENCH_JAVA_OPTS:-})
mkdir -p "$W"
for s in 0 1 2; do [ -f "$W/m$s/model.safetensors" ] || python3 workers/bench/numpy_peer.py gen "$W/m$s" $s "$MB"; done
cat "$W"/m*/model.safetensors > /dev/null   # warm the page cache
GB=$(du -cb "$W"/m*/model.safetensors | tail -1 | awk '{print $1/1e9}')
printf 'method: linear\nmodels:\n  - {model: m0, weight: 1}\n  - {model: m1, weight: 1}\n  - {model: m2, weight: 1}\n' > "$W/linear.yaml"
printf 'method: ties\nbase: m0\nmodels:\n  - {model: m1, weight: 1.0, density: 0.5}\n  - {model: m2, weight: 0.5, density: 0.3}\n' > "$W/ties.yaml"
run() { # label, command...
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$W/time" "$@" > /dev/null 2>"$W/err" || { cat "$W/err"; exit 1; }
  read -r secs rss usr sys < "$W/time"
  awk -v l="$label" -v s="$secs" -v r="$rss" -v g="$GB" -v u="$usr" -v y="$sys" 'BEGIN{printf "%-22s %7.2f s  %6.2f GB/s (input)  peak RSS %6.0f MB  CPU %5.2f s (user %.2f, sys %.2f)\n", l, s, g/s, r/1024, u+y, u, y}'
}
echo "inputs: 3 x ${MB} MB bf16 = ${GB} GB; $(nproc) cores; $(lscpu | sed -n 's/Model name: *//p')"
for m in linear ties; do
  rm -rf "$W/out-j" "$W/out-p.safetensors"
  if [ -n "$BEFORE" ]; then
    run "before $m" "$JAVA" "${OPTS[@]}" -cp "$BEFORE" dev.trainyard.worker.tensor.TensorCli merge --config "$W/$m.yaml" --out "$W/out-j" --quiet
    rm -rf "$W/out-j"
  fi
  run "trainyard $m" "$JAVA" "${OPTS[@]}" -cp "$CP" dev.trainyard.worker.tensor.TensorCli merge --config "$W/$m.yaml" --out "$W/out-j" --quiet
  run "numpy-memmap $m" python3 workers/bench/numpy_peer.py $m "$W/out-p.safetensors" "$W"/m0/model.safetensors "$W"/m1/model.safetensors "$W"/m2/model.safetensors
done
F="$W/m0/model.safetensors"
run "sha256sum" sha256sum "$F"
cat > "$W/Hash.java" <<'J'
import java.io.*; import java.security.*; import java.nio.file.*;
public class Hash { public static void main(String[] a) throws Exception {
  MessageDigest md = MessageDigest.getInstance("SHA-256"); byte[] b = new byte[1 << 20];
  try (InputStream in = Files.newInputStream(Path.of(a[0]))) { for (int n; (n = in.read(b)) > 0; ) md.update(b, 0, n); }
  System.out.println(java.util.HexFormat.of().formatHex(md.digest())); } }
J
run "java sha256 (JDK)" "$JAVA" "$W/Hash.java" "$F"
