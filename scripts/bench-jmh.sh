#!/usr/bin/env bash
# Runs the JMH hot-path benchmarks (benchmarks module) with the GC profiler, so every row also
# reports gc.alloc.rate.norm (bytes allocated per operation; the goal is 0, DESIGN.md §11).
#
#   scripts/bench-jmh.sh                      # everything, short defaults (a few minutes on 2 cores)
#   scripts/bench-jmh.sh ParseBenchmark       # one class (any JMH regex)
#   scripts/bench-jmh.sh -i 10 -r 2s Checksum # JMH options override the defaults below
#   scripts/bench-jmh.sh -h                   # JMH's own help
#   scripts/bench-jmh.sh --all                # scripts/bench-jmh-all.sh: everything, one summary table
#
# Builds benchmarks/target/benchmarks.jar first when it is missing, or older than any source of
# the stack or benchmarks modules (a stale jar would silently measure old code).
set -euo pipefail

if [[ ${1:-} == --all ]]; then
    shift
    exec "$(dirname "$0")/bench-jmh-all.sh" "$@"
fi

cd "$(dirname "$0")/.."
source scripts/lib/jmh.sh
jmh_prepare bench-jmh 3 "$@"

exec java -jar "$JMH_JAR" "${JMH_ARGS[@]}" "$@"
