#!/usr/bin/env bash
# Parse time of 2,000-package lockfiles (package-lock.json v3, pnpm-lock.yaml v9, yarn.lock v1), best of
# five runs each, in a release build. Usage: benches/sca-manifests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/tollgate/target}"
cargo test --release --test sca_manifests large -- --nocapture --test-threads=1 2>&1 | grep -E '^(test |2,00)|2,00[01]-package'
