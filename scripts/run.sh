#!/usr/bin/env bash
# Installs what is missing, builds, and starts the exporter with the shipped config.
# Extra arguments go to nfct_exporter (for example --web.listen-address=127.0.0.1:9747).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
exec ./build/nfct_exporter --config.file=config/nfct_exporter.yaml "$@"
