# Sourced by the scripts in scripts/: installs Debian packages only when the command they provide
# is missing. Maven artifacts come through Maven itself.

# apt_install_missing COMMAND:PACKAGE...  installs PACKAGE for each COMMAND not on the PATH.
apt_install_missing() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "usertcp: missing ${missing[*]}; run as root (or install them) and try again" >&2
    exit 1
  fi
  echo "usertcp: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# A JDK 17 (javac), Maven, iproute2 (namespaces for the TUN tests) and ping (their ICMP checks).
require_build_tools() {
  apt_install_missing javac:openjdk-17-jdk-headless mvn:maven ip:iproute2 ping:iputils-ping
  if ! javac -version 2>&1 | grep -qE 'javac (1[7-9]|2[0-9])'; then
    echo "usertcp: javac $(javac -version 2>&1) is too old (expected: 17 or newer)" >&2
    exit 1
  fi
}
