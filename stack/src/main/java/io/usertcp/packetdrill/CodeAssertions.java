package io.usertcp.packetdrill;

import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code %{ }%} blocks scripts use to check TCP_INFO: lines of {@code assert NAME OP VALUE}
 * (joined with {@code and}) over {@code tcpi_state}, {@code tcpi_options}, {@code tcpi_snd_mss},
 * {@code tcpi_snd_wscale}, {@code tcpi_rcv_wscale}, {@code tcpi_retransmits} and {@code tcpi_rto}
 * (µs). State names may be FreeBSD's ({@code TCPI_SYN_RECEIVED}) or Linux's
 * ({@code TCP_SYN_RECV}). Other code (packetdrill runs Python) is reported as skipped.
 */
final class CodeAssertions {
    /** TCP_INFO's tcpi_options bits. */
    static final int TCPI_OPT_TIMESTAMPS = 1;
    static final int TCPI_OPT_SACK = 2;
    static final int TCPI_OPT_WSCALE = 4;
    static final int TCPI_OPT_ECN = 8;

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

    private static final Map<String, Long> CONSTANTS = Map.of(
            "TCPI_OPT_TIMESTAMPS", (long) TCPI_OPT_TIMESTAMPS, "TCPI_OPT_SACK", (long) TCPI_OPT_SACK,
            "TCPI_OPT_WSCALE", (long) TCPI_OPT_WSCALE, "TCPI_OPT_ECN", (long) TCPI_OPT_ECN);

    /** The outcome: null when every assertion held; otherwise a failure or a skip, with text. */
    record Outcome(boolean skipped, String message, String expected, String actual) {}

    private CodeAssertions() {}

    /**
     * @param state the TCP state of the socket under test (TCP_INFO's tcpi_state)
     * @param connection its connection, or null (a listener, a fresh socket)
     */
    static Outcome check(String code, TcpState state, TcpConnection connection, long nowNanos) {
        List<String[]> comparisons = new ArrayList<>();
        for (String raw : code.split("[\n;]")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (!line.startsWith("assert ")) {
                return new Outcome(true, "%{ " + line + " }%: only assert statements are supported", null, null);
            }
            for (String part : line.substring(7).split("\\s+and\\s+")) {
                String[] cmp = part.strip().split("\\s*(==|!=|<=|>=|<|>)\\s*", 2);
                if (cmp.length != 2) {
                    return new Outcome(true, "%{ " + line + " }%: expected NAME == VALUE", null, null);
                }
                String op = part.substring(cmp[0].length(), part.length() - cmp[1].length()).strip();
                comparisons.add(new String[] {cmp[0].strip(), op, cmp[1].strip()});
            }
        }
        for (String[] c : comparisons) {
            Outcome o = compare(c[0], c[1], c[2], state, connection, nowNanos);
            if (o != null) {
                return o;
            }
        }
        return null;
    }

    private static Outcome compare(String name, String op, String value, TcpState state, TcpConnection connection,
                                   long nowNanos) {
        if (name.equals("tcpi_state")) {
            TcpState want = STATES.get(value);
            if (want == null || !(op.equals("==") || op.equals("!="))) {
                return new Outcome(true, "%{ assert tcpi_state " + op + " " + value + " }%: unknown state", null, null);
            }
            boolean holds = (state == want) == op.equals("==");
            return holds ? null : new Outcome(false, "tcpi_state " + op + " " + value + " does not hold",
                    "tcpi_state " + op + " " + value, "tcpi_state == " + name(state));
        }
        Long want = number(value);
        if (want == null) {
            return new Outcome(true, "%{ assert " + name + " " + op + " " + value + " }%: unknown value " + value, null, null);
        }
        Long actual = field(name, connection, nowNanos);
        if (actual == null) {
            return new Outcome(true, "%{ assert " + name + " ... }%: " + name + " is not supported"
                    + (connection == null ? " without a connection" : ""), null, null);
        }
        boolean holds = switch (op) {
            case "==" -> actual.longValue() == want;
            case "!=" -> actual.longValue() != want;
            case "<" -> actual < want;
            case "<=" -> actual <= want;
            case ">" -> actual > want;
            default -> actual >= want;
        };
        return holds ? null : new Outcome(false, name + " " + op + " " + value + " does not hold",
                name + " " + op + " " + value, name + " == " + actual);
    }

    private static Long number(String value) {
        long total = 0;
        for (String term : value.split("\\|")) {
            String t = term.strip();
            Long c = CONSTANTS.get(t);
            if (c == null) {
                try {
                    c = t.startsWith("0x") ? Long.parseLong(t.substring(2), 16) : Long.parseLong(t);
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            total |= c;
        }
        return total;
    }

    private static Long field(String name, TcpConnection c, long nowNanos) {
        if (c == null) {
            return null;
        }
        ConnectionSnapshot s = c.snapshot(nowNanos);
        return switch (name) {
            case "tcpi_options" -> (long) ((s.timestamps() ? TCPI_OPT_TIMESTAMPS : 0) | (s.sack() ? TCPI_OPT_SACK : 0)
                    | (s.sendWindowShift() > 0 || s.receiveWindowShift() > 0 ? TCPI_OPT_WSCALE : 0));
            case "tcpi_snd_mss" -> (long) s.mss();
            case "tcpi_snd_wscale" -> (long) s.sendWindowShift();
            case "tcpi_rcv_wscale" -> (long) s.receiveWindowShift();
            case "tcpi_retransmits" -> (long) s.retransmits();
            case "tcpi_rto" -> s.rtoNanos() / 1000;
            default -> null;
        };
    }

    /** FreeBSD's TCPI_ name of a state. */
    static String name(TcpState state) {
        return state == null ? "(no socket)" : "TCPI_" + state.name().toUpperCase(Locale.ROOT);
    }
}
