#!/usr/bin/env bash
# Regenerates the golden packet captures in
#   stack/src/test/resources/io/usertcp/wire/golden/
# from the Linux kernel's own IPv4/TCP/ICMP stack.
#
# Usage (as root):   scripts/capture-golden.sh [OUTPUT_DIR]
#
# Safety rules kept by this script:
#   * traffic only ever flows between two private network namespaces
#     (usertcp-golden-a-PID / usertcp-golden-b-PID) joined by a veth pair;
#     the veth pair is created directly inside the namespaces, so no device
#     ever appears in the root namespace;
#   * the only addresses used are 198.18.0.1/24 and 198.18.0.2/24
#     (RFC 2544 benchmarking range 198.18.0.0/15); the namespaces have no
#     default route, so nothing can leave them;
#   * every traffic generator and every capture runs under `timeout` and is
#     bounded in count;
#   * the namespaces (and any process started here) are removed by an EXIT
#     trap, also on failure or interruption.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    echo "capture-golden.sh: must be run as root (needs network namespaces)" >&2
    exit 1
fi

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
OUT_DIR=${1:-$REPO_ROOT/stack/src/test/resources/io/usertcp/wire/golden}

NSA="usertcp-golden-a-$$"
NSB="usertcp-golden-b-$$"
IFA=veth-ga          # lives in $NSA
IFB=veth-gb          # lives in $NSB
ADDR_A=198.18.0.1
ADDR_B=198.18.0.2
MAC_A=02:75:73:00:00:01
MAC_B=02:75:73:00:00:02

