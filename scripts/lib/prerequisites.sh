# Sourced by the scripts in scripts/: installs Debian packages only when the command they provide
# is missing. Maven artifacts come through Maven itself.

# apt_install_missing COMMAND:PACKAGE...  installs PACKAGE for each COMMAND not on the PATH;
# an item written lib:SONAME:PACKAGE installs PACKAGE when the shared library SONAME is missing.
apt_install_missing() {
  local missing=() item soname
  for item in "$@"; do
    if [[ $item == lib:* ]]; then
      soname=${item#lib:}; soname=${soname%%:*}
      ldconfig -p 2>/dev/null | grep -q "$soname" || missing+=("${item##*:}")
    else
      command -v "${item%%:*}" >/dev/null 2>&1 || missing+=("${item#*:}")
    fi
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

# A JDK 17 (javac) and Maven to build; for the tests: iproute2 (namespaces), ping (ICMP checks),
# libpcap and tcpdump (pcap files are written through libpcap and read back by tcpdump); for the
# demo and interop tests: curl, socat and python3 (real Linux peers) and nftables (silencing a peer);
# for `usertcp bench`: ethtool (veth offloads off for the loss case).
require_build_tools() {
  apt_install_missing javac:openjdk-17-jdk-headless mvn:maven ip:iproute2 ping:iputils-ping \
    lib:libpcap.so.0.8:libpcap0.8 tcpdump:tcpdump curl:curl nft:nftables socat:socat python3:python3 ethtool:ethtool
  if ! javac -version 2>&1 | grep -qE 'javac (1[7-9]|2[0-9])'; then
    echo "usertcp: javac $(javac -version 2>&1) is too old (expected: 17 or newer)" >&2
    exit 1
  fi
}
