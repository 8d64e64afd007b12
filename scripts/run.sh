#!/usr/bin/env bash
# Runs CodeCrucible with any arguments it takes (`scripts/run.sh -p "PROMPT"`, or none for
# the full-screen app). If neither configured server answers, it first brings up a real
# local model (llama.cpp's llama-server with gemma-3 270M, installed once and cached by
# scripts/real-server.sh) and points the fast backend at it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/codecrucible"

if ! "$bin" doctor --json 2>/dev/null | grep -q '"up": true'; then
  url=$("$root/scripts/real-server.sh" start)
  echo "run.sh: neither LM Studio nor Ollama answered; using the local llama-server at $url as the fast server" >&2
  export CODECRUCIBLE_LMSTUDIO_URL="$url"
fi
exec "$bin" "$@"
