#!/usr/bin/env bash
# Same-run rounds of the write and authorization benchmarks with the API ports in
# plaintext and in TLS, alternating which goes first, so that a drift of the machine during
# the campaign falls on both alike. Peers use mutual TLS in both (iamd has no other kind).
#
#   bash bench/tls_ab.sh ROUNDS [BINDIR] > rows.txt
#
# BINDIR: where `iamd`, `writes` and `authz` are (default target/release). Prints each
# table row prefixed with its round and mode.
set -euo pipefail
rounds=${1:?rounds}
bin=${2:-target/release}
seconds=${SECONDS_PER_ROUND:-8}
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order="plain tls"; else order="tls plain"; fi
  for mode in $order; do
    flag=""
    if [ "$mode" = tls ]; then flag="--tls"; fi
    "$bin/writes" --iamd "$bin/iamd" --only iamd --seconds "$seconds" --clients 1,64 $flag 2>/dev/null |
      grep '^| iamd' | sed "s/^/r$r writes $mode /"
    "$bin/authz" --iamd "$bin/iamd" --seconds "$seconds" --clients 1,32 $flag 2>/dev/null |
      grep -E '^\| (single|batch)' | sed "s/^/r$r authz $mode /"
  done
done
