package io.usertcp.tools.control;

import io.usertcp.tcp.ConnectionSnapshot;
import io.usertcp.tcp.TcpInfo;
import io.usertcp.tcp.TcpListener;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import io.usertcp.tcp.cc.CongestionControl;
import io.usertcp.tools.Json;
import io.usertcp.tools.demo.Durations;
import io.usertcp.tools.demo.KernelSocket;
import io.usertcp.wire.Ipv4Address;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One row of an {@code ss -tan}-like table: what {@code usertcp ss} prints and what the control
 * socket sends, one row per line with tab-separated fields (so nothing in a field may hold a tab).
 *
 * @param state  {@code ss}'s state name: {@code ESTAB}, {@code TIME-WAIT}, {@code LISTEN}, ...
 * @param timers armed timers and time left, e.g. {@code rexmit 180ms, keepalive 1.9s}; "" when none
 * @param rtt    smoothed RTT / RTT variance in ms, as {@code ss -i} prints them ({@code 0.153/0.076}); "" when unknown
 * @param rto    retransmission timeout in ms; "" when unknown
 * @param cwnd   the congestion control as {@code ss -i} shows it: algorithm, then cwnd and ssthresh in
 *               segments of MSS ({@code cubic cwnd:10 ssthresh:7}); ssthresh is left out until it is
 *               set; "" when the snapshot has none (TIME-WAIT, listeners, kernel sockets)
 * @param buffers the socket buffers as {@code ss -m} names them in {@code skmem}: {@code rb131072 tb87040},
 *               the receive and send buffer in bytes, which autotuning grows; "" when the snapshot has none
 * @param ssTimer the timer as {@code ss -o} prints it ({@code timer:(on,195ms,0)}, {@link SsInfo#timer}); "" when none
 * @param info    the key:value line of {@code ss -i} ({@link SsInfo#line}); "" for listeners and TIME-WAIT
 * @param shard   the shard of the stack that holds the socket ({@link io.usertcp.core.Shard}); 0 when
 *                the stack has one
 */
public record SsRow(String state, long recvQ, long sendQ, String local, String peer, String timers, String rtt,
                    String rto, String mss, String cwnd, String buffers, String ssTimer, String info, int shard) {

    /** A row without ss's own timer and info forms (listeners, kernel sockets, tests), of shard 0. */
    public SsRow(String state, long recvQ, long sendQ, String local, String peer, String timers, String rtt,
                 String rto, String mss, String cwnd, String buffers) {
        this(state, recvQ, sendQ, local, peer, timers, rtt, rto, mss, cwnd, buffers, "", "", 0);
    }

    /** This row, of shard {@code index}. */
    public SsRow onShard(int index) {
        return new SsRow(state, recvQ, sendQ, local, peer, timers, rtt, rto, mss, cwnd, buffers, ssTimer, info, index);
    }

    static final String[] HEADER = {"State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port",
        "Timers", "RTT(ms)", "RTO(ms)", "MSS", "Congestion", "Buffers"};
    /** The fields of the wire form: the table's columns, then ss's timer and info forms, then the shard. */
    private static final int FIELDS = HEADER.length + 3;
    /** The table's last column when the stack has several shards. */
    static final String SHARD_HEADER = "Shard";

    /** A connection or TIME-WAIT entry of our stack, without its TCP_INFO line. */
    public static SsRow of(ConnectionSnapshot s) {
        return of(s, null);
    }

    /** A connection or TIME-WAIT entry of our stack; {@code info} (null for TIME-WAIT) gives the {@code ss -i} line. */
    public static SsRow of(ConnectionSnapshot s, TcpInfo info) {
        boolean timeWait = s.state() == TcpState.TIME_WAIT;
        return new SsRow(s.state().ssName(), s.receiveQueueBytes(), s.sendQueueBytes(),
                Ipv4Address.format(s.id().localAddress()) + ":" + s.id().localPort(),
                Ipv4Address.format(s.id().remoteAddress()) + ":" + s.id().remotePort(),
                timers(s.timersLeftNanos()),
                timeWait || s.srttNanos() == 0 ? "" : millis(s.srttNanos()) + "/" + millis(s.rttvarNanos()),
                timeWait ? "" : Long.toString(s.rtoNanos() / 1_000_000L),
                timeWait ? "" : Integer.toString(s.mss()), timeWait ? "" : congestion(s), buffers(s),
                SsInfo.timer(s), info == null || timeWait ? "" : SsInfo.line(s, info), 0);
    }

    /**
     * {@code rb131072 tb87040}, as ss -m's skmem names sk_rcvbuf and sk_sndbuf, then {@code r4096} when
     * received data holds memory (sk_rmem_alloc); "" when there are no buffers.
     */
    static String buffers(ConnectionSnapshot s) {
        if (s.receiveBufferBytes() == 0 && s.sendBufferBytes() == 0) {
            return "";
        }
        String buffers = "rb" + s.receiveBufferBytes() + " tb" + s.sendBufferBytes();
        return s.receiveMemoryBytes() == 0 ? buffers : buffers + " r" + s.receiveMemoryBytes();
    }

    /**
     * {@code cubic cwnd:10 ssthresh:7}, as {@code ss -i} prints Linux's {@code tcp_info}: windows in
     * segments of MSS (Linux counts snd_cwnd in packets; we keep bytes, RFC 5681, and divide). ssthresh
     * is omitted while it is still "arbitrarily high" (RFC 5681 §3.1), as ss omits Linux's
     * TCP_INFINITE_SSTHRESH.
     */
    static String congestion(ConnectionSnapshot s) {
        if (s.congestionAlgorithm().isEmpty() || s.mss() <= 0) {
            return "";
        }
        StringBuilder out = new StringBuilder(s.congestionAlgorithm()).append(" cwnd:").append(s.cwndBytes() / s.mss());
        if (s.ssthreshBytes() < CongestionControl.MAX_WINDOW_BYTES) {
            out.append(" ssthresh:").append(s.ssthreshBytes() / s.mss());
        }
        return out.toString();
    }

    /** A listener: Recv-Q is its accept queue, Send-Q its backlog, as ss shows LISTEN sockets. */
    public static SsRow of(TcpListener l) {
        String local = (l.localAddress() == 0 ? "0.0.0.0" : Ipv4Address.format(l.localAddress())) + ":" + l.port();
        return new SsRow("LISTEN", l.acceptQueueLength(), l.backlog(), local, "*:*",
                l.synQueueLength() == 0 ? "" : "syn-queue " + l.synQueueLength(), "", "", "", "", "");
    }

    /** A kernel socket, for showing both sides in one format. */
    public static SsRow of(KernelSocket k) {
        String timers = "off".equals(k.timer()) ? "" : k.timer() + " " + Durations.compact(k.timerLeftMillis() * 1_000_000L);
        return new SsRow(k.state(), k.recvQueueBytes(), k.sendQueueBytes(), k.local(), k.peer(), timers, "", "", "", "", "");
    }

    private static String timers(Map<TcpTimer, Long> left) {
        List<String> parts = new ArrayList<>();
        for (TcpTimer t : TcpTimer.values()) {
            Long nanos = left.get(t);
            if (nanos != null) {
                parts.add(timerName(t) + " " + Durations.compact(nanos));
            }
        }
        return String.join(", ", parts);
    }

    private static String timerName(TcpTimer t) {
        return switch (t) {
            case RETRANSMIT -> "rexmit";
            case DELAYED_ACK -> "delack";
            case PERSIST -> "persist";
            case KEEPALIVE -> "keepalive";
            case FIN_WAIT_2 -> "fin-wait-2";
            case TIME_WAIT -> "timewait";
            case USER_TIMEOUT -> "user-timeout";
            case REORDER -> "reorder"; // RACK's reordering timer (RFC 8985 §6.3)
            case LOSS_PROBE -> "loss-probe"; // the tail loss probe (RFC 8985 §7)
        };
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
    }

    /**
     * The row as a JSON object: numbers for the queues, strings for the rest, empty fields left out
     * (names as ss's columns: state, recv_q, send_q, local, peer, timers, rtt, rto, mss, cc, buffers; then
     * ss_timer and info, ss -o's and ss -i's forms), and the shard that holds the socket (0 on a stack of one).
     */
    public String toJson() {
        StringBuilder out = new StringBuilder("{\"shard\":").append(shard).append(",\"state\":").append(Json.string(state))
                .append(",\"recv_q\":").append(recvQ).append(",\"send_q\":").append(sendQ)
                .append(",\"local\":").append(Json.string(local))
                .append(",\"peer\":").append(Json.string(peer));
        String[] names = {"timers", "rtt", "rto", "mss", "cc", "buffers", "ss_timer", "info"};
        String[] values = {timers, rtt, rto, mss, cwnd, buffers, ssTimer, info};
        for (int i = 0; i < names.length; i++) {
            if (!values[i].isEmpty()) {
                out.append(",\"").append(names[i]).append("\":").append(Json.string(values[i]));
            }
        }
        return out.append('}').toString();
    }

    /** The wire form: fields joined by tabs. */
    public String toLine() {
        return String.join("\t", state, Long.toString(recvQ), Long.toString(sendQ), local, peer, timers, rtt, rto, mss, cwnd,
                buffers, ssTimer, info, Integer.toString(shard));
    }

    /** Parses {@link #toLine()}. @throws IllegalArgumentException when the line has the wrong shape */
    public static SsRow parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != FIELDS) {
            throw new IllegalArgumentException("ss row: " + f.length + " fields (expected: " + FIELDS + "): " + line);
        }
        return new SsRow(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10],
                f[11], f[12], Integer.parseInt(f[13]));
    }

    /**
     * The rows as {@code ss -tan} prints them, with {@code -o}'s timer after the peer and {@code -i}'s
     * key:value line under each connection: the layout of iproute2's ss, for tools that parse it.
     */
    public static String ssLayout(List<SsRow> rows, boolean timers, boolean info) {
        return ssLayout(rows, timers, info, false);
    }

    /**
     * {@link #ssLayout(List, boolean, boolean)}; with {@code shards} (a stack of several), {@code -i}'s
     * line of every socket ends with {@code shard:N}, a key:value pair as ss's own, so the layout still
     * parses as ss's (a socket without TCP_INFO, a listener or TIME-WAIT entry, gets a line with that
     * alone, as ss -i gives listeners a line of their own).
     */
    public static String ssLayout(List<SsRow> rows, boolean timers, boolean info, boolean shards) {
        String[] header = {"State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port"};
        List<String[]> cells = new ArrayList<>();
        for (SsRow r : rows) {
            cells.add(new String[] {r.state, Long.toString(r.recvQ), Long.toString(r.sendQ), r.local, r.peer});
        }
        int[] width = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            width[c] = header[c].length();
            for (String[] row : cells) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        StringBuilder out = new StringBuilder(ssColumns(header, width)).append("Process\n");
        for (int i = 0; i < rows.size(); i++) {
            SsRow r = rows.get(i);
            String timer = timers && !r.ssTimer.isEmpty() ? " " + r.ssTimer : "";
            out.append((ssColumns(cells.get(i), width) + timer).stripTrailing()).append('\n');
            String line = shards ? (r.info + " shard:" + r.shard).strip() : r.info;
            if (info && !line.isEmpty()) {
                out.append("\t ").append(line).append('\n');
            }
        }
        return out.toString();
    }

    /** ss's first five columns: state and the queues left-aligned, the two addresses right-aligned; a space after each. */
    private static String ssColumns(String[] row, int[] width) {
        return pad(row[0], width[0], false) + ' ' + pad(row[1], width[1], false) + ' ' + pad(row[2], width[2], false) + ' '
                + pad(row[3], width[3], true) + ' ' + pad(row[4], width[4], true) + ' ';
    }

    /** The rows as an aligned table with a header, like {@code ss -tan}; empty columns are left out. */
    public static String table(List<SsRow> rows) {
        return table(rows, false);
    }

    /**
     * {@link #table(List)}; with {@code shards} (a stack of several), a last column says which shard
     * holds each socket.
     */
    public static String table(List<SsRow> rows, boolean shards) {
        String[] header = HEADER;
        if (shards) {
            header = java.util.Arrays.copyOf(HEADER, HEADER.length + 1);
            header[HEADER.length] = SHARD_HEADER;
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(header);
        for (SsRow r : rows) {
            String[] fields = r.toLine().split("\t", -1);
            String[] row = java.util.Arrays.copyOf(fields, header.length);
            if (shards) {
                row[HEADER.length] = Integer.toString(r.shard);
            }
            cells.add(row);
        }
        boolean[] used = new boolean[header.length];
        int[] width = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            used[c] = c < 5;
            for (String[] row : cells) {
                width[c] = Math.max(width[c], row[c].length());
                used[c] |= row != header && !row[c].isEmpty();
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < header.length; c++) {
                if (used[c]) {
                    boolean number = c == 1 || c == 2;
                    line.append(number ? pad(row[c], width[c], true) : pad(row[c], width[c], false)).append("  ");
                }
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - s.length()));
        return right ? fill + s : s + fill;
    }
}
