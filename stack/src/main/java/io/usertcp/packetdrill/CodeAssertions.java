package io.usertcp.packetdrill;

import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpInfo;
import io.usertcp.tcp.TcpState;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code %{ }%} blocks scripts use to check TCP_INFO: {@code assert} statements
 * ({@link PythonAssertions}) over the fields this stack can fill truthfully: {@code tcpi_state},
 * {@code tcpi_options}, {@code tcpi_snd_mss}, {@code tcpi_snd_wscale}, {@code tcpi_rcv_wscale},
 * {@code tcpi_retransmits}, {@code tcpi_rto}, {@code tcpi_rtt}, {@code tcpi_rttvar} (µs),
 * {@code tcpi_snd_cwnd}, {@code tcpi_snd_ssthresh} (segments, as Linux counts them), and from
 * {@link io.usertcp.tcp.TcpInfo} {@code tcpi_ca_state}, {@code tcpi_advmss}, {@code tcpi_unacked},
 * {@code tcpi_reordering}, {@code tcpi_last_data_recv}, {@code tcpi_sacked}, {@code tcpi_lost},
 * {@code tcpi_retrans}, {@code tcpi_reord_seen}. State names
 * may be FreeBSD's ({@code TCPI_SYN_RECEIVED}) or Linux's ({@code TCP_SYN_RECV}). Any other field,
 * or Python beyond assertions, makes the script unsupported, never a guessed value.
 */
final class CodeAssertions {
    /** TCP_INFO's tcpi_options bits. */
    static final int TCPI_OPT_TIMESTAMPS = 1;
    static final int TCPI_OPT_SACK = 2;
    static final int TCPI_OPT_WSCALE = 4;
    static final int TCPI_OPT_ECN = 8;
    static final int TCPI_OPT_ECN_SEEN = 16;
    /** The data of the SYN exchange was accepted (Linux syn_data_acked: TCP Fast Open). */
    static final int TCPI_OPT_SYN_DATA = 32;

    private static final Map<String, TcpState> STATES = Map.ofEntries(
            Map.entry("TCPI_CLOSED", TcpState.CLOSED), Map.entry("TCP_CLOSE", TcpState.CLOSED),
            Map.entry("TCPI_LISTEN", TcpState.LISTEN), Map.entry("TCP_LISTEN", TcpState.LISTEN),
            Map.entry("TCPI_SYN_SENT", TcpState.SYN_SENT), Map.entry("TCP_SYN_SENT", TcpState.SYN_SENT),
            Map.entry("TCPI_SYN_RECEIVED", TcpState.SYN_RECEIVED), Map.entry("TCP_SYN_RECV", TcpState.SYN_RECEIVED),
            Map.entry("TCPI_ESTABLISHED", TcpState.ESTABLISHED), Map.entry("TCP_ESTABLISHED", TcpState.ESTABLISHED),
            Map.entry("TCPI_CLOSE_WAIT", TcpState.CLOSE_WAIT), Map.entry("TCP_CLOSE_WAIT", TcpState.CLOSE_WAIT),
            Map.entry("TCPI_FIN_WAIT_1", TcpState.FIN_WAIT_1), Map.entry("TCP_FIN_WAIT1", TcpState.FIN_WAIT_1),
            Map.entry("TCPI_CLOSING", TcpState.CLOSING), Map.entry("TCP_CLOSING", TcpState.CLOSING),
            Map.entry("TCPI_LAST_ACK", TcpState.LAST_ACK), Map.entry("TCP_LAST_ACK", TcpState.LAST_ACK),
            Map.entry("TCPI_FIN_WAIT_2", TcpState.FIN_WAIT_2), Map.entry("TCP_FIN_WAIT2", TcpState.FIN_WAIT_2),
            Map.entry("TCPI_TIME_WAIT", TcpState.TIME_WAIT), Map.entry("TCP_TIME_WAIT", TcpState.TIME_WAIT));

