#!/usr/bin/env bash
# A real fuzzing campaign over every Jazzer @FuzzTest of the stack module, one target after the
# other, each for a fixed time, then a table: target, executions, exec/s, coverage, findings.
#
#   scripts/fuzz.sh                           # every target, 5 minutes each
#   scripts/fuzz.sh 30m                       # every target, 30 minutes each
#   scripts/fuzz.sh 1h StateMachineFuzzTest   # one target (Class or Class#method)
#   scripts/fuzz.sh 10m -- -o                 # arguments after -- go to Maven (-o: offline)
#
# The duration (Jazzer's syntax: 90s, 10m, 2h; default $FUZZ_DURATION, else 5m) is per target.
# Targets are found by their @FuzzTest annotation in stack/src/test/java; the script fails if one
# it knows of is missing, and fuzzes new ones too. Bounded: each run is stopped by Jazzer at the
# duration and killed at the duration plus FUZZ_GRACE (default 10m: compiling, starting Jazzer,
# replaying the committed inputs first).
#
# A finding does not end a target's run: Jazzer keeps going until FUZZ_KEEP_GOING (default 100)
# distinct findings. Each is written by Jazzer as crash-<sha1> into the target's committed input
# folder (stack/src/test/resources/<package>/<Class>Inputs/<method>/), where it replays in every
# `mvn test` until fixed; the table lists them with their paths, and the exit status is 1.
# What the fuzzer learns goes to stack/.cifuzz-corpus/ (git-ignored) and is reused next time.
# Logs: FUZZ_LOG_DIR (default stack/target/fuzz/<UTC time>/): <target>.log is Maven's and
# libFuzzer's output, <target>-output.txt the test's own (Jazzer's stack traces), summary.txt
# the table.
#
# Needs no root and no network (with -o and a filled ~/.m2); runs one JVM at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

# The targets there are today (Class#method); a missing one fails the campaign.
KNOWN_TARGETS=(
  StateMachineFuzzTest#stateMachine
  Ipv4PacketViewFuzzTest#ipv4View
  TcpSegmentViewFuzzTest#tcpView
  Icmpv4MessageViewFuzzTest#icmpView
  TcpOptionsFuzzTest#tcpOptions
  PacketDecoderFuzzTest#decode
  TcpdumpFormatterFuzzTest#format
  VirtioFrameFuzzTest#decodeFrame
)
TEST_SOURCES=stack/src/test/java
TEST_RESOURCES=stack/src/test/resources

