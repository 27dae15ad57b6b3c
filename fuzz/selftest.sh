#!/usr/bin/env bash
# Shows that fuzz/run.sh (the CI fuzz stage) fails when a target crashes: it runs two
# self-test builds of the targets, each with one defence taken out, on the committed
# corpus, and expects the runner to fail with the right report:
#   - the /events query target with the strict json::dump() of before issue 9's fix: the
#     corpus input "%ff" throws type_error 316, an uncaught exception (libFuzzer: deadly
#     signal);
#   - the ctnetlink target without walk_reply()'s length checks: the corpus datagram
#     header_only (16 bytes, its header claiming 64) makes the parser read past it (ASan
#     heap-buffer-overflow).
# Then it checks that the real targets pass on the same inputs.
#   fuzz/selftest.sh [BUILD_DIR]
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build-fuzz}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
status=0

expect_failure() {  # name spec pattern
  local name="$1" spec="$2" pattern="$3"
  if bash "$here/run.sh" -b "$build" -t 10 -o "$out/$name" "$spec" >/dev/null 2>&1; then
    echo "FAIL selftest $name: the runner passed a crashing target" >&2
    status=1
  elif ! grep -qE "$pattern" "$out/$name/${spec%%=*}.log"; then
    echo "FAIL selftest $name: the runner failed, but without '$pattern' in the log" >&2
    status=1
  else
    echo "ok   selftest $name: the runner failed with '$pattern'"
  fi
}

expect_failure strict_dump selftest_events_query_strict_dump=events_query 'type_error.*316|invalid UTF-8'
expect_failure no_walk selftest_ctnetlink_no_walk=ctnetlink 'AddressSanitizer: heap-buffer-overflow'

# The real targets on the same corpus (a short run: the fuzz stage runs them longer).
if bash "$here/run.sh" -b "$build" -t 2 -o "$out/real" events_query ctnetlink >/dev/null 2>&1; then
  echo "ok   selftest: the fixed targets pass on the same corpus"
else
  echo "FAIL selftest: the fixed targets fail on the corpus (logs were in $out/real)" >&2
  status=1
fi
exit $status
