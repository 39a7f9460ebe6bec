#!/usr/bin/env bash
# The whole test suite: setup, build the binaries the multi-process tests start, run every
# test (unit, property, storage suite, multi-process cluster, tidy) and the doc tests.
#
# Every cargo call selects the whole workspace with the same targets so that features unify
# the same way each time; otherwise RocksDB's C++ (10 minutes) is rebuilt per selection.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== build" >&2
# The build the quick start and the image share (see deploy/build.sh).
bash deploy/build.sh
# Proof that it is shared: building the same selection again compiles nothing, in
# particular not RocksDB (a differing selection would rebuild librocksdb-sys).
if cargo build --workspace --bins --tests 2>&1 | grep -E "Compiling (librocksdb-sys|iam-)"; then
  echo "a second build of the shared selection recompiled the above" >&2
  exit 1
fi

echo "== the next release's build (for the rolling-upgrade test)" >&2
bash tests/upgrade/build-next.sh

echo "== Kubernetes manifests (offline: rendering, API schemas, iamd's requirements)" >&2
bash tests/k8s/validate.sh

echo "== doc tests" >&2
# Only crates without RocksDB in their tree: selecting the storage or server crates here would
# unify features differently and rebuild RocksDB just to find no doc tests.
cargo test --doc -p iam-model -p iam-policy -p iam-state -p iam-proto -p iam-client

if ! cargo nextest --version >/dev/null 2>&1; then
  echo "== installing cargo-nextest" >&2
  cargo install --locked cargo-nextest >&2
fi
echo "== unit, property and storage tests" >&2
cargo nextest run --workspace --no-fail-fast -E 'not (package(iamd-tests) or (package(iamd-chaos) and binary(smoke)))'
echo "== multi-process, chaos smoke and tidy tests (one at a time: each starts its own cluster)" >&2
cargo nextest run --workspace --no-fail-fast --test-threads 1 \
  -E 'package(iamd-tests) or (package(iamd-chaos) and binary(smoke))'

echo "== container image and compose deployment (skipped without a Docker engine)" >&2
bash tests/compose/run.sh
