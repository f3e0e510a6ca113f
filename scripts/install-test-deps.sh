#!/usr/bin/env bash
# Installs everything the test suite needs: the npm dependencies (better-sqlite3 builds from source,
# approved in package.json's allowScripts) and Debian's chromium for the console's headless-browser test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# npm install, not npm ci: this registry serves only this platform's optional binaries, so the lock
# file cannot list the others, and npm ci refuses a lock file without them.
npm install --no-audit --no-fund
