#!/usr/bin/env bash
# Plays the whole Linux packetdrill corpus against the real Linux kernel
# (usertcp packetdrill --target kernel: a network namespace per script, real time, packetdrill's
# tolerance), reruns the scripts that failed on a timing error once, and prints the pass count per
# directory beside kernel-results.tsv's (scripts google/packetdrill passed at least once of 3 runs).
# Not part of the test suite: it takes about half a minute of real time. Needs root and /dev/net/tun.
#
#   scripts/packetdrill-kernel.sh [CORPUS_DIR]     (default: ../shared/conformance/linux-packetdrill)
#
# Exit status: 0 when every script kernel-results.tsv says the kernel passes passes here too,
# 1 when some does not (listed with its status and first error), 3 when the kernel target cannot run.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$(cd "${1:-$here/../shared/conformance/linux-packetdrill}" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One usertcp run over the given scripts (paths relative to the corpus root, as kernel-results.tsv
# writes them); prints "STATUS<TAB>path<TAB>first line of its failure" per script.
play() {
  local status=0
  (cd "$corpus" && "$here/usertcp" packetdrill --target kernel -D CODE=host_unreachable "$@") > "$work/out.txt" || status=$?
  if [ "$status" -ge 2 ]; then
    cat "$work/out.txt" >&2
    exit "$status"
  fi
  awk '/^(PASS|FAIL|UNSUPPORTED) / { if (p != "") print s "\t" p "\t" f; s = $1; p = $2; f = ""; next }
       p != "" && f == "" && /^  line / { f = substr($0, 3) }
       END { if (p != "") print s "\t" p "\t" f }' "$work/out.txt"
}

play gtests/net/tcp > "$work/first.tsv"
awk -F'\t' '$1 == "FAIL" && $3 ~ /timing error/ { print $2 }' "$work/first.tsv" > "$work/timing.txt"
cp "$work/first.tsv" "$work/final.tsv"
if [ -s "$work/timing.txt" ]; then
  echo "rerunning $(wc -l < "$work/timing.txt") script(s) that failed on a timing error" >&2
  mapfile -t again < "$work/timing.txt"
  play "${again[@]}" > "$work/again.tsv"
  # The rerun's status replaces the first one.
  awk -F'\t' 'NR == FNR { again[$2] = $0; next } { print ($2 in again) ? again[$2] : $0 }' \
    "$work/again.tsv" "$work/first.tsv" > "$work/final.tsv"
fi

awk -F'\t' -v OFS='\t' '
  FNR == 1 && NR != 1 { results = 1 }
  !results { if (FNR > 1) kernel[$1] = $2; next }
  {
    dir = $2; sub(/^gtests\/net\/tcp\//, "", dir); sub(/\/[^\/]*$/, "", dir)
    dirs[dir]; scripts[dir]++; n++
    if ($1 == "PASS") { pass[dir]++; passed++ } else if ($1 == "FAIL") { fail[dir]++; failed++ } else { unsup[dir]++; unsupported++ }
    if (kernel[$2] > 0) { kpass[dir]++; kpassed++ }
    if (kernel[$2] > 0 && $1 != "PASS") missing[++m] = $1 " " $2 " (packetdrill: " kernel[$2] "/3)" ($3 == "" ? "" : "\n    " $3)
  }
  END {
    printf "%-28s %7s %6s %5s %11s %20s\n", "directory", "scripts", "pass", "fail", "unsupported", "kernel-results pass"
    k = 0; for (d in dirs) order[++k] = d
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
    for (i = 1; i <= k; i++) { d = order[i]
      printf "%-28s %7d %6d %5d %11d %20d\n", d, scripts[d], pass[d], fail[d], unsup[d], kpass[d] }
    printf "%-28s %7d %6d %5d %11d %20d\n", "total", n, passed, failed, unsupported, kpassed
    if (m > 0) {
      print "\n" m " script(s) that kernel-results.tsv says the kernel passes do not pass here:"
      for (i = 1; i <= m; i++) print "  " missing[i]
      exit 1
    }
  }' "$corpus/kernel-results.tsv" "$work/final.tsv"
