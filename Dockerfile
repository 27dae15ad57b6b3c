# nfct_exporter container image: built on Debian 12; the runtime image holds only the
# binary, the shared libraries it loads and the default config (no shell, no apt).
#   podman build --isolation=chroot --network=host --build-arg REVISION=$(git rev-parse --short HEAD) -t nfct_exporter .
#   docker build --build-arg REVISION=$(git rev-parse --short HEAD) -t nfct_exporter .
# Run it with the capabilities of deploy/kubernetes (not privileged), in the host's
# network and PID namespaces. scripts/test.sh builds it and runs its entrypoint.

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
# The same package list as a build on the host.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# The source revision: .git is not in the build context (.dockerignore), so it comes as a
# build argument; --version and nfct_exporter_build_info report it.
ARG REVISION=unknown
# The BPF objects are compiled against bpf/vmlinux.h, never against the build host's
# kernel, so the image builds anywhere.
RUN rm -rf build && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNFCT_REVISION="${REVISION}" && \
    cmake --build build -j"$(nproc)" --target nfct_exporter && \
    ./build/nfct_exporter --version
# The runtime tree: the binary, every library the dynamic loader resolves for it (with
# the loader itself), and the two TLS compat libraries the exporter loads at run time
# for civetweb (exporter/tls_compat: they answer civetweb's dlopen("libssl.so") and
# dlopen("libcrypto.so"), names only libssl-dev would otherwise provide).
RUN set -eu; root=/rootfs; libdir=/usr/lib/x86_64-linux-gnu; \
    install -D -m 0755 build/nfct_exporter $root/usr/bin/nfct_exporter; \
    install -D -m 0644 config/nfct_exporter.yaml $root/etc/nfct_exporter/nfct_exporter.yaml; \
    for lib in $(ldd build/nfct_exporter | grep -o '/[^ ]*'); do \
      mkdir -p "$root$(dirname "$lib")"; cp -L "$lib" "$root$lib"; \
    done; \
    install -D -m 0644 -t $root$libdir build/libnfct_ssl_compat.so build/libnfct_crypto_compat.so; \
    mkdir -p $root/tmp $root/run/netns $root/proc $root/sys; chmod 1777 $root/tmp; \
    find $root -type f | sort

FROM scratch
COPY --from=build /rootfs/ /
EXPOSE 9747
ENTRYPOINT ["/usr/bin/nfct_exporter", "--config.file=/etc/nfct_exporter/nfct_exporter.yaml"]
