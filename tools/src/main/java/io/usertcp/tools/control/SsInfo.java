package io.usertcp.tools.control;

import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpInfo;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.tcp.cc.CongestionControl;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code ss -o} and {@code ss -i} print of a connection, in iproute2's own words and order
 * (misc/ss.c: tcp_timer_print(), print_ms_timer(), tcp_stats_print()), so that whatever parses the
 * output of {@code ss -tanoi} parses ours. Fields this stack does not keep are left out, as ss
 * leaves out those that are 0: ato, pmtu, pacing_rate, delivery_rate, app_limited, rcv_rtt,
 * rcv_space, rcv_ssthresh.
 */
public final class SsInfo {
    private SsInfo() {
    }

    /**
     * {@code timer:(on,195ms,0)}: the timer Linux's inet_diag reports (inet_sk_diag_fill()): the
     * retransmission timer and RACK's timers as {@code on} with the retransmission count, then the
     * zero-window probe as {@code persist}, then keepalive and the orphaned FIN-WAIT-2 timer
     * (sk_timer) as {@code keepalive}; TIME-WAIT as {@code timewait}; "" when none runs.
     */
    public static String timer(ConnectionSnapshot s) {
        Map<TcpTimer, Long> left = s.timersLeftNanos();
        if (left.containsKey(TcpTimer.TIME_WAIT)) {
            return format("timewait", left.get(TcpTimer.TIME_WAIT), 0);
        }
        Long on = earliest(left, TcpTimer.RETRANSMIT, TcpTimer.REORDER, TcpTimer.LOSS_PROBE);
        if (on != null) {
            return format("on", on, s.retransmits());
        }
        if (left.containsKey(TcpTimer.PERSIST)) {
            return format("persist", left.get(TcpTimer.PERSIST), s.retransmits());
        }
        Long keepalive = earliest(left, TcpTimer.KEEPALIVE, TcpTimer.FIN_WAIT_2);
        return keepalive == null ? "" : format("keepalive", keepalive, 0);
    }

    private static Long earliest(Map<TcpTimer, Long> left, TcpTimer... timers) {
        Long out = null;
        for (TcpTimer t : timers) {
            Long v = left.get(t);
            if (v != null && (out == null || v < out)) {
                out = v;
            }
        }
        return out;
    }

    private static String format(String name, long leftNanos, int retransmits) {
        return "timer:(" + name + "," + msTimer(Math.max(0, leftNanos) / 1_000_000L) + "," + retransmits + ")";
    }

    /** iproute2 print_ms_timer(): {@code 195ms}, {@code 1.250ms} (1.25 s, as ss writes it), {@code 2min3sec}, {@code 119min}. */
    static String msTimer(long timeoutMillis) {
        long secs = timeoutMillis / 1000;
        long minutes = secs / 60;
        secs %= 60;
        long msecs = timeoutMillis % 1000;
        StringBuilder out = new StringBuilder();
        if (minutes > 0) {
            msecs = 0;
            out.append(minutes).append("min");
            if (minutes > 9) {
                secs = 0;
            }
        }
        if (secs > 0) {
            if (secs > 9) {
                msecs = 0;
            }
            out.append(secs).append(msecs > 0 ? "." : "sec");
        }
        if (msecs > 0) {
            out.append(String.format(Locale.ROOT, "%03dms", msecs));
        }
        return out.toString();
    }

