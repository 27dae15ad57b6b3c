#!/usr/bin/env bash
# Runs libFuzzer targets for a bounded time each, from the committed corpus, and fails on
# any crash, leak, sanitizer report, timeout or out-of-memory.
#
#   fuzz/run.sh [-b BUILD_DIR] [-t SECONDS] [-o OUT_DIR] [TARGET...]
#
# TARGET is a name of fuzz/corpus/ (the binary is BUILD_DIR/fuzz/fuzz_TARGET), or
# BINARY=CORPUS to run another binary of BUILD_DIR/fuzz on a corpus (fuzz/selftest.sh).
# Default: every target, 30 s each, BUILD_DIR build-fuzz. New inputs the fuzzer finds go to
# OUT_DIR/<target>/corpus (the committed corpus is read, never written); a crashing input
# is saved as OUT_DIR/<target>/crash-* and the log as OUT_DIR/<target>.log.
# Exit status: 0 when every target ran clean, 1 otherwise.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build=build-fuzz
seconds=30
out=""
while getopts "b:t:o:" opt; do
  case "$opt" in
    b) build="$OPTARG" ;;
    t) seconds="$OPTARG" ;;
    o) out="$OPTARG" ;;
    *) echo "usage: $0 [-b BUILD_DIR] [-t SECONDS] [-o OUT_DIR] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=("$@")
if ((${#targets[@]} == 0)); then
  for d in "$here"/corpus/*/; do targets+=("$(basename "$d")"); done
fi
[[ -n "$out" ]] || out="$build/fuzz-out"
mkdir -p "$out"

# Leaks are checked at exit of each input's run by libFuzzer's -detect_leaks (ASan's
# LeakSanitizer); UBSan is built not to recover, and halt_on_error covers the rest.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"

failed=()
for spec in "${targets[@]}"; do
  if [[ "$spec" == *=* ]]; then
    bin="$build/fuzz/${spec%%=*}" corpus="${spec#*=}" name="${spec%%=*}"
  else
    bin="$build/fuzz/fuzz_$spec" corpus="$spec" name="$spec"
  fi
  seeds="$here/corpus/$corpus"
  if [[ ! -x "$bin" || ! -d "$seeds" ]]; then
    echo "FAIL $name: no binary $bin or no corpus $seeds" >&2
    failed+=("$name")
    continue
  fi
  work="$out/$name"
  rm -rf "$work" && mkdir -p "$work/corpus"
  log="$out/$name.log"
  # -timeout: one input running longer is a hang (a spinning walk, say), reported as a
  # failure with its input saved. -rss_limit_mb: memory growth is a failure too.
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -error_exitcode=77 \
    -timeout_exitcode=78 -detect_leaks=1 -print_final_stats=1 -artifact_prefix="$work/" \
    "$work/corpus" "$seeds" >"$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # Belt and braces: a sanitizer report or failed check in the log fails the target even
  # if some runtime setting let the process exit 0.
  if ((rc != 0)) || grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|FUZZ_CHECK failed|deadly signal' "$log"; then
    echo "FAIL $name: exit $rc after ${runs:-?} runs; log $log" >&2
    grep -m1 -E 'ERROR: |runtime error:|FUZZ_CHECK failed|deadly signal|what\(\)' "$log" >&2 || true
    ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* 2>/dev/null | sed 's/^/  input: /' >&2
    failed+=("$name")
  else
    echo "ok   $name: ${runs:-?} runs in ${seconds}s, $(find "$work/corpus" -type f | wc -l) new corpus inputs"
  fi
done
if ((${#failed[@]})); then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets clean"
