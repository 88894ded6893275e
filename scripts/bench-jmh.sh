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
jar=benchmarks/target/benchmarks.jar

if ! command -v java >/dev/null; then
    echo "bench-jmh: java not found (expected: a JDK 17+ on PATH)" >&2
    exit 1
fi

stale_sources() {
    find pom.xml stack/pom.xml benchmarks/pom.xml stack/src/main benchmarks/src/main \
        -newer "$jar" -type f -print -quit
}
if [[ ! -f $jar || -n $(stale_sources) ]]; then
    echo "bench-jmh: building $jar" >&2
    mvn -B -q -DskipTests package -pl benchmarks -am
fi

# Defaults, each added only when the caller did not pass that option (JMH rejects repeats).
declare -A defaults=([-f]=1 [-wi]=3 [-w]=1s [-i]=5 [-r]=1s)
args=()
gc_profiler=yes
prev=""
for arg in "$@"; do
    unset "defaults[$arg]" 2>/dev/null || true
    if [[ $prev == -prof && $arg == gc* ]]; then
        gc_profiler=""
    fi
    prev=$arg
done
for option in "${!defaults[@]}"; do
    args+=("$option" "${defaults[$option]}")
done
if [[ -n $gc_profiler ]]; then
    args+=(-prof gc)
fi

exec java -jar "$jar" "${args[@]}" "$@"
