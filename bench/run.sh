#!/usr/bin/env bash
# The benchmark suite in one command, as root on Debian 12: installs what is missing,
# builds the exporter and the bench tools, and runs bench/run.py, which writes
# bench/results/results.json and the results part of docs/performance.md.
#
#   bench/run.sh                 quick mode (a few minutes)
#   bench/run.sh --full          more repetitions and sizes (about half an hour)
#   bench/run.sh --only=scrape,table     some phases: bpf, keys, throughput, scrape, table, events, drops
#   bench/run.sh --help          every option
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $EUID -ne 0 ]]; then
  echo "bench/run.sh: run as root (BPF programs, network namespaces)" >&2
  exit 1
fi
bash scripts/install-deps.sh --bench
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target nfct_exporter nf_empty flood scrape_stages drop_empty
python3 bench/run.py "$@"
# The drop probe (bench/drops.py): drops per second it counts, and its cost per dropped
# packet next to an empty program at skb:kfree_skb. --only=... without "drops" skips it.
exec python3 bench/drops.py "$@"
