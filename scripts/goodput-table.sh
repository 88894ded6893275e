#!/usr/bin/env bash
# Regenerates the committed goodput table, stack/src/test/resources/io/usertcp/sim/goodput.md:
# goodput against loss (0 to 10 %) and the path, per congestion control algorithm, with the
# sender's RTO count in each cell: a 4 MiB transfer at 1 to 100 ms over 100 Mbit/s with fixed
# buffers, and a 64 MiB transfer on a large-BDP path (1 Gbit/s, 100 ms, one-BDP queue, autotuned
# buffers); measured in virtual time on the seeded simulator (io.usertcp.sim.GoodputTable). Run it
# after a change to the sender, receiver or congestion control, then commit the file;
# GoodputTableTest fails while the committed table and the code disagree by more than its
# tolerances. It takes about a minute here (2 cores).
#
#   scripts/goodput-table.sh               # rewrites the committed table
#   scripts/goodput-table.sh /tmp/g.md     # writes elsewhere, to compare first
#
# Needs no root and no network: it compiles the stack module and runs the generator on its
# test classpath.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/prerequisites.sh
apt_install_missing javac:openjdk-17-jdk-headless mvn:maven

mvn -B -q --no-transfer-progress -pl stack test-compile
classpath_file=$(mktemp)
trap 'rm -f "$classpath_file"' EXIT
mvn -B -q --no-transfer-progress -pl stack dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
exec java -ea -cp "stack/target/test-classes:stack/target/classes:$(cat "$classpath_file")" \
    io.usertcp.sim.GoodputTable "$@"
