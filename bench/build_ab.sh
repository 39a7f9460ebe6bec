#!/usr/bin/env bash
# Same-run rounds of the write and authorization benchmarks with two builds of iamd (say,
# before and after a change), alternating which goes first, so that a drift of the machine
# during the campaign falls on both alike. Both use the same load generators (`writes`,
# `authz` from NEWDIR): the wire protocol is what they share.
#
#   bash bench/build_ab.sh ROUNDS BASEDIR NEWDIR > rows.txt
#
# BASEDIR / NEWDIR: where each build's `iamd` is; NEWDIR also holds `writes` and `authz`.
# Prints each table row prefixed with its round and build (`base` or `new`).
set -euo pipefail
rounds=${1:?rounds}
base=${2:?directory of the base build}
new=${3:?directory of the new build}
seconds=${SECONDS_PER_ROUND:-8}
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order="base new"; else order="new base"; fi
  for build in $order; do
    if [ "$build" = base ]; then dir=$base; else dir=$new; fi
    "$new/writes" --iamd "$dir/iamd" --only iamd --seconds "$seconds" --clients 1,64 2>/dev/null |
      grep '^| iamd' | sed "s/^/r$r writes $build /"
    "$new/authz" --iamd "$dir/iamd" --seconds "$seconds" --clients 1,32 2>/dev/null |
      grep -E '^\| (single|batch)' | sed "s/^/r$r authz $build /"
  done
done