    private static final Map<String, Long> CONSTANTS = Map.ofEntries(
            Map.entry("TCPI_OPT_TIMESTAMPS", (long) TCPI_OPT_TIMESTAMPS), Map.entry("TCPI_OPT_SACK", (long) TCPI_OPT_SACK),
            Map.entry("TCPI_OPT_WSCALE", (long) TCPI_OPT_WSCALE), Map.entry("TCPI_OPT_ECN", (long) TCPI_OPT_ECN),
            Map.entry("TCPI_OPT_ECN_SEEN", (long) TCPI_OPT_ECN_SEEN), Map.entry("TCPI_OPT_SYN_DATA", (long) TCPI_OPT_SYN_DATA),
            Map.entry("TCP_CA_Open", (long) io.usertcp.tcp.TcpInfo.CA_OPEN),
            Map.entry("TCP_CA_Disorder", (long) io.usertcp.tcp.TcpInfo.CA_DISORDER),
            Map.entry("TCP_CA_CWR", (long) io.usertcp.tcp.TcpInfo.CA_CWR),
            Map.entry("TCP_CA_Recovery", (long) io.usertcp.tcp.TcpInfo.CA_RECOVERY),
            Map.entry("TCP_CA_Loss", (long) io.usertcp.tcp.TcpInfo.CA_LOSS));

    /**
     * The {@code tcpi_*} fields of one TCP_INFO reading.
     *
     * @param lookup        a {@code tcpi_*} field (or another name the reading knows, such as the
     *                      kernel's {@code TCP_CA_*} constants) by name, null when it has no such name
     * @param hasConnection false when the socket had no connection (then no field but tcpi_state)
     * @param source        whose TCP_INFO it is, for messages ({@code "the stack's"})
     */
    record Fields(java.util.function.Function<String, Long> lookup, boolean hasConnection, String source) {}

    /** The fields of the stack's snapshot and TCP_INFO reading (null: no connection). */
    static Fields fields(ConnectionSnapshot snapshot, TcpInfo info) {
        return new Fields(name -> field(name, snapshot, info), snapshot != null, "the stack's");
    }

    /** The outcome (null when every assertion held): a failed assertion, or what the block needs that is not emulated. */
    record Outcome(boolean unsupported, String message, String expected, String actual) {}

    private CodeAssertions() {}

    /**
     * Runs a block's statements ({@link PythonAssertions}) over TCP_INFO as it was when the
     * block's time came ({@code snapshot}, null without a connection), with Python variables
     * shared by the script's blocks.
     *
     * @param state the TCP state of the socket under test then (TCP_INFO's tcpi_state)
     */
    static Outcome check(String code, TcpState state, Fields fields, Map<String, Object> locals,
                         java.util.function.Consumer<String> skipped) {
        try {
            PythonAssertions.Failed f = PythonAssertions.run(code, name -> value(name, state, fields), locals, skipped);
            return f == null ? null : new Outcome(false, f.statement() + " does not hold", f.statement(), f.values());
        } catch (PythonAssertions.Unsupported u) {
            String what = u.getMessage();
            if (what.startsWith("tcpi_")) {
                what = what + (!fields.hasConnection() && !what.equals("tcpi_state") ? " (no connection on this socket)"
                        : " (" + fields.source() + " TCP_INFO has no such field)");
            }
            return new Outcome(true, what, null, null);
        }
    }

    private static Object value(String name, TcpState state, Fields fields) {
        if (name.equals("tcpi_state")) {
            return state;
        }
        if (STATES.containsKey(name)) {
            return STATES.get(name);
        }
        if (CONSTANTS.containsKey(name)) {
            return CONSTANTS.get(name);
        }
        if (name.equals("True")) {
            return 1L;
        }
        if (name.equals("False")) {
            return 0L;
        }
        return fields.lookup().apply(name); // the stack answers tcpi_* only; the kernel backend also its constants
    }

