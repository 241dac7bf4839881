#!/usr/bin/env bash
# Installs the system packages the tests use, when they are missing: Debian's Chromium (browser
# tests), Debian's PyTorch with OpenBLAS for Debian's own python3 (trainer tests) and PostgreSQL's
# server binaries (the backend-kill fault test). As root on Debian it installs them with apt-get;
# elsewhere it says exactly what is missing and stops.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import torch' 2>/dev/null || missing+=(python3-torch)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
# The tokenize step renders chat templates with jinja2, as Hugging Face's apply_chat_template does.
/usr/bin/python3 -c 'import jinja2' 2>/dev/null || missing+=(python3-jinja2)
# PostgreSQL's server binaries: e2e-backend-kill.sh runs a PostgreSQL server of its own.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
ls /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas*.so* >/dev/null 2>&1 \
  || ls /usr/lib/*/openblas-openmp/libopenblas*.so* >/dev/null 2>&1 || missing+=(libopenblas0-openmp)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing test prerequisites: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
