#!/usr/bin/env bash
# Builds the "next release" of iamd for the rolling-upgrade test (tests/tests/upgrade.rs):
# this source with `iam-state/release-next` (this release + 1: CreateGroup gains a `note`), copied
# to <target>/upgrade/iamd-next. It selects the same targets as deploy/build.sh, so RocksDB
# is not rebuilt (only the crates the feature changes are), then builds this release again,
# which compiles nothing but puts this release's binaries back in <target>/debug.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --workspace --bins --tests --features iam-state/release-next "$@"
mkdir -p "$target/upgrade"
cp "$target/debug/iamd" "$target/upgrade/iamd-next.tmp"
mv "$target/upgrade/iamd-next.tmp" "$target/upgrade/iamd-next"
cargo build --workspace --bins --tests "$@"
if cmp -s "$target/debug/iamd" "$target/upgrade/iamd-next"; then
  echo "build-next: $target/debug/iamd is still the next release's build" >&2
  exit 1
fi
echo "build-next: $target/upgrade/iamd-next is the next release" >&2
