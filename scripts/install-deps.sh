#!/usr/bin/env bash
# Installs every Debian package nfct_exporter needs to build, run and test.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config git
  clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev linux-libc-dev
  prometheus-cpp-dev libcivetweb-dev libyaml-cpp-dev libcli11-dev libspdlog-dev
  nlohmann-json3-dev libmnl-dev doctest-dev
)
test_pkgs=(
  iproute2 nftables conntrack iputils-ping netcat-openbsd python3 python3-jsonschema prometheus procps
  python3-yaml   # tests/tools (dashboard, rules and metric reference checks)
)
# --- issue 9 (HTTP under load): wrk drives tests/integration/test_http_load.py
test_pkgs+=(wrk)
# --- end issue 9

# The benchmark (bench/run.sh) needs the same tools as the tests: ip, nft, conntrack,
# python3, and bpftool from the build packages.
bench_pkgs=(iproute2 nftables conntrack iputils-ping python3 procps util-linux)

# Issue 13 (/metrics gzip): libdeflate compresses the answers (zlib1g-dev above is
# used by the tests and the benchmark to check and compare).
build_pkgs+=(libdeflate-dev)
# --- production: TLS, basic auth, capabilities (issue 11) ---------------------------
# Build: OpenSSL for --web.config.file (civetweb hands over its SSL_CTX), libxcrypt's
# crypt_r() for bcrypt (libcrypt-dev), libcap to drop capabilities after start-up.
build_pkgs+=(libssl-dev libcrypt-dev libcap-dev)
# Tests: certificates made with the openssl command, capsh to run as an unprivileged user
# with only the documented capabilities.
test_pkgs+=(openssl libcap2-bin)
# The container image stage of scripts/test.sh: podman builds the Dockerfile, debootstrap
# makes the debian:bookworm base image when podman has none.
test_pkgs+=(podman debootstrap)
# --- end production --------------------------------------------------------------------

want=("${build_pkgs[@]}")
case "${1:-}" in
  --test) want+=("${test_pkgs[@]}") ;;
  --bench) want+=("${bench_pkgs[@]}") ;;
esac

# Fuzzing (fuzz/, the fuzz stage of scripts/test.sh): clang's libFuzzer and sanitizer
# runtimes, and llvm-symbolizer for readable reports.
fuzz_pkgs=(clang llvm libclang-rt-14-dev)
if [[ "${1:-}" == --test ]]; then want+=("${fuzz_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps the prometheus package from starting its own service.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
