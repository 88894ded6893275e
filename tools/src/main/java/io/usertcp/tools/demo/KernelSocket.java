package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.wire.Ipv4Address;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One TCP socket of the Linux kernel, as {@code /proc/net/tcp} (and so {@code ss -tan}) shows it;
 * IPv4 connections of dual-stack sockets come from {@code /proc/net/tcp6} with v4-mapped addresses.
 *
 * @param state           {@code ss}'s name: {@code ESTAB}, {@code FIN-WAIT-2}, {@code TIME-WAIT}, ...
 * @param sendQueueBytes  tx_queue (ss Send-Q for connected sockets)
 * @param recvQueueBytes  rx_queue (ss Recv-Q)
 * @param timer           {@code off}, {@code on} (retransmit), {@code keepalive} (also FIN-WAIT-2's
 *                        timer), {@code timewait} or {@code persist}, as {@code ss -o} names them
 * @param timerLeftMillis time until the timer fires (10 ms resolution), 0 when off
 * @param retransmits     unacknowledged retransmissions (or keepalive probes) so far
 */
public record KernelSocket(String state, int localAddress, int localPort, int remoteAddress, int remotePort,
                           int sendQueueBytes, int recvQueueBytes, String timer, long timerLeftMillis, int retransmits) {

    /** /proc/net/tcp's state numbers (include/net/tcp_states.h), as ss spells them. */
    private static final String[] STATES = {"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
        "TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING", "NEW-SYN-RECV"};
    private static final String[] TIMERS = {"off", "on", "keepalive", "timewait", "persist"};
    /**
     * {@code ::ffff:0:0/96} as /proc/net/tcp6 prints it (four native-order 32-bit words): an IPv4
     * connection of a dual-stack socket, such as a {@code java.net.Socket}'s.
     */
    private static final String V4_MAPPED = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN
            ? "0000000000000000FFFF0000" : "00000000000000000000FFFF";
    /** USER_HZ: /proc/net/tcp gives timer expiries in clock ticks of 1/100 s. */
    private static final int MILLIS_PER_TICK = 10;

    /** Whether this is a listening socket (no peer). */
    public boolean isListener() {
        return "LISTEN".equals(state);
    }

    /** The same connection as our stack names it: local = the peer of this kernel socket. */
    public ConnectionId asSeenByPeer() {
        return new ConnectionId(remoteAddress, remotePort, localAddress, localPort);
    }

    public String local() {
        return Ipv4Address.format(localAddress) + ":" + localPort;
    }

    public String peer() {
        return remotePort == 0 ? "*:*" : Ipv4Address.format(remoteAddress) + ":" + remotePort;
    }

    /** {@code ss -o}'s timer column: {@code timer:(timewait,59sec,0)}, or "" when off. */
    public String timerText() {
        if ("off".equals(timer)) {
            return "";
        }
        return "timer:(" + timer + "," + Durations.compact(timerLeftMillis * 1_000_000L) + "," + retransmits + ")";
    }

    /**
     * Parses the text of {@code /proc/net/tcp} or {@code /proc/net/tcp6} (only its v4-mapped sockets): a header line, then one line per socket. Lines
     * that do not have the expected shape are skipped.
     */
    public static List<KernelSocket> parseProcNetTcp(String text) {
        List<KernelSocket> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            KernelSocket s = parseLine(line.trim());
            if (s != null) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * One line: {@code sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt ...},
     * addresses as the 32-bit value in host byte order, ports, state and queues in hex.
     */
    static KernelSocket parseLine(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 7 || !f[0].endsWith(":") || !(f[1].indexOf(':') == 8 || f[1].indexOf(':') == 32)) {
            return null;
        }
        if (f[1].indexOf(':') == 32 && !(f[1].startsWith(V4_MAPPED) && f[2].startsWith(V4_MAPPED))) {
            return null; // a real IPv6 socket: not ours to show (our namespaces are IPv4-only)
        }
        try {
            int state = Integer.parseInt(f[3], 16);
            String[] queues = f[4].split(":");
            String[] timer = f[5].split(":");
            int timerCode = Integer.parseInt(timer[0], 16);
            return new KernelSocket(state < STATES.length ? STATES[state] : "UNKNOWN",
                    address(f[1]), port(f[1]), address(f[2]), port(f[2]),
                    Integer.parseInt(queues[0], 16), Integer.parseInt(queues[1], 16),
                    timerCode < TIMERS.length ? TIMERS[timerCode] : "unknown",
                    timerCode == 0 ? 0 : Long.parseLong(timer[1], 16) * MILLIS_PER_TICK,
                    (int) Long.parseLong(f[6], 16));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static int address(String field) {
        int colon = field.indexOf(':');
        int raw = (int) Long.parseLong(field.substring(colon - 8, colon), 16);
        // The kernel prints the __be32 as a native u32: on a little-endian machine the bytes are reversed.
        return ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(raw) : raw;
    }

    private static int port(String field) {
        return Integer.parseInt(field.substring(field.indexOf(':') + 1), 16);
    }
}
