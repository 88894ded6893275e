# Shared by scripts/bench-jmh.sh and scripts/bench-jmh-all.sh (source it from the repository root).
#
# jmh_prepare NAME WARMUPS [ARGS...]
#   Checks for java, builds benchmarks/target/benchmarks.jar when it is missing or older than any
#   source of the stack or benchmarks modules (a stale jar would silently measure old code), and
#   sets JMH_JAR and JMH_ARGS: the defaults (-f 1 -wi WARMUPS -w 1s -i 5 -r 1s) that the caller's
#   ARGS do not override (JMH rejects repeats), plus -prof gc unless ARGS choose a gc profiler.
jmh_prepare() {
    local name=$1 warmups=$2
    shift 2
    JMH_JAR=benchmarks/target/benchmarks.jar
    if ! command -v java >/dev/null; then
        echo "$name: java not found (expected: a JDK 17+ on PATH)" >&2
        exit 3
    fi
    if [[ ! -f $JMH_JAR || -n $(find pom.xml stack/pom.xml benchmarks/pom.xml stack/src/main benchmarks/src/main \
            -newer "$JMH_JAR" -type f -print -quit) ]]; then
        echo "$name: building $JMH_JAR" >&2
        mvn -B -q -DskipTests package -pl benchmarks -am
    fi
    declare -A defaults=([-f]=1 [-wi]=$warmups [-w]=1s [-i]=5 [-r]=1s)
    local gc_profiler=yes prev="" arg option
    for arg in "$@"; do
        unset "defaults[$arg]" 2>/dev/null || true
        if [[ $prev == -prof && $arg == gc* ]]; then
            gc_profiler=""
        fi
        prev=$arg
    done
    JMH_ARGS=()
    for option in "${!defaults[@]}"; do
        JMH_ARGS+=("$option" "${defaults[$option]}")
    done
    if [[ -n $gc_profiler ]]; then
        JMH_ARGS+=(-prof gc)
    fi
}
