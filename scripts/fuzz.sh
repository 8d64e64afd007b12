#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that read untrusted input (fuzz/src/lib.rs says
# what each target checks): ./scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Installs cargo-fuzz once into a cache outside the repo, builds every target with
# libFuzzer (on a stable toolchain through RUSTC_BOOTSTRAP=1, since cargo-fuzz passes
# nightly flags; no sanitizer, debug assertions on), then runs each for the given time
# (default 300 s). Prints per target the executions and whether it failed; exits non-zero
# if any target crashed, ran out of memory or hung. Failing inputs land in
# fuzz/artifacts/TARGET/; copy one to fuzz/regressions/TARGET/ once fixed, and the test
# suite runs it from then on (tests/suite/fuzz_quick.rs). The corpus a run grows is kept
# in fuzz/work/ (not committed) and reused by the next run.
#
# FUZZ_JOBS=2 runs two targets at a time (the default is one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root/fuzz"

seconds=${1:-300}
shift || true
all=(sse ndjson config confidence fence markdown terminal)
if [ "$#" -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
jobs=${FUZZ_JOBS:-1}

CACHE="${CODECRUCIBLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codecrucible}"
export PATH="$CACHE/tools/bin:$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz into $CACHE/tools (once)" >&2
  cargo install cargo-fuzz --locked --root "$CACHE/tools" >&2
fi
if ! command -v c++ >/dev/null 2>&1; then
  echo "fuzz.sh: libFuzzer is C++; install a C++ compiler (apt-get install g++) and run again" >&2
  exit 1
fi

export RUSTC_BOOTSTRAP=1
echo "fuzz.sh: building ${#all[@]} targets" >&2
cargo fuzz build --sanitizer none --debug-assertions >&2
bin="$root/fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"

# -rss_limit_mb: a parser whose memory grows with its input fails here; the harness makes
#   its 10 MB lines from a small input (fuzz/src/lib.rs, Input::stream), so the inputs
#   themselves stay below -max_len.
# -timeout: one input taking this long is a hang (a 12 MiB answer scores in seconds).
run() {
  local t=$1 log="$root/fuzz/work/$1.log"
  mkdir -p "work/corpus/$t" "artifacts/$t"
  local start=$SECONDS status=0
  "$bin/$t" "work/corpus/$t" "corpus/$t" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -timeout=60 \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$status" = 0 ]; then
    printf '%-11s %12s executions in %4ss, no crash\n' "$t" "${execs:-?}" "$((SECONDS - start))"
  else
    printf '%-11s %12s executions in %4ss, FAILED (exit %s): %s\n' "$t" "${execs:-?}" \
      "$((SECONDS - start))" "$status" "$(grep -m1 -o 'Test unit written to .*' "$log" || echo "see $log")"
  fi
  return "$status"
}

mkdir -p work
failed=0
pids=()
for t in "${targets[@]}"; do
  run "$t" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "$jobs" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if [ "$failed" != 0 ]; then
  echo "fuzz.sh: a target failed; the logs are in fuzz/work/, the inputs in fuzz/artifacts/" >&2
fi
exit "$failed"
