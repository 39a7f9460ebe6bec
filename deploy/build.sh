#!/usr/bin/env bash
# The one build every entry point shares: the quick start (deploy/dev.sh), the test suite
# (tests/run.sh) and the container image (deploy/image/build.sh) all build exactly this
# selection — the whole workspace, binaries and tests — so that cargo unifies features the
# same way each time and RocksDB's C++ (the bulk of a cold build) is compiled once, whichever
# command runs first. (A narrower selection, e.g. `cargo build --bins`, unifies features
# differently and rebuilds librocksdb-sys.) Extra arguments go to cargo (e.g. --quiet).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/setup.sh
cargo build --workspace --bins --tests "$@"