log() { printf '[capture-golden] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools ----
install_missing() {
    local -a pkgs=()
    command -v tcpdump >/dev/null 2>&1 || pkgs+=(tcpdump)
    command -v ethtool >/dev/null 2>&1 || pkgs+=(ethtool)
    command -v nft     >/dev/null 2>&1 || pkgs+=(nftables)
    { command -v ip >/dev/null 2>&1 && command -v ss >/dev/null 2>&1; } || pkgs+=(iproute2)
    command -v ping    >/dev/null 2>&1 || pkgs+=(iputils-ping)
    command -v python3 >/dev/null 2>&1 || pkgs+=(python3)
    command -v timeout >/dev/null 2>&1 || pkgs+=(coreutils)
    if ((${#pkgs[@]})); then
        log "installing missing packages: ${pkgs[*]}"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"
    fi
}
install_missing
PYTHON=$(command -v python3)
TCPDUMP=$(command -v tcpdump)

# -------------------------------------------------------------- cleanup ----
WORK=$(mktemp -d /tmp/usertcp-golden.XXXXXX)
declare -a BG_PIDS=()

cleanup() {
    local rc=$?
    set +e
    for pid in "${BG_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${BG_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ina() { ip netns exec "$NSA" "$@"; }
inb() { ip netns exec "$NSB" "$@"; }

# ------------------------------------------------------- traffic helper ----
# One small python program plays every client and server role; every
# socket has a timeout, and every invocation is wrapped in `timeout`.
cat >"$WORK/golden.py" <<'PY'
import socket, struct, sys

A, B = "198.18.0.1", "198.18.0.2"
TMO = 10.0

def listener(port, maxseg=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if maxseg:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, maxseg)
    s.bind((B, port))
    s.listen(1)
    s.settimeout(TMO)
    c, _ = s.accept()
    s.close()
    c.settimeout(TMO)
    return c

def connect(port, sport, nodelay=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(TMO)
    s.bind((A, sport))
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect((B, port))
    return s

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise EOFError("peer closed early")
        buf += d
    return buf

def drain(s, limit=1 << 22):
    total = 0
    while total < limit:
        d = s.recv(65536)
        if not d:
            return total
        total += len(d)
    raise RuntimeError("too much data")

# ---- servers (run in namespace B) ----
def srv_echo(port):
    """Reply b'ok:' + message for every message; close after the peer's FIN."""
    c = listener(port)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for _ in range(100):
            d = c.recv(4096)
            if not d:
                break
            c.sendall(b"ok:" + d)
    except ConnectionResetError:
        pass
    c.close()

def srv_sink(port, maxseg):
    """Receive everything until FIN, then close."""
    c = listener(port, maxseg=int(maxseg))
    drain(c)
    c.close()

def srv_bulk(port, nbytes):
    """Read a request line, answer with nbytes of data, then close."""
    c = listener(port)
    c.recv(4096)
    c.sendall(bytes((i * 7 + 3) & 0xFF for i in range(int(nbytes))))
    c.shutdown(socket.SHUT_WR)
    drain(c)
    c.close()

# ---- clients (run in namespace A) ----
def cli_chat(port, sport, *msgs):
    s = connect(port, sport)
    for m in msgs:
        m = m.encode() + b"\n"
        s.sendall(m)
        recv_exact(s, len(m) + 3)
    s.shutdown(socket.SHUT_WR)
    drain(s)
    s.close()

def cli_refused(port, sport):
    try:
        connect(port, sport)
    except ConnectionRefusedError:
        return
    raise RuntimeError("connection unexpectedly accepted")

def cli_abort(port, sport):
    s = connect(port, sport)
    m = b"abort after this\n"
    s.sendall(m)
    recv_exact(s, len(m) + 3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()          # abortive close: RST instead of FIN

def cli_urgent(port, sport):
    s = connect(port, sport)
    m = b"normal data\n"
    s.sendall(m)
    recv_exact(s, len(m) + 3)
    u = b"URGENT"
    s.send(u, socket.MSG_OOB)      # segment with URG flag and urgent pointer
    recv_exact(s, len(u) + 3)
    s.shutdown(socket.SHUT_WR)
    drain(s)
    s.close()

def cli_bulk_send(port, sport, nbytes):
    s = connect(port, sport, nodelay=False)
    s.sendall(bytes((i * 13 + 1) & 0xFF for i in range(int(nbytes))))
    s.shutdown(socket.SHUT_WR)
    drain(s)
    s.close()

def cli_bulk_get(port, sport, nbytes):
    s = connect(port, sport)
    s.sendall(b"GET\n")
    got = drain(s)
    if got != int(nbytes):
        raise RuntimeError("got %d bytes, wanted %s" % (got, nbytes))
    s.close()

def udp_probe(dport, sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((A, int(sport)))
    s.sendto(b"usertcp udp probe", (B, int(dport)))
    s.close()

if __name__ == "__main__":
    fn = globals()[sys.argv[1]]
    args = [int(a) if a.isdigit() else a for a in sys.argv[2:]]
    fn(*args)
PY

# ------------------------------------------------------------ namespaces ----
# Fresh pair of namespaces for every scenario, so sysctls / MTU / nftables
# of one scenario cannot leak into the next.  $1 = MTU (default 1500).
setup_ns() {
    local mtu=${1:-1500} ns dev
    teardown_ns
    ip netns add "$NSA"
    ip netns add "$NSB"
    for ns in "$NSA" "$NSB"; do
        if ip netns exec "$ns" test -d /proc/sys/net/ipv6; then
            # no IPv6 neighbour discovery / MLD noise in the captures
            ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
            ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        fi
        ip -n "$ns" link set lo up
    done
    # Created inside $NSA with its peer directly in $NSB: never in the root ns.
    ip -n "$NSA" link add "$IFA" address "$MAC_A" mtu "$mtu" type veth \
        peer name "$IFB" address "$MAC_B" mtu "$mtu" netns "$NSB"
    ip -n "$NSA" addr add "$ADDR_A/24" dev "$IFA"
    ip -n "$NSB" addr add "$ADDR_B/24" dev "$IFB"
    # static neighbours: no ARP in the captures
    ip -n "$NSA" neigh replace "$ADDR_B" lladdr "$MAC_B" dev "$IFA" nud permanent
    ip -n "$NSB" neigh replace "$ADDR_A" lladdr "$MAC_A" dev "$IFB" nud permanent
    disable_offloads "$NSA" "$IFA"
    disable_offloads "$NSB" "$IFB"
    ip -n "$NSA" link set "$IFA" up
    ip -n "$NSB" link set "$IFB" up
    # wait (bounded) for both ends to have carrier
    local i
    for i in $(seq 1 50); do
        if ip -n "$NSA" link show "$IFA" | grep -q 'LOWER_UP' &&
           ip -n "$NSB" link show "$IFB" | grep -q 'LOWER_UP'; then
            break
        fi
        sleep 0.1
    done
    # safety check: only 198.18.0.0/15 addresses (besides loopback) exist
    for ns in "$NSA" "$NSB"; do
        if ip -n "$ns" -4 -o addr show | awk '{print $4}' |
           grep -v '^127\.' | grep -vq '^198\.1[89]\.'; then
            log "unexpected address in $ns"; exit 1
        fi
    done
}

teardown_ns() {
    ip netns del "$NSA" 2>/dev/null || true
    ip netns del "$NSB" 2>/dev/null || true
}

disable_offloads() {
    local ns=$1 dev=$2 f
    # Best effort for every feature; some are fixed on veth.
    for f in rx tx sg tso gso gro lro ufo rx-gro-hw rx-gro-list \
             rx-udp-gro-forwarding tx-checksum-ip-generic tx-checksum-sctp \
             tx-gso-partial tx-udp-segmentation tx-gre-segmentation \
             tx-udp_tnl-segmentation tx-sctp-segmentation txvlan rxvlan \
             tx-vlan-stag-hw-insert rx-vlan-stag-hw-parse highdma; do
        ip netns exec "$ns" ethtool -K "$dev" "$f" off >/dev/null 2>&1 || true
    done
    # The ones that matter for byte-exact golden data must really be off.
    local k
    k=$(ip netns exec "$ns" ethtool -k "$dev")
    for f in tx-checksumming rx-checksumming tcp-segmentation-offload \
             generic-segmentation-offload generic-receive-offload; do
        if ! grep -q "^$f: off" <<<"$k"; then
            log "could not disable $f on $dev:"; grep "^$f:" <<<"$k" >&2
            exit 1
        fi
    done
}

# ------------------------------------------------------------- capturing ----
CAP_PID=
start_capture() {       # $1 = pcap path, $2.. extra tcpdump args
    local pcap=$1; shift
    rm -f "$pcap" "$WORK/tcpdump.err"
    ip netns exec "$NSB" timeout 60 "$TCPDUMP" -i "$IFB" -n -s 0 -U --immediate-mode -Z root \
        -w "$pcap" "$@" ip 2>"$WORK/tcpdump.err" &
    CAP_PID=$!
    BG_PIDS+=("$CAP_PID")
    local i
    for i in $(seq 1 100); do
        grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && return 0
        kill -0 "$CAP_PID" 2>/dev/null || break
        sleep 0.05
    done
    log "tcpdump did not start:"; cat "$WORK/tcpdump.err" >&2
    exit 1
}

stop_capture() {
    sleep 0.5      # let the last segments (final ACK, retransmissions) pass
    kill -TERM "$CAP_PID" 2>/dev/null || true
    wait "$CAP_PID" 2>/dev/null || true
    CAP_PID=
    sed 's/^/[tcpdump] /' "$WORK/tcpdump.err" >&2
}

SRV_PID=
start_server() {        # $1 = port, rest = golden.py server function + args
    local port=$1; shift
    # no shell function here: $! must be the process itself so that
    # cleanup can signal it
    ip netns exec "$NSB" timeout 30 "$PYTHON" "$WORK/golden.py" "$@" &
    SRV_PID=$!
    BG_PIDS+=("$SRV_PID")
    local i
    for i in $(seq 1 100); do
        inb ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    log "server on port $port did not start"; exit 1
}

wait_server() {
    wait "$SRV_PID"
    SRV_PID=
}

client() { ina timeout 30 "$PYTHON" "$WORK/golden.py" "$@"; }

finish() {      # $1 = scenario name: move pcap into place and decode it
    local name=$1
    mkdir -p "$OUT_DIR"
    cp "$WORK/$name.pcap" "$OUT_DIR/$name.pcap"
    "$TCPDUMP" -n -S -t -r "$OUT_DIR/$name.pcap" >"$OUT_DIR/$name.txt" 2>/dev/null
    "$TCPDUMP" -n -S -t -v -r "$OUT_DIR/$name.pcap" >"$OUT_DIR/$name.verbose.txt" 2>/dev/null
    local size
    size=$(stat -c %s "$OUT_DIR/$name.pcap")
    log "$name: $(wc -l <"$OUT_DIR/$name.txt") packets, $size bytes"
    if ((size > 50000)); then
        log "$name.pcap is larger than 50 KB"; exit 1
    fi
    if "$TCPDUMP" -n -vv -r "$OUT_DIR/$name.pcap" 2>/dev/null |
       grep -Eiq 'incorrect|bad cksum|wrong .*cksum'; then
        log "$name.pcap has a packet with a bad checksum"; exit 1
    fi
}

# ------------------------------------------------------------- scenarios ----

scenario_handshake() {
    local name=tcp-handshake-data-close
    log "scenario $name"
    setup_ns
    start_capture "$WORK/$name.pcap"
    start_server 5000 srv_echo 5000
    client cli_chat 5000 40001 "hello" "usertcp golden data" "bye"
    wait_server
    stop_capture
    finish "$name"
}

scenario_no_options() {
    local name=tcp-no-options ns
    log "scenario $name"
    setup_ns
    for ns in "$NSA" "$NSB"; do
        ip netns exec "$ns" sysctl -qw net.ipv4.tcp_timestamps=0
        ip netns exec "$ns" sysctl -qw net.ipv4.tcp_sack=0
        ip netns exec "$ns" sysctl -qw net.ipv4.tcp_window_scaling=0
    done
    start_capture "$WORK/$name.pcap"
    start_server 5000 srv_echo 5000
    client cli_chat 5000 40002 "no options" "bye"
    wait_server
    stop_capture
    finish "$name"
}

scenario_rst() {
    local name=tcp-rst-closed-port
    log "scenario $name"
    setup_ns
    start_capture "$WORK/$name.pcap"
    # 1) SYN to a port nobody listens on -> RST/ACK
    client cli_refused 5999 40003
    # 2) established connection closed with SO_LINGER {1,0} -> RST
    start_server 5000 srv_echo 5000
    client cli_abort 5000 40004
    wait_server
    stop_capture
    finish "$name"
}

SACK_MSS=88          # Linux minimum for TCP_MAXSEG; keeps the pcap small
SACK_BYTES=200000
SACK_PACKETS=250     # ~35 KB of pcap
scenario_sack() {
    local name=tcp-sack
    log "scenario $name"
    setup_ns
    # Receiver drops data segments (IPv4 total length > 100) number 20, 22
    # and 45 of every 64 that reach it: bounded by the size of the transfer.
    inb nft -f - <<'NFT'
table ip usertcp_golden {
    chain input {
        type filter hook input priority 0; policy accept;
        tcp dport 5001 ip length > 100 numgen inc mod 64 { 20, 22, 45 } counter drop
    }
}
NFT
    start_capture "$WORK/$name.pcap" -c "$SACK_PACKETS"
    start_server 5001 srv_sink 5001 "$SACK_MSS"
    client cli_bulk_send 5001 40005 "$SACK_BYTES"
    wait_server
    inb nft list ruleset | grep -E 'counter' | sed 's/^ */[nft] /' >&2 || true
    stop_capture
    finish "$name"
}

scenario_ecn_urg() {
    local name=tcp-ecn-urg
    log "scenario $name"
    setup_ns
    ina sysctl -qw net.ipv4.tcp_ecn=1      # client requests ECN (SYN ECE+CWR)
    inb sysctl -qw net.ipv4.tcp_ecn=2      # server: accept ECN when asked (default)
    start_capture "$WORK/$name.pcap"
    start_server 5000 srv_echo 5000
    client cli_urgent 5000 40006
    wait_server
    stop_capture
    finish "$name"
}

SMALL_MTU=576
SMALL_MSS_BYTES=3000
scenario_small_mss() {
    local name=tcp-small-mss
    log "scenario $name"
    setup_ns "$SMALL_MTU"
    start_capture "$WORK/$name.pcap"
    start_server 5002 srv_bulk 5002 "$SMALL_MSS_BYTES"
    client cli_bulk_get 5002 40007 "$SMALL_MSS_BYTES"
    wait_server
    stop_capture
    finish "$name"
}

scenario_icmp() {
    local name=icmp
    log "scenario $name"
    setup_ns 1500
    start_capture "$WORK/$name.pcap"
    # echo request / reply
    ina timeout 15 ping -n -c 3 -i 0.2 -W 2 "$ADDR_B" >&2
    # record-route IPv4 option
    ina timeout 15 ping -n -c 2 -i 0.2 -W 2 -R "$ADDR_B" >&2
    # UDP to a closed port -> ICMP port unreachable
    client udp_probe 33434 40008
    sleep 0.2
    # 3000-byte payload over a 1500-byte MTU -> fragmented request and reply
    ina timeout 15 ping -n -c 1 -W 2 -s 3000 "$ADDR_B" >&2
    stop_capture
    finish "$name"
}

# ------------------------------------------------------------------ main ----
log "kernel $(uname -r); output in $OUT_DIR"
scenario_handshake
scenario_no_options
scenario_rst
scenario_sack
scenario_ecn_urg
scenario_small_mss
scenario_icmp
teardown_ns
log "done"