    /** A TCP_INFO field from the connection's snapshot; null when this stack cannot fill it truthfully. */
    private static Long field(String name, ConnectionSnapshot s, TcpInfo info) {
        if (s == null) {
            return null;
        }
        if (info != null) {
            switch (name) {
                case "tcpi_ca_state" -> {
                    return (long) info.caState();
                }
                case "tcpi_advmss" -> {
                    return (long) info.advmss();
                }
                case "tcpi_unacked" -> {
                    return (long) info.unacked();
                }
                case "tcpi_reordering" -> {
                    return (long) info.reordering();
                }
                case "tcpi_last_data_recv" -> {
                    return info.lastDataRecvMillis();
                }
                case "tcpi_sacked" -> {
                    return (long) info.sacked();
                }
                case "tcpi_lost" -> {
                    return (long) info.lost();
                }
                case "tcpi_retrans" -> {
                    return (long) info.retrans();
                }
                case "tcpi_reord_seen" -> {
                    return (long) info.reordSeen();
                }
                case "tcpi_delivered" -> {
                    return info.delivered();
                }
                case "tcpi_busy_time" -> {
                    return info.busyMicros();
                }
                case "tcpi_rwnd_limited" -> {
                    return info.rwndLimitedMicros();
                }
                case "tcpi_sndbuf_limited" -> {
                    return info.sndbufLimitedMicros();
                }
                default -> { }
            }
            TcpInfo.Traffic t = info.traffic();
            Long traffic = switch (name) {
                case "tcpi_bytes_sent" -> t.bytesSent();
                case "tcpi_bytes_retrans" -> t.bytesRetrans();
                case "tcpi_bytes_acked" -> t.bytesAcked();
                case "tcpi_bytes_received" -> t.bytesReceived();
                case "tcpi_segs_out" -> t.segsOut();
                case "tcpi_segs_in" -> t.segsIn();
                case "tcpi_data_segs_out" -> t.dataSegsOut();
                case "tcpi_data_segs_in" -> t.dataSegsIn();
                case "tcpi_total_retrans" -> t.totalRetrans();
                case "tcpi_last_data_sent" -> t.lastDataSentMillis();
                case "tcpi_last_ack_recv" -> t.lastAckRecvMillis();
                case "tcpi_rcv_mss" -> (long) t.rcvMss();
                case "tcpi_min_rtt" -> t.minRttMicros();
                case "tcpi_notsent_bytes" -> (long) t.notSentBytes();
                case "tcpi_backoff" -> (long) t.backoff();
                default -> null;
            };
            if (traffic != null) {
                return traffic;
            }
        }
        int mss = Math.max(1, s.mss());
        return switch (name) {
            case "tcpi_options" -> (long) ((s.timestamps() ? TCPI_OPT_TIMESTAMPS : 0) | (s.sack() ? TCPI_OPT_SACK : 0)
                    | (s.sendWindowShift() > 0 || s.receiveWindowShift() > 0 ? TCPI_OPT_WSCALE : 0)
                        | (s.ecn() ? TCPI_OPT_ECN : 0) | (s.ecnSeen() ? TCPI_OPT_ECN_SEEN : 0)
                    | (info != null && info.synDataAcked() ? TCPI_OPT_SYN_DATA : 0)); // Linux tcp_get_info()
            case "tcpi_snd_mss" -> (long) s.mss();
            case "tcpi_snd_wscale" -> (long) s.sendWindowShift();
            case "tcpi_rcv_wscale" -> (long) s.receiveWindowShift();
            case "tcpi_retransmits" -> (long) s.retransmits();
            case "tcpi_rto" -> s.rtoNanos() / 1000;
            case "tcpi_rtt" -> s.srttNanos() / 1000;
            case "tcpi_rttvar" -> s.rttvarNanos() / 1000;
            // Linux counts the congestion window in segments (snd_cwnd); ours is in bytes.
            case "tcpi_snd_cwnd" -> s.cwndBytes() / mss;
            // Linux: TCP_INFINITE_SSTHRESH (0x7fffffff) until the first congestion signal.
            case "tcpi_snd_ssthresh" -> s.ssthreshBytes() >= io.usertcp.tcp.cc.CongestionControl.MAX_WINDOW_BYTES
                    ? 0x7fff_ffffL : s.ssthreshBytes() / mss;
            default -> null;
        };
    }

    /** FreeBSD's TCPI_ name of a state. */
    static String name(TcpState state) {
        return state == null ? "(no socket)" : "TCPI_" + state.name().toUpperCase(Locale.ROOT);
    }
}
