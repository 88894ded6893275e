package io.usertcp.sim;

import io.usertcp.core.StackStats;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.cc.CongestionAlgorithm;
import io.usertcp.tcp.cc.CongestionConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The goodput table (issue 4, "show it works"; issue 15 added the 10 % row, the large-BDP column and
 * the RTO counts): goodput of one bulk transfer against random loss and the path, per congestion
 * control algorithm, measured in virtual time on the {@link SimulatedNetwork} by {@link BulkTransfer}.
 * Every cell is deterministic (fixed seeds, virtual time), so the committed table is exactly what the
 * code produced when it was generated.
 *
 * <p>A cell is the mean over {@link #SEEDS} seeds. One seed alone is not a measurement: under loss,
 * whether a run takes zero, one or two 200 ms timeouts decides its goodput, so single runs of one
 * cell differ by up to a factor of two between seeds (2 % loss, 1 ms: 43, 58 or 87 Mbit/s), and
 * any change to the segment sequence moved a single-seed cell by ±50 %. That is also why each cell
 * shows the retransmission timeouts its runs took: a cell that moved because it took more or fewer
 * timeouts says so.
 *
 * <p>Two kinds of column ({@link Column}): four window-bound ones, 1 to 100 ms over 100 Mbit/s with
 * fixed 256 KiB buffers, where the receive window bounds the flight; and {@link #LARGE_BDP}, 1 Gbit/s
 * at 100 ms with Linux's buffer autotuning, where the window can outgrow the path and slow start,
 * congestion control and loss recovery are what bound goodput.
 *
 * <p>{@link #main} writes the table as Markdown ({@code scripts/goodput-table.sh} runs it);
 * {@code GoodputTableTest} recomputes every cell and compares it with the committed file.
 */
final class GoodputTable {
    /** Where the committed table lives, from the repository root. */
    static final String COMMITTED_PATH = "stack/src/test/resources/io/usertcp/sim/goodput.md";
    static final String RESOURCE = "/io/usertcp/sim/goodput.md";
    static final List<CongestionAlgorithm> ALGORITHMS = List.of(CongestionAlgorithm.NEW_RENO, CongestionAlgorithm.CUBIC);
    /** Fraction of data packets (A to B) lost at random. */
    static final List<Double> LOSSES = List.of(0.0, 0.001, 0.01, 0.02, 0.05, 0.10);
    /** The window-bound columns' round-trip times. */
    static final List<Integer> WINDOW_BOUND_RTTS_MS = List.of(1, 10, 50, 100);
    /** What A sends in a window-bound column. */
    static final long TRANSFER_BYTES = 4 * BulkTransfer.MIB;
    /** Seeds 1..SEEDS; a cell is their mean. */
    static final int SEEDS = 8;
    /** The window-bound columns' path: 100 Mbit/s with a 256 KiB drop-tail queue, on each direction. */
    static final Bottleneck BOTTLENECK = Bottleneck.megabits(100, 256 * 1024);

    /** The large-BDP column's round-trip time. */
    static final int LARGE_BDP_RTT_MS = 100;
    /** The large-BDP column's link rate. */
    static final long LARGE_BDP_BITS_PER_SECOND = 1_000_000_000L;
    /** Its bandwidth-delay product, 12.5 MB: the bytes in flight that fill the link without a queue. */
    static final int LARGE_BDP_BYTES = (int) (LARGE_BDP_BITS_PER_SECOND / 8 * LARGE_BDP_RTT_MS / 1000);
    /**
     * The large-BDP column's path: 1 Gbit/s with a drop-tail queue of one BDP on each direction, the
     * classic router sizing (rate × RTT, Villamizar and Song 1994), so that a flow which fills the
     * queue has twice the BDP in flight and a Reno-style halving of that still keeps the link busy.
     */
    static final Bottleneck LARGE_BDP_BOTTLENECK = new Bottleneck(LARGE_BDP_BITS_PER_SECOND, LARGE_BDP_BYTES);
    /**
     * What A sends in the large-BDP column: 64 MiB, about five BDPs. Slow start needs about ten round
     * trips to grow a 10-segment window to the BDP, and sends about two BDPs doing so; 64 MiB lets
     * the flow run at the link's rate past that (without loss), at a cost the test can afford (a
     * loss-free run is about 70 000 packets).
     */
    static final long LARGE_BDP_TRANSFER_BYTES = 64 * BulkTransfer.MIB;
    /**
     * tcp_rmem[2] and tcp_wmem[2] of the large-BDP column, 64 MiB: Linux's defaults (6 MiB and 4 MiB)
     * would hold the receive window near 3 MiB, a quarter of the BDP, so the window would again be
     * the limit. With 64 MiB the window can reach about 36 MiB (Linux offers a bit more than half the
     * buffer, tcp_win_from_space()), more than the 25 MB the path holds in flight and queue: the
     * queue, not the window, stops the flow (128 MiB gave the same cells at 0 and 0.1 % loss).
     */
    static final int AUTOTUNED_BUFFER_MAX_BYTES = 64 << 20;
    /** The large-BDP column. */
    static final Column LARGE_BDP = new Column("1 Gbit/s, 100 ms, autotuned", LARGE_BDP_RTT_MS, LARGE_BDP_BOTTLENECK,
            LARGE_BDP_TRANSFER_BYTES, true);
    /** Every column, in table order: the window-bound ones by RTT, then the large-BDP one. */
    static final List<Column> COLUMNS = columns();

    /**
     * Per run; a run that needs more fails (the transfer stalled). The large-BDP column at 10 % loss
     * takes about 1 700 s of virtual time to move its 64 MiB (about 0.33 Mbit/s), so the budget is 4 h.
     */
    static final long MAX_VIRTUAL_NANOS = 4 * 3600 * BulkTransfer.SECOND;
    static final long MAX_STEPS = 2_000_000;
    /** The sender's retransmission timeouts, as Linux's nstat names them. */
    static final String RTO_COUNTER = StackStats.Counter.TcpExtTCPTimeouts.name();

    /**
     * One column: a path and the stacks' buffers; the row adds the loss rate.
     *
     * @param label         the column's heading in the Markdown (unique; {@link GoodputTable#parse} finds the column by it)
     * @param rttMillis     round-trip propagation delay, half of it each way
     * @param bottleneck    rate and drop-tail queue on each direction
     * @param transferBytes what A sends
     * @param autotuned     Linux's buffer autotuning up to {@link GoodputTable#AUTOTUNED_BUFFER_MAX_BYTES};
     *                      otherwise fixed 256 KiB buffers (see {@link GoodputTable#tcp})
     */
    record Column(String label, int rttMillis, Bottleneck bottleneck, long transferBytes, boolean autotuned) {
        /** A window-bound column: {@code rttMillis} over {@link GoodputTable#BOTTLENECK}, {@link GoodputTable#TRANSFER_BYTES}, fixed buffers. */
        static Column windowBound(int rttMillis) {
            return new Column(rttMillis + " ms", rttMillis, BOTTLENECK, TRANSFER_BYTES, false);
        }
    }

    /** One cell's coordinates. */
    record Cell(CongestionAlgorithm algorithm, double loss, Column column) {
    }

    /**
     * What one cell measured.
     *
     * @param megabitsPerSecond mean goodput over the seeds
     * @param rtos              retransmission timeouts the sender took ({@link GoodputTable#RTO_COUNTER}), summed over the seeds
     */
    record Measurement(double megabitsPerSecond, long rtos) {
    }

    private GoodputTable() {
    }

    private static List<Column> columns() {
        List<Column> out = new ArrayList<>();
        for (int rtt : WINDOW_BOUND_RTTS_MS) {
            out.add(Column.windowBound(rtt));
        }
        out.add(LARGE_BDP);
        return List.copyOf(out);
    }

    /**
     * Both stacks: Linux's defaults with {@code algorithm}, and the column's buffers.
     *
     * <p>Window-bound columns: fixed buffers, so that the receive window, not autotuning, bounds the
     * flight: a 256 KiB receive buffer (about 128 KiB of window: Linux offers half,
     * tcp_win_from_space()) and a 256 KiB send buffer. These cells measure congestion control and
     * loss recovery under one window; with autotuned buffers the window would grow past the
     * bottleneck's queue.
     *
     * <p>The large-BDP column: Linux's autotuning as {@code TcpConfig.linux()} has it
     * (tcp_moderate_rcvbuf = 1, tcp_rcv_space_adjust(), tcp_sndbuf_expand()), from tcp_rmem[1] =
     * 128 KiB and tcp_wmem[1] = 16 KiB, with the maxima raised to {@link #AUTOTUNED_BUFFER_MAX_BYTES}
     * as a host tuned for long fat paths sets tcp_rmem[2] and tcp_wmem[2].
     */
    static TcpConfig tcp(CongestionAlgorithm algorithm, Column column) {
        TcpConfig.Builder b = TcpConfig.linux().toBuilder().congestion(CongestionConfig.linux().withAlgorithm(algorithm));
        if (column.autotuned()) {
            return b.receiveBufferMaxBytes(AUTOTUNED_BUFFER_MAX_BYTES).sendBufferMaxBytes(AUTOTUNED_BUFFER_MAX_BYTES).build();
        }
        return b.receiveBufferBytes(2 * 131072).sendBufferBytes(262144).bufferAutotuning(false).build();
    }

    /** The transfer behind one cell with one seed: A sends, B only reads; half the RTT each way; loss on A to B only. */
    static BulkTransfer.Spec spec(Cell cell, long seed) {
        Column col = cell.column();
        long oneWay = col.rttMillis() * BulkTransfer.MILLI / 2;
        return new BulkTransfer.Spec(tcp(cell.algorithm(), col), FaultProfile.ideal(oneWay).withLoss(cell.loss()),
                FaultProfile.ideal(oneWay), col.bottleneck(), seed, col.transferBytes(), 0, MAX_VIRTUAL_NANOS, MAX_STEPS, false);
    }

    /** Runs one cell with each seed: its mean goodput in Mbit/s and the sender's timeouts over all seeds. */
    static Measurement measure(Cell cell) {
        double sum = 0;
        long rtos = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            Measurement m = measure(cell, seed);
            sum += m.megabitsPerSecond();
            rtos += m.rtos();
        }
        return new Measurement(sum / SEEDS, rtos);
    }

    /**
     * Runs one cell with one seed and returns its goodput in Mbit/s and A's retransmission timeouts;
     * fails unless every byte arrived intact, both sides closed normally and nothing leaked.
     */
    static Measurement measure(Cell cell, long seed) {
        BulkTransfer.Result r = BulkTransfer.run(spec(cell, seed));
        if (!r.sentAtoB().equals(r.receivedAtoB()) || r.receivedBytesAtoB() != cell.column().transferBytes()
                || r.reasonA() != CloseReason.NORMAL || r.reasonB() != CloseReason.NORMAL || r.bytesLeftAllocated() != 0) {
            throw new AssertionError("cell " + cell + " did not transfer cleanly: " + r.summary()
                    + ", " + r.bytesLeftAllocated() + " bytes left allocated");
        }
        // A's stack holds only this connection, so its counter is this connection's timeouts: the
        // SYN's and the FIN's included, as Linux counts them (tcp_retransmit_timer()).
        return new Measurement(r.goodputAtoBBitsPerSecond() / 1e6, r.statsA().getOrDefault(RTO_COUNTER, 0L));
    }

    /** Every cell, in table order. */
    static List<Cell> cells() {
        List<Cell> out = new ArrayList<>();
        for (CongestionAlgorithm a : ALGORITHMS) {
            for (double loss : LOSSES) {
                for (Column col : COLUMNS) {
                    out.add(new Cell(a, loss, col));
                }
            }
        }
        return out;
    }

    /** Measures every cell. */
    static Map<Cell, Measurement> measureAll() {
        Map<Cell, Measurement> out = new LinkedHashMap<>();
        for (Cell c : cells()) {
            out.put(c, measure(c));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------
    // Markdown
    // ------------------------------------------------------------------------------------

    static String render(Map<Cell, Measurement> cells) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Goodput against loss and round-trip time\n\n");
        sb.append("Generated by `scripts/goodput-table.sh` (`io.usertcp.sim.GoodputTable`); do not edit by hand.\n");
        sb.append("`GoodputTableTest` recomputes every cell: it fails when a cell's goodput falls more than 10 % below\n");
        sb.append("the value here (a regression) or rises more than 25 % above it (then regenerate, so the table stays\n");
        sb.append("true). The RTO counts are shown for information; the test reads them but does not judge them.\n");
        sb.append("To regenerate after changing the stack: `scripts/goodput-table.sh`, then commit this file.\n\n");
        sb.append("How each cell is made (all in virtual time, so every cell is deterministic):\n\n");
        sb.append(String.format(Locale.ROOT, "- one connection between two stacks over `SimulatedNetwork`; A sends %d MiB (%d MiB in the\n",
                TRANSFER_BYTES / BulkTransfer.MIB, LARGE_BDP_TRANSFER_BYTES / BulkTransfer.MIB));
        sb.append("  large-BDP column) of pseudo-random bytes, B reads them as they arrive; goodput = bytes / (time\n");
        sb.append("  from A's handshake completing to B reading the end of stream), in Mbit/s; every byte is checked\n");
        sb.append("  by SHA-256;\n");
        sb.append("- path: one-way propagation delay RTT / 2 each way, no jitter, and a bottleneck with a drop-tail\n");
        sb.append("  queue on each direction; the loss rate of the row applies to packets from A to B (data) only, at\n");
        sb.append("  random;\n");
        sb.append(String.format(Locale.ROOT, "- each cell is the mean of %d runs, seeds 1 to %d: under loss one run's goodput depends on\n", SEEDS, SEEDS));
        sb.append("  how many 200 ms timeouts it happens to take, and single runs differ by up to 2x between seeds;\n");
        sb.append(String.format(Locale.ROOT, "- \"(n RTO)\" after the goodput: the retransmission timeouts A took, summed over the %d runs\n", SEEDS));
        sb.append("  (A's `TcpExtTCPTimeouts`, which counts every expiry of the retransmission timer, RFC 6298 §5.4-5.5,\n");
        sb.append("  the SYN's and the FIN's included, as Linux does); each one waits at least Linux's 200 ms minimum\n");
        sb.append("  RTO and, for data, starts again from a window of one segment (RFC 5681 §3.1);\n");
        sb.append(String.format(Locale.ROOT, "- columns %s (window-bound): the RTT of the column over a bottleneck of %d Mbit/s with a\n",
                WINDOW_BOUND_RTTS_MS.get(0) + " to " + WINDOW_BOUND_RTTS_MS.get(WINDOW_BOUND_RTTS_MS.size() - 1) + " ms",
                BOTTLENECK.bitsPerSecond() / 1_000_000));
        sb.append(String.format(Locale.ROOT, "  %d KiB queue; stacks: `TcpConfig.linux()` with the section's congestion control and fixed\n",
                BOTTLENECK.queueBytes() / 1024));
        sb.append("  buffers (no autotuning): a 256 KiB receive buffer, of which Linux's window offers about 145 KiB\n");
        sb.append("  (half, then the ratio it measures from the segments), and a 256 KiB send buffer; without loss\n");
        sb.append("  goodput is at most min(link, window / RTT);\n");
        sb.append(String.format(Locale.ROOT, "- column \"%s\" (large BDP): %d ms RTT over a bottleneck of %d Gbit/s\n",
                LARGE_BDP.label(), LARGE_BDP_RTT_MS, LARGE_BDP_BITS_PER_SECOND / 1_000_000_000));
        sb.append(String.format(Locale.ROOT, "  whose queue holds one bandwidth-delay product (%,d bytes); stacks: `TcpConfig.linux()`\n",
                LARGE_BDP_BYTES));
        sb.append("  with the section's congestion control and Linux's buffer autotuning (tcp_moderate_rcvbuf,\n");
        sb.append(String.format(Locale.ROOT, "  tcp_rcv_space_adjust(), tcp_sndbuf_expand()) from 128 KiB / 16 KiB up to tcp_rmem[2] =\n"
                + "  tcp_wmem[2] = %d MiB (Linux's default 6 / 4 MiB would hold the window near a quarter of the\n",
                AUTOTUNED_BUFFER_MAX_BYTES >> 20));
        sb.append("  BDP). The window can outgrow the link plus its queue (25 MB), so the window is not the limit:\n");
        sb.append("  without loss the cell shows how fast slow start reaches the link and whether it overshoots the\n");
        sb.append(String.format(Locale.ROOT, "  queue (about ten round trips, and 25 MB of the %d MiB, to grow to a 12.5 MB window); under loss,\n",
                LARGE_BDP_TRANSFER_BYTES / BulkTransfer.MIB));
        sb.append("  what congestion control and loss recovery make of a path where each loss costs a long climb\n");
        sb.append("  back (Reno's average window is about 1.22 / sqrt(loss) segments, Mathis et al. 1997).\n");
        sb.append("\nEach cell: mean goodput in Mbit/s (RTO count summed over the seeds). Columns: RTT over\n");
        sb.append(String.format(Locale.ROOT, "%d Mbit/s with fixed buffers, then the large-BDP path.\n", BOTTLENECK.bitsPerSecond() / 1_000_000));
        for (CongestionAlgorithm a : ALGORITHMS) {
            sb.append("\n## ").append(a.algorithmName()).append("\n\n");
            sb.append("| loss \\ path |");
            for (Column col : COLUMNS) {
                sb.append(' ').append(col.label()).append(" |");
            }
            sb.append("\n|---|");
            sb.append("---:|".repeat(COLUMNS.size()));
            sb.append('\n');
            for (double loss : LOSSES) {
                sb.append("| ").append(lossLabel(loss)).append(" |");
                for (Column col : COLUMNS) {
                    sb.append(' ').append(cellText(cells.get(new Cell(a, loss, col)))).append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    /** One cell as the table shows it, e.g. {@code 94.671 (0 RTO)}. */
    static String cellText(Measurement m) {
        return String.format(Locale.ROOT, "%.3f (%d RTO)", m.megabitsPerSecond(), m.rtos());
    }

    static String lossLabel(double loss) {
        return new java.math.BigDecimal(Double.toString(loss * 100)).stripTrailingZeros().toPlainString() + " %";
    }

    private static final Pattern SECTION = Pattern.compile("^## (\\S+)\\s*$");
    private static final Pattern LOSS = Pattern.compile("^\\s*(\\d+(?:\\.\\d+)?)\\s*%\\s*$");
    private static final Pattern CELL = Pattern.compile("^\\s*(\\d+(?:\\.\\d+)?) \\((\\d+) RTO\\)\\s*$");

    /**
     * Reads a table {@link #render} wrote: every cell, keyed by its coordinates.
     *
     * @throws IllegalArgumentException when the text is not such a table, or names a column
     *                                  {@link #COLUMNS} does not have
     */
    static Map<Cell, Measurement> parse(String markdown) {
        Map<Cell, Measurement> out = new LinkedHashMap<>();
        CongestionAlgorithm algorithm = null;
        List<Column> columns = null;
        for (String line : markdown.split("\n")) {
            Matcher m = SECTION.matcher(line);
            if (m.matches()) {
                algorithm = CongestionAlgorithm.byName(m.group(1));
                columns = null;
                continue;
            }
            if (algorithm == null || !line.startsWith("|") || line.startsWith("|---")) {
                continue;
            }
            String[] parts = line.substring(1).split("\\|");
            if (columns == null) {
                columns = new ArrayList<>();
                for (int i = 1; i < parts.length; i++) {
                    columns.add(column(parts[i].trim(), line));
                }
                continue;
            }
            double loss = onGrid(matched(LOSS, parts[0], "not a loss rate", line) / 100);
            if (parts.length - 1 != columns.size()) {
                throw new IllegalArgumentException("row with " + (parts.length - 1) + " cells under " + columns.size() + " columns: " + line);
            }
            for (int i = 1; i < parts.length; i++) {
                Matcher c = CELL.matcher(parts[i]);
                if (!c.matches()) {
                    throw new IllegalArgumentException("not a cell ('<Mbit/s> (<n> RTO)'): '" + parts[i].trim() + "' in: " + line);
                }
                out.put(new Cell(algorithm, loss, columns.get(i - 1)),
                        new Measurement(Double.parseDouble(c.group(1)), Long.parseLong(c.group(2))));
            }
        }
        return out;
    }

    private static Column column(String label, String line) {
        for (Column c : COLUMNS) {
            if (c.label().equals(label)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown column '" + label + "' (not one of GoodputTable's) in: " + line);
    }

    /** The generator's loss value a parsed percentage stands for (0.1 % is 0.001 exactly), or the value itself. */
    private static double onGrid(double loss) {
        for (double l : LOSSES) {
            if (Math.abs(l - loss) < 1e-12) {
                return l;
            }
        }
        return loss;
    }

    private static double matched(Pattern p, String text, String what, String line) {
        Matcher m = p.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException(what + ": '" + text.trim() + "' in: " + line);
        }
        return Double.parseDouble(m.group(1));
    }

    /**
     * Measures every cell and writes the table.
     *
     * @param args the file to write; default {@link #COMMITTED_PATH} (run from the repository root)
     */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : COMMITTED_PATH);
        if (out.getParent() != null && !Files.isDirectory(out.getParent())) {
            throw new IllegalArgumentException("no directory " + out.getParent() + " (run from the repository root, or pass the file)");
        }
        long start = System.nanoTime();
        Map<Cell, Measurement> cells = new LinkedHashMap<>();
        for (Cell c : cells()) {
            long cellStart = System.nanoTime();
            Measurement m = measure(c);
            cells.put(c, m);
            System.out.printf(Locale.ROOT, "%-8s loss %-6s %-28s %8.3f Mbit/s %5d RTO  (%.1f s wall)%n", c.algorithm().algorithmName(),
                    lossLabel(c.loss()), c.column().label(), m.megabitsPerSecond(), m.rtos(), (System.nanoTime() - cellStart) / 1e9);
        }
        Files.writeString(out, render(cells), StandardCharsets.UTF_8);
        System.out.printf(Locale.ROOT, "wrote %s (%d cells, %.1f s wall)%n", out, cells.size(), (System.nanoTime() - start) / 1e9);
    }
}
