#!/usr/bin/env bash
# Quick start: build iamd and iamctl and start a local 3-node cluster (`iamd dev`).
# Extra arguments go to `iamd dev` (e.g. --nodes 5 --dir /tmp/iamd-dev --base-port 7200).
set -euo pipefail
cd "$(dirname "$0")/.."
# The same build as the test suite's (deploy/build.sh): whichever runs first, the other
# reuses it.
bash deploy/build.sh
exec "${CARGO_TARGET_DIR:-target}/debug/iamd" dev "$@"
