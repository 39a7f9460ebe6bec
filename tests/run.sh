#!/usr/bin/env bash
# The whole test suite: setup, build the binaries the multi-process tests start, run every
# test (unit, property, storage suite, multi-process cluster, tidy) and the doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh

echo "== build" >&2
cargo build --workspace --bins

if cargo nextest --version >/dev/null 2>&1; then
  echo "== unit, property and storage tests" >&2
  cargo nextest run --workspace --exclude iamd-tests --no-fail-fast
  echo "== multi-process and tidy tests (one at a time: each starts its own cluster)" >&2
  cargo nextest run -p iamd-tests --test-threads 1 --no-fail-fast
else
  cargo test --workspace --exclude iamd-tests --no-fail-fast
  cargo test -p iamd-tests --no-fail-fast -- --test-threads 1
fi
echo "== doc tests" >&2
cargo test --workspace --doc
