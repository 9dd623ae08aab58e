# syntax=docker/dockerfile:1.7
# tollgate container images, built from this repository:
#
#   docker build -t tollgate .                 # final stage: distroless, for `tollgate scan` and `tollgate serve`
#   docker build --target ci -t tollgate:ci .  # Debian slim + git + a shell, for CI jobs (GitLab, Jenkins, CircleCI)
#
# Both run as a non-root user with `tollgate` as the entrypoint:
#
#   docker run --rm -v "$PWD:/src:ro" -w /src tollgate scan . --format sarif -o /dev/stdout
#   docker run --rm -p 8080:8080 -v tollgate-data:/data \
#     -e TOLLGATE_API_TOKENS=change-me tollgate serve
#
# `tollgate serve` reads TOLLGATE_ADDR (here 0.0.0.0:8080), TOLLGATE_DATA_DIR (/data), TOLLGATE_OSV_DB,
# TOLLGATE_DATABASE_URL and TOLLGATE_API_TOKENS; it answers /healthz, /readyz, /metrics and /v1/... on 8080.

ARG RUST_VERSION=1.90
ARG DEBIAN_RELEASE=bookworm

# ---- build: a release binary, with cargo's registry and target cached between builds
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
# tree-sitter's parser and ring are C. Debian's package versions are not pinned: the release pins them, and
# an exact version disappears from the mirrors at the next point release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
# The whole context (.dockerignore leaves out build output, git and tests): rules and fixtures/openapi are
# compiled in.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin tollgate \
 && install -D -m 0755 target/release/tollgate /out/tollgate \
 && /out/tollgate --version

# ---- ci: a shell and git (needed by --diff-base, --history and --contract-base), non-root
FROM debian:${DEBIAN_RELEASE}-slim AS ci
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --user-group tollgate \
 && git config --system --add safe.directory '*'
COPY --from=build /out/tollgate /usr/local/bin/tollgate
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["tollgate"]
CMD ["--help"]

# ---- runtime (default): distroless with glibc and CA certificates only, non-root (uid 65532)
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /out/tollgate /usr/local/bin/tollgate
ENV TOLLGATE_ADDR=0.0.0.0:8080 \
    TOLLGATE_DATA_DIR=/data \
    XDG_CACHE_HOME=/home/nonroot/.cache
WORKDIR /src
EXPOSE 8080
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/tollgate"]
CMD ["--help"]
