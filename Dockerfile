# nfct_exporter container image: build on Debian 12, run on Debian 12 slim.
#   podman build --isolation=chroot --network=host -t nfct_exporter .
#   docker build -t nfct_exporter .
# Run privileged in the host's network and PID namespaces (see deploy/kubernetes).

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# The BPF objects are compiled against bpf/vmlinux.h, never against the build host's
# kernel, so the image builds anywhere.
RUN rm -rf build && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && \
    cmake --build build -j"$(nproc)" --target nfct_exporter && \
    ./build/nfct_exporter --version

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
# libssl3: Debian's civetweb loads it at run time.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      libbpf1 libelf1 zlib1g libcivetweb1 libprometheus-cpp-core1.0 libyaml-cpp0.7 \
      libspdlog1.10 libfmt9 libmnl0 libdeflate0 libssl3 ca-certificates && \
    rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/nfct_exporter /usr/bin/nfct_exporter
COPY config/nfct_exporter.yaml /etc/nfct_exporter/nfct_exporter.yaml
EXPOSE 9747
ENTRYPOINT ["/usr/bin/nfct_exporter", "--config.file=/etc/nfct_exporter/nfct_exporter.yaml"]
