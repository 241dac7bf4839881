#!/usr/bin/env bash
# End to end, as a user would see it: the README's "Command-line client" walkthrough, run exactly
# as written (its one fenced bash block, extracted from README.md) against a private local
# Trainyard started from the packaged app. HOME points at a fresh directory whose ~/.trainyard is
# that Trainyard's home, so the block's `~/.trainyard/...` paths and `login`'s local token are its.
# Checks what the user would see: the run SUCCEEDED, the pulled file's sha256 is the one the API's
# manifest gives, and the refused launch named its problem path and exited non-zero.
set -euo pipefail
cd "$(dirname "$0")/../.."
. infra/scripts/lib.sh
pick_jdk

APP=backend/target/quarkus-app/quarkus-run.jar
CLI=cli/target/trainyard-cli.jar
USER_HOME=$(mktemp -d /tmp/trainyard-e2e-cli.XXXXXX)
HOME_DIR=$USER_HOME/.trainyard
PORT=18091
PID=""

cleanup() {
  stop_pid "$PID"
  rm -rf "$USER_HOME"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- walkthrough output ---" >&2
  cat "$USER_HOME/walkthrough.log" >&2 2>/dev/null || true
  echo "--- last app log ---" >&2
  tail -n 40 "$HOME_DIR/app.log" >&2 || true
  echo "e2e-cli: 0 passed, 1 failed"
  exit 1
}

[ -f "$APP" ] || fail "$APP is missing: package the app first (./mvnw -B -DskipTests package)"
# Build the client now, with the real HOME (the walkthrough's ./trainyard then finds it fresh).
./trainyard --version >/dev/null || fail "the command-line client does not build"

# Exactly the README's block: the first ```bash fence after the "## Command-line client" heading.
python3 - README.md >"$USER_HOME/walkthrough.sh" <<'PY' || fail "README.md has no bash block under '## Command-line client'"
import re, sys
text = open(sys.argv[1]).read()
section = text.split("\n## Command-line client\n", 1)[1].split("\n## ", 1)[0]
print(re.search(r"^```bash\n(.*?)^```$", section, re.S | re.M).group(1), end="")
PY

mkdir -p "$HOME_DIR"
"$JAVA_HOME/bin/java" -Dquarkus.http.port=$PORT -Dtrainyard.temporal.embedded-port=17241 \
  -Dtrainyard.home="$HOME_DIR" -jar "$APP" >"$HOME_DIR/app.log" 2>&1 &
PID=$!
await_ready "$PORT" "$PID" || fail "the app did not become ready (exited, or not within 120 s)"

echo "running the README's CLI walkthrough ($(wc -l <"$USER_HOME/walkthrough.sh") lines)"
HOME=$USER_HOME TRAINYARD_URL=http://127.0.0.1:$PORT XDG_CONFIG_HOME=$USER_HOME/.config \
  bash -euo pipefail "$USER_HOME/walkthrough.sh" >"$USER_HOME/walkthrough.log" 2>&1 \
  || fail "the walkthrough exited $?"
OUT=$USER_HOME/walkthrough.log

# The checks read the catalog through the API itself, not through the client under test.
AUTH="Authorization: Bearer $(cat "$HOME_DIR/local-token")"
API=http://127.0.0.1:$PORT/api/v1
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1], {'d': d}))" "$1"; }
RUN=$(curl -fs -H "$AUTH" "$API/runs?template=hello-cli&limit=1" | json "d['items'][0]['id']")
STATUS=$(curl -fs -H "$AUTH" "$API/runs/$RUN" | json "d['status']")
[ "$STATUS" = SUCCEEDED ] || fail "the walkthrough's run $RUN is $STATUS"
grep -q "run $RUN SUCCEEDED" "$OUT" || fail "launch --watch did not print that $RUN SUCCEEDED"
ART=$(curl -fs -H "$AUTH" "$API/runs/$RUN" | json "d['steps'][0]['outputs']['output']['artifactId']")
SHA=$(curl -fs -H "$AUTH" "$API/artifacts/$ART" | json "[f['sha256'] for f in d['files'] if f['path'] == 'hello.txt'][0]")
PULLED=$(sed -n "s|^$SHA  \(.*/out/hello.txt\)$|\1|p" "$OUT")
[ -n "$PULLED" ] || fail "sha256sum of the pulled hello.txt is not the API's $SHA"
grep -q "^hello, cli$" "$OUT" || fail "the step's log was not shown"
grep -q "^alias hello-latest -> $ART$" "$OUT" || fail "aliases set did not point hello-latest at $ART"
[ "$(curl -fs -H "$AUTH" "$API/aliases/hello-latest" | json "d['artifactId']")" = "$ART" ] || fail "the alias is not in the catalog"
grep -q "^dataset notes:v1 " "$OUT" || fail "datasets register did not print the new version"
grep -q "params.lines" "$OUT" || fail "the refused launch did not show its problem path"
grep -q "^refused, exit 1$" "$OUT" || fail "the refused launch did not exit 1"

# Beyond the walkthrough (it has no model to import): checkpoints import of a minimal Hugging Face
# folder (config.json and a 2x2 F32 model.safetensors written here byte by byte), through the client.
MODEL=$HOME_DIR/datasets/tiny-llama
mkdir -p "$MODEL"
python3 - "$MODEL" <<'PY'
import json, struct, sys
d = sys.argv[1]
json.dump({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}, open(d + "/config.json", "w"))
header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}).encode()
header += b" " * (-len(header) % 8)
open(d + "/model.safetensors", "wb").write(struct.pack("<Q", len(header)) + header + struct.pack("<4f", 1, 2, 3, 4))
PY
IMPORTED=$(HOME=$USER_HOME TRAINYARD_URL=http://127.0.0.1:$PORT XDG_CONFIG_HOME=$USER_HOME/.config \
  ./trainyard checkpoints import "$MODEL" --name tiny-llama -o json 2>&1) || fail "checkpoints import failed: $IMPORTED"
CKPT=$(echo "$IMPORTED" | json "d['id']")
[ "$(curl -fs -H "$AUTH" "$API/artifacts/$CKPT" | json "(d['type'], d['name'], d['parameters'])")" = "('checkpoint', 'tiny-llama', 4)" ] \
  || fail "the imported checkpoint is not in the catalog as tiny-llama with 4 parameters: $IMPORTED"
echo "walkthrough: run $RUN SUCCEEDED; pulled hello.txt sha256 $SHA = the API's; alias, dataset, refusal as shown; checkpoints import $CKPT"
echo "e2e-cli: 1 passed, 0 failed"
