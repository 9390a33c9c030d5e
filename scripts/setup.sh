#!/usr/bin/env bash
# Installs whatever is missing, and nothing that is already there:
#   - the npm dependencies, including Node 24 itself (npm package `node`), never the machine's Node;
#   - the dashboard's build (packages/web, Vite), when its sources changed since the last one;
#   - bubblewrap, the sandbox the runner starts submissions in (Debian package, when we are root);
#   - with `setup.sh test`: PyTorch for the GPU challenge harness's CPU tests (Debian python3-torch)
#     Chromium for the dashboard's browser test (Debian chromium), and faketime for the clock-jump tests.
# Safe to run again: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.agora-installed
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "agora setup: installing npm dependencies (Node 24 comes with them)" >&2
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  touch "$stamp"
fi

node_modules/.bin/node packages/web/src/build.ts

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || { echo "agora setup: cannot install $* (not root or no apt-get); the parts that need it will say so" >&2; return 0; }
  echo "agora setup: installing $*" >&2
  { apt-get install -y -qq "$@" || { apt-get update -qq && apt-get install -y -qq "$@"; }; } >/dev/null 2>&1 \
    || echo "agora setup: could not install $*; the parts that need it will say so" >&2
}

command -v bwrap >/dev/null || apt_install bubblewrap
if [ "${1:-}" = test ]; then
  /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || apt_install python3-torch python3-numpy
  [ -x /usr/bin/chromium ] || apt_install chromium
  command -v faketime >/dev/null || apt_install faketime
fi
