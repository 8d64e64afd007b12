#!/usr/bin/env bash
# Runs CodeCrucible with any arguments it takes (`scripts/run.sh -p "PROMPT"`, or none for
# the full-screen app). If the configured fast server (LM Studio, or whatever
# `hybrid.lm_studio.endpoint` names) does not answer, it first brings up a real local model
# (llama.cpp's llama-server with SmolLM2-135M-Instruct, installed once and cached by
# scripts/real-server.sh) and points the fast backend at it. A fast server that answers is
# kept, whatever the quality server's state.
#
# CODECRUCIBLE_BIN names a codecrucible binary to run instead of building the release one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="${CODECRUCIBLE_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  bin="$root/target/release/codecrucible"
fi

# doctor exits non-zero when either server is down, so read the fast server's own entry:
# "up" when it answers, "off" when the user switched it off, "down" otherwise.
fast_state() {
  "$bin" doctor --json 2>/dev/null | python3 -c '
import json, sys
try:
    fast = next(h for h in json.load(sys.stdin) if h["backend"] == "lmstudio")
except Exception:
    print("down"); sys.exit()
print("up" if fast["up"] else "off" if not fast["enabled"] else "down")'
}

if [ "$(fast_state)" = down ]; then
  url=$("$root/scripts/real-server.sh" start)
  echo "run.sh: the fast server did not answer; using the local llama-server at $url (SmolLM2-135M-Instruct) as the fast server" >&2
  export CODECRUCIBLE_LMSTUDIO_URL="$url"
fi
exec "$bin" "$@"
