#!/usr/bin/env bash
# Same-run rounds of the writes benchmark, iamd and etcd alternating which goes first, so
# that a drift of the machine during the campaign falls on both systems alike.
#
#   bash bench/campaign.sh ROUNDS CLIENTS [BINDIR] > rows.txt
#
# ROUNDS: how many rounds; CLIENTS: the `--clients` list (e.g. 1,64); BINDIR: where `iamd`
# and `writes` are (default target/release). Prints each table row prefixed with its round.
set -euo pipefail
rounds=${1:?rounds}
clients=${2:?clients, e.g. 1,64}
bin=${3:-target/release}
seconds=${SECONDS_PER_ROUND:-8}
for r in $(seq 1 "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order="iamd etcd"; else order="etcd iamd"; fi
  for system in $order; do
    "$bin/writes" --iamd "$bin/iamd" --etcd /usr/bin/etcd --only "$system" \
      --seconds "$seconds" --clients "$clients" 2>/dev/null |
      grep '^| [ie]' | sed "s/^/r$r /"
  done
done
