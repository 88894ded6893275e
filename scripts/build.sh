#!/usr/bin/env bash
# Builds every module and installs the artifacts into the local Maven repository, skipping tests.
# On a fresh Debian machine, as root, it first installs what is missing (and only that).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/prerequisites.sh
require_build_tools
exec mvn -B --no-transfer-progress -DskipTests install "$@"
