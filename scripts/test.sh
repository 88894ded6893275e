#!/usr/bin/env bash
# The whole test suite, as the README's test command and CI (.ci/run) run it.
# On a fresh Debian machine, as root, it first installs what is missing (and only that).
# Extra arguments go to Maven, e.g. scripts/test.sh -pl stack -Dtest='Golden*'.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/prerequisites.sh
require_build_tools
apt_install_missing tshark:tshark # Wireshark's reader, for the pcapng test (the demo does not need it)
exec mvn -B --no-transfer-progress verify "$@"