duration=${FUZZ_DURATION:-5m}
if [[ $# -gt 0 && $1 != -- ]]; then
  duration=$1
  shift
fi
selected=()
while [[ $# -gt 0 && $1 != -- ]]; do
  selected+=("$1")
  shift
done
[[ $# -gt 0 ]] && shift # the rest goes to Maven
maven_args=("$@")

seconds_of() { # 90s, 10m, 2h, 90 -> seconds
  local d=$1
  case $d in
    *[0-9]s) echo $(( ${d%s} )) ;;
    *[0-9]m) echo $(( ${d%m} * 60 )) ;;
    *[0-9]h) echo $(( ${d%h} * 3600 )) ;;
    *[0-9]) echo $(( d )) ;;
    *) echo "fuzz.sh: duration '$d' (expected e.g. 90s, 10m, 2h)" >&2; exit 2 ;;
  esac
}
run_seconds=$(seconds_of "$duration")
grace_seconds=$(seconds_of "${FUZZ_GRACE:-10m}")
keep_going=${FUZZ_KEEP_GOING:-100}
[[ $run_seconds -ge 1 ]] || { echo "fuzz.sh: duration must be at least 1s" >&2; exit 2; }

# Every @FuzzTest method, as path|Class|method (the method is the first `void name(` after the annotation).
discover() {
  local file
  grep -rl --include='*.java' '@FuzzTest' "$TEST_SOURCES" | sort | while read -r file; do
    awk -v file="$file" '
      /^[[:space:]]*@FuzzTest/ { pending = 1; next }
      pending && match($0, /void[[:space:]]+[A-Za-z0-9_]+[[:space:]]*\(/) {
        name = substr($0, RSTART, RLENGTH); sub(/^void[[:space:]]+/, "", name); sub(/[[:space:]]*\($/, "", name)
        n = split(file, parts, "/"); cls = parts[n]; sub(/\.java$/, "", cls)
        print file "|" cls "|" name; pending = 0
      }' "$file"
  done
}
mapfile -t found < <(discover)
[[ ${#found[@]} -gt 0 ]] || { echo "fuzz.sh: no @FuzzTest found under $TEST_SOURCES" >&2; exit 1; }
declare -A source_of=()
for entry in "${found[@]}"; do
  IFS='|' read -r file cls method <<<"$entry"
  source_of["$cls#$method"]=$file
done
for t in "${KNOWN_TARGETS[@]}"; do
  [[ -n ${source_of[$t]:-} ]] || { echo "fuzz.sh: target $t is missing (no @FuzzTest method $t under $TEST_SOURCES)" >&2; exit 1; }
done

targets=()
if [[ ${#selected[@]} -eq 0 ]]; then
  for entry in "${found[@]}"; do
    IFS='|' read -r _ cls method <<<"$entry"
    targets+=("$cls#$method")
  done
else
  for s in "${selected[@]}"; do
    matched=0
    for entry in "${found[@]}"; do
      IFS='|' read -r _ cls method <<<"$entry"
      if [[ $s == "$cls" || $s == "$cls#$method" ]]; then
        targets+=("$cls#$method")
        matched=1
      fi
    done
    [[ $matched -eq 1 ]] || { echo "fuzz.sh: no fuzz target $s (known: ${!source_of[*]})" >&2; exit 2; }
  done
fi

# The folder Jazzer writes findings to and replays from: <package dir>/<Class>Inputs/<method>.
inputs_dir_of() {
  local target=$1 file=${source_of[$1]}
  local rel=${file#"$TEST_SOURCES"/}
  echo "$TEST_RESOURCES/$(dirname "$rel")/${target%%#*}Inputs/${target#*#}"
}
package_of() {
  local rel=${source_of[$1]#"$TEST_SOURCES"/}
  dirname "$rel" | tr / .
}
list_findings() { # the files a finding leaves, sorted
  find "$1" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) 2>/dev/null | sort
}

log_dir=${FUZZ_LOG_DIR:-stack/target/fuzz/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$log_dir"
echo "fuzz.sh: ${#targets[@]} target(s), $duration each, logs in $log_dir" >&2
if ! mvn -B -q --no-transfer-progress "${maven_args[@]}" -pl stack test-compile >"$log_dir/test-compile.log" 2>&1; then
  cat "$log_dir/test-compile.log" >&2
  exit 1
fi

rows=()
finding_lines=()
total_runs=0
status=0
for target in "${targets[@]}"; do
  cls=${target%%#*}
  log="$log_dir/$target.log"
  inputs=$(inputs_dir_of "$target")
  before=$(list_findings "$inputs")
  echo "fuzz.sh: $target for $duration ($(date -u +%H:%M:%S) UTC)" >&2
  started=$(date +%s)
  set +e
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION=$duration JAZZER_KEEP_GOING=$keep_going \
    timeout --kill-after=30 $(( run_seconds + grace_seconds )) \
    mvn -B --no-transfer-progress "${maven_args[@]}" -pl stack test -Dtest="$target" \
      -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1
  rc=$?
  set -e
  elapsed=$(( $(date +%s) - started ))
  cp "stack/target/surefire-reports/$(package_of "$target").$cls-output.txt" "$log_dir/$target-output.txt" 2>/dev/null || true

  # libFuzzer's final "Done N runs in S second(s)", else its last "#N ..." status line.
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  secs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\2/p' "$log" | tail -1)
  if [[ -z $runs ]]; then
    runs=$(sed -n 's/^#\([0-9][0-9]*\)[[:space:]].*/\1/p' "$log" | tail -1)
    secs=$elapsed
  fi
  runs=${runs:-0}
  if [[ ${secs:-0} -gt 0 ]]; then rate=$(( runs / secs )); else rate=0; fi
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)

  # Findings: files Jazzer wrote during this run (also those it rewrote: "Test unit written to").
  after=$(list_findings "$inputs")
  new=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d' || true)
  written=$(sed -n "s/.*Test unit written to \(.*\)$/\1/p" "$log" | sed "s|^$PWD/||" || true)
  paths=$(printf '%s\n%s\n' "$new" "$written" | sed '/^$/d' | sort -u)
  findings=0
  [[ -n $paths ]] && findings=$(wc -l <<<"$paths")
  note=""
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    note=" (killed after $(( run_seconds + grace_seconds ))s)"
  elif [[ $rc -ne 0 ]]; then
    note=" (mvn exit $rc, see $log)"
  fi
  if [[ $findings -gt 0 || $rc -ne 0 ]]; then
    status=1
  fi
  while read -r p; do
    [[ -n $p ]] && finding_lines+=("$target: $p")
  done <<<"$paths"
  total_runs=$(( total_runs + runs ))
  rows+=("$(printf '| %-42s | %8s | %13s | %7s | %6s | %6s | %s |' "$target" "${secs:-0}s" "$runs" "$rate" "${cov:--}" "${corp:--}" "$findings$note")")
done

{
  printf '| %-42s | %8s | %13s | %7s | %6s | %6s | %s |\n' target time executions exec/s cov corpus findings
  printf '| %-42s | %8s | %13s | %7s | %6s | %6s | %s |\n' "$(printf -- '-%.0s' {1..42})" -------- ------------- ------- ------ ------ --------
  printf '%s\n' "${rows[@]}"
  echo
  echo "total executions: $total_runs"
  if [[ ${#finding_lines[@]} -gt 0 ]]; then
    echo "findings (replay with: mvn test -pl stack -Dtest='<Class>#<method>'; stack traces in $log_dir/<target>-output.txt):"
    printf '  %s\n' "${finding_lines[@]}"
  else
    echo "findings: none"
  fi
} | tee "$log_dir/summary.txt"
exit $status
