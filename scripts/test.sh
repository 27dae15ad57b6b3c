#!/usr/bin/env bash
# The whole test suite, as root on a fresh Debian 12 machine: installs what is missing,
# builds, runs the unit tests and then the privileged integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -L unit
ctest --test-dir build --output-on-failure -L privileged