    /**
     * The key:value line of {@code ss -i} (without its leading tab), from the connection's snapshot
     * and TCP_INFO, in tcp_stats_print()'s order.
     */
    public static String line(ConnectionSnapshot s, TcpInfo info) {
        StringBuilder out = new StringBuilder();
        flag(out, s.timestamps(), "ts");
        flag(out, s.sack(), "sack");
        flag(out, s.ecn(), "ecn");
        flag(out, s.ecnSeen(), "ecnseen");
        flag(out, !s.congestionAlgorithm().isEmpty(), s.congestionAlgorithm());
        flag(out, s.sendWindowShift() > 0 || s.receiveWindowShift() > 0, "wscale:" + s.sendWindowShift() + "," + s.receiveWindowShift());
        TcpInfo.Traffic t = info.traffic();
        double rtoMs = s.rtoNanos() / 1e6;
        flag(out, rtoMs > 0, "rto:" + g(rtoMs));
        flag(out, t.backoff() > 0, "backoff:" + t.backoff());
        long rttMicros = s.srttNanos() / 1000; // tcpi_rtt: ss leaves rtt (and send) out while it is 0
        flag(out, rttMicros > 0, "rtt:" + g(rttMicros / 1e3) + "/" + g(s.rttvarNanos() / 1000 / 1e3));
        flag(out, s.mss() > 0, "mss:" + s.mss());
        flag(out, t.rcvMss() > 0, "rcvmss:" + t.rcvMss());
        flag(out, info.advmss() > 0, "advmss:" + info.advmss());
        long cwnd = s.mss() > 0 ? s.cwndBytes() / s.mss() : 0;
        flag(out, cwnd > 0, "cwnd:" + cwnd);
        flag(out, s.mss() > 0 && s.ssthreshBytes() < CongestionControl.MAX_WINDOW_BYTES, "ssthresh:" + s.ssthreshBytes() / Math.max(1, s.mss()));
        count(out, "bytes_sent", t.bytesSent());
        count(out, "bytes_retrans", t.bytesRetrans());
        count(out, "bytes_acked", t.bytesAcked());
        count(out, "bytes_received", t.bytesReceived());
        count(out, "segs_out", t.segsOut());
        count(out, "segs_in", t.segsIn());
        count(out, "data_segs_out", t.dataSegsOut());
        count(out, "data_segs_in", t.dataSegsIn());
        if (rttMicros > 0 && cwnd > 0) { // ss computes it: cwnd · mss · 8 / rtt
            out.append(" send ").append(String.format(Locale.ROOT, "%.0f", cwnd * (double) s.mss() * 8_000_000.0 / rttMicros)).append("bps");
        }
        count(out, "lastsnd", t.lastDataSentMillis());
        count(out, "lastrcv", info.lastDataRecvMillis());
        count(out, "lastack", t.lastAckRecvMillis());
        count(out, "delivered", info.delivered());
        if (info.busyMicros() > 0) {
            out.append(" busy:").append(info.busyMicros() / 1000).append("ms");
            limited(out, "rwnd_limited", info.rwndLimitedMicros(), info.busyMicros());
            limited(out, "sndbuf_limited", info.sndbufLimitedMicros(), info.busyMicros());
        }
        count(out, "unacked", info.unacked());
        flag(out, info.retrans() > 0 || t.totalRetrans() > 0, "retrans:" + info.retrans() + "/" + t.totalRetrans());
        count(out, "lost", info.lost());
        count(out, "sacked", info.sacked());
        flag(out, info.reordering() != 3, "reordering:" + info.reordering());
        count(out, "reord_seen", info.reordSeen());
        count(out, "notsent", t.notSentBytes());
        flag(out, t.minRttMicros() > 0, "minrtt:" + g(t.minRttMicros() / 1e3));
        count(out, "snd_wnd", s.sendWindowBytes());
        return out.length() == 0 ? "" : out.substring(1);
    }

    private static void flag(StringBuilder out, boolean on, String text) {
        if (on) {
            out.append(' ').append(text);
        }
    }

    private static void count(StringBuilder out, String key, long value) {
        if (value != 0) {
            out.append(' ').append(key).append(':').append(value);
        }
    }

    private static void limited(StringBuilder out, String key, long micros, long busyMicros) {
        if (micros > 0) {
            out.append(' ').append(key).append(':').append(micros / 1000).append("ms(")
                    .append(String.format(Locale.ROOT, "%.1f", micros * 100.0 / busyMicros)).append("%)");
        }
    }

    /** C's {@code %g}: six significant digits, no trailing zeros (ss prints rto, rtt and minrtt so). */
    static String g(double v) {
        if (v == 0) {
            return "0";
        }
        return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
