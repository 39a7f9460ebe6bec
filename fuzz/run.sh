#!/usr/bin/env bash
# Runs fuzz targets one after another, each for $SECONDS_PER_TARGET (default 600) at the
# lowest priority, and prints the last status line of each run (see docs/fuzzing.md).
# Usage: fuzz/run.sh [target...]   (default: every target)
set -u
cd "$(dirname "$0")"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/target-fuzz} RUSTC_BOOTSTRAP=1
secs=${SECONDS_PER_TARGET:-600}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(sigv4 sigv4_sign session_token aws_query peer_bincode command_json parse evaluate)
mkdir -p logs
for t in "${targets[@]}"; do
    dict=()
    [ -f "dict/$t.dict" ] && dict=("-dict=dict/$t.dict")
    mkdir -p "corpus/$t"
    start=$(date +%s)
    nice -n 19 cargo fuzz run "$t" -- "${dict[@]}" -max_total_time="$secs" -rss_limit_mb=2048 \
        -print_final_stats=1 >"logs/$t.log" 2>&1
    rc=$?
    echo "$t: exit $rc after $(( $(date +%s) - start )) s; corpus $(ls "corpus/$t" | wc -l) files"
    grep -E '^#[0-9]+' "logs/$t.log" | tail -1
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "logs/$t.log"
    grep -E 'ERROR|panicked|Test unit written' "logs/$t.log" | head -5
done
