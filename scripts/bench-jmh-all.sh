#!/usr/bin/env bash
# Runs ALL JMH benchmarks of the benchmarks module with the GC profiler and prints one table:
# benchmark, params, thread, ns/op, ± error, CPU ns/op, B/op (gc.alloc.rate.norm). The stack-level benchmarks
# run twice: on JMH's ordinary threads ("jmh") and on Netty FastThreadLocalThreads ("netty"); see
# benchmarks/README.md for why. About 5 minutes on a 2-core machine (274 s measured).
#
#   scripts/bench-jmh-all.sh                 # everything, defaults below
#   scripts/bench-jmh-all.sh -i 10 -r 2s     # JMH options override the defaults
#   scripts/bench-jmh-all.sh Reassembly      # only what the regexp selects (then no "netty" pass)
#
# The table is also written to benchmarks/target/bench-jmh-all.md, the whole log to
# benchmarks/target/bench-jmh-all.log. Builds benchmarks/target/benchmarks.jar first when it is
# missing or older than any source of the stack or benchmarks modules (a stale jar would silently
# measure old code). No TUN device, no network, no root: these run anywhere.
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/lib/jmh.sh
# Four 1 s warm-up iterations: the stack-level paths are deep, and C2 needs them on a busy 2-core box.
jmh_prepare bench-jmh-all 4 "$@"

log=benchmarks/target/bench-jmh-all.log
table=benchmarks/target/bench-jmh-all.md
start=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
java -cp "$JMH_JAR" io.usertcp.bench.AllBenchmarks "${JMH_ARGS[@]}" "$@" | tee "$log"
elapsed=$(( $(date +%s) - start ))
# The table is what follows the last header line of the log.
sed -n '/^| benchmark | params/,$p' "$log" > "$table"
{
    echo
    echo "machine: $(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)," \
         "$(java -version 2>&1 | head -1)"
    echo "load average (1, 5, 15 min) before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "wall time: ${elapsed} s"
} | tee -a "$table"
