package io.usertcp.sim;

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
 * The goodput table (issue 4, "show it works"): goodput of one bulk transfer against random loss
 * and round-trip time, per congestion control algorithm, measured in virtual time on the
 * {@link SimulatedNetwork} by {@link BulkTransfer}. Every cell is deterministic (fixed seeds,
 * virtual time), so the committed table is exactly what the code produced when it was generated.
 *
 * <p>A cell is the mean over {@link #SEEDS} seeds. One seed alone is not a measurement: under loss,
 * whether a run takes zero, one or two 200 ms timeouts decides its goodput, so single runs of one
 * cell differ by up to a factor of two between seeds (2 % loss, 1 ms: 43, 58 or 87 Mbit/s), and
 * any change to the segment sequence moved a single-seed cell by ±50 %.
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
    static final List<Double> LOSSES = List.of(0.0, 0.001, 0.01, 0.02, 0.05);
    static final List<Integer> RTTS_MS = List.of(1, 10, 50, 100);
    static final long TRANSFER_BYTES = 4 * BulkTransfer.MIB;
    /** Seeds 1..SEEDS; a cell is their mean. */
    static final int SEEDS = 8;
    /** 100 Mbit/s with a 256 KiB drop-tail queue, on each direction. */
    static final Bottleneck BOTTLENECK = Bottleneck.megabits(100, 256 * 1024);
    /** Per cell; a cell that needs more fails (the transfer stalled). */
    static final long MAX_VIRTUAL_NANOS = 3600 * BulkTransfer.SECOND;
    static final long MAX_STEPS = 2_000_000;

    /** One cell's coordinates. */
    record Cell(CongestionAlgorithm algorithm, double loss, int rttMillis) {
    }

    private GoodputTable() {
    }

    /**
     * Both stacks: Linux's defaults with {@code algorithm}, but fixed buffers, so that the receive window,
     * not autotuning, bounds the flight: a 256 KiB receive buffer (about 128 KiB of window: Linux offers
     * half, tcp_win_from_space()) and a 256 KiB send buffer. The table measures congestion control and
     * loss recovery under one window; with autotuned buffers the window grows past the bottleneck's
     * queue, which is the loss recovery issue's large-BDP column.
     */
    static TcpConfig tcp(CongestionAlgorithm algorithm) {
        return TcpConfig.linux().toBuilder().congestion(CongestionConfig.linux().withAlgorithm(algorithm))
                .receiveBufferBytes(2 * 131072).sendBufferBytes(262144).bufferAutotuning(false).build();
    }

    /** The transfer behind one cell with one seed: A sends, B only reads; half the RTT each way; loss on A to B only. */
    static BulkTransfer.Spec spec(Cell cell, long seed) {
        long oneWay = cell.rttMillis() * BulkTransfer.MILLI / 2;
        return new BulkTransfer.Spec(tcp(cell.algorithm()), FaultProfile.ideal(oneWay).withLoss(cell.loss()),
                FaultProfile.ideal(oneWay), BOTTLENECK, seed, TRANSFER_BYTES, 0, MAX_VIRTUAL_NANOS, MAX_STEPS, false);
    }

    /** Runs one cell with each seed and returns its mean goodput in Mbit/s. */
    static double measure(Cell cell) {
        double sum = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            sum += measure(cell, seed);
        }
        return sum / SEEDS;
    }

    /**
     * Runs one cell with one seed and returns its goodput in Mbit/s; fails unless every byte arrived
     * intact, both sides closed normally and nothing leaked.
     */
    static double measure(Cell cell, long seed) {
        BulkTransfer.Result r = BulkTransfer.run(spec(cell, seed));
        if (!r.sentAtoB().equals(r.receivedAtoB()) || r.receivedBytesAtoB() != TRANSFER_BYTES
                || r.reasonA() != CloseReason.NORMAL || r.reasonB() != CloseReason.NORMAL || r.bytesLeftAllocated() != 0) {
            throw new AssertionError("cell " + cell + " did not transfer cleanly: " + r.summary()
                    + ", " + r.bytesLeftAllocated() + " bytes left allocated");
        }
        return r.goodputAtoBBitsPerSecond() / 1e6;
    }

    /** Every cell, in table order. */
    static List<Cell> cells() {
        List<Cell> out = new ArrayList<>();
        for (CongestionAlgorithm a : ALGORITHMS) {
            for (double loss : LOSSES) {
                for (int rtt : RTTS_MS) {
                    out.add(new Cell(a, loss, rtt));
                }
            }
        }
        return out;
    }

    /** Measures every cell. */
    static Map<Cell, Double> measureAll() {
        Map<Cell, Double> out = new LinkedHashMap<>();
        for (Cell c : cells()) {
            out.put(c, measure(c));
        }
        return out;
    }

    // ------------------------------------------------------------------------------------
    // Markdown
    // ------------------------------------------------------------------------------------

    static String render(Map<Cell, Double> goodput) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Goodput against loss and round-trip time\n\n");
        sb.append("Generated by `scripts/goodput-table.sh` (`io.usertcp.sim.GoodputTable`); do not edit by hand.\n");
        sb.append("`GoodputTableTest` recomputes every cell: it fails when a cell falls more than 10 % below the\n");
        sb.append("value here (a regression) or rises more than 25 % above it (then regenerate, so the table stays\n");
        sb.append("true). To regenerate after changing the stack: `scripts/goodput-table.sh`, then commit this file.\n\n");
        sb.append("How each cell is made (all in virtual time, so every cell is deterministic):\n\n");
        sb.append(String.format(Locale.ROOT, "- one connection between two stacks over `SimulatedNetwork`; A sends %d MiB of\n",
                TRANSFER_BYTES / BulkTransfer.MIB));
        sb.append("  pseudo-random bytes, B reads them as they arrive; goodput = bytes / (time from A's handshake\n");
        sb.append("  completing to B reading the end of stream), in Mbit/s; every byte is checked by SHA-256;\n");
        sb.append(String.format(Locale.ROOT, "- path: a bottleneck of %d Mbit/s with a %d KiB drop-tail queue on each direction, one-way\n",
                BOTTLENECK.bitsPerSecond() / 1_000_000, BOTTLENECK.queueBytes() / 1024));
        sb.append("  propagation delay RTT / 2 each way, no jitter; the loss rate of the row applies to packets from\n");
        sb.append("  A to B (data) only, at random;\n");
        sb.append(String.format(Locale.ROOT, "- each cell is the mean of %d runs, seeds 1 to %d: under loss one run's goodput depends on\n", SEEDS, SEEDS));
        sb.append("  how many 200 ms timeouts it happens to take, and single runs differ by up to 2x between seeds;\n");
        sb.append("- stacks: `TcpConfig.linux()` with the section's congestion control and fixed buffers (no autotuning):\n");
        sb.append("  a 256 KiB receive buffer, of which Linux's window offers about 145 KiB (half, then the ratio it\n");
        sb.append("  measures from the segments), and a 256 KiB send buffer; without loss goodput is at most\n");
        sb.append("  min(link, window / RTT).\n");
        for (CongestionAlgorithm a : ALGORITHMS) {
            sb.append("\n## ").append(a.algorithmName()).append("\n\n");
            sb.append("| loss \\ RTT |");
            for (int rtt : RTTS_MS) {
                sb.append(' ').append(rtt).append(" ms |");
            }
            sb.append("\n|---|");
            sb.append("---:|".repeat(RTTS_MS.size()));
            sb.append('\n');
            for (double loss : LOSSES) {
                sb.append("| ").append(lossLabel(loss)).append(" |");
                for (int rtt : RTTS_MS) {
                    sb.append(String.format(Locale.ROOT, " %.3f |", goodput.get(new Cell(a, loss, rtt))));
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    static String lossLabel(double loss) {
        return new java.math.BigDecimal(Double.toString(loss * 100)).stripTrailingZeros().toPlainString() + " %";
    }

    private static final Pattern SECTION = Pattern.compile("^## (\\S+)\\s*$");
    private static final Pattern NUMBER = Pattern.compile("^\\s*(\\d+(?:\\.\\d+)?)\\s*(?:ms|%)?\\s*$");

    /**
     * Reads a table {@link #render} wrote: every cell, keyed by its coordinates.
     *
     * @throws IllegalArgumentException when the text is not such a table
     */
    static Map<Cell, Double> parse(String markdown) {
        Map<Cell, Double> out = new LinkedHashMap<>();
        CongestionAlgorithm algorithm = null;
        List<Integer> rtts = null;
        for (String line : markdown.split("\n")) {
            Matcher m = SECTION.matcher(line);
            if (m.matches()) {
                algorithm = CongestionAlgorithm.byName(m.group(1));
                rtts = null;
                continue;
            }
            if (algorithm == null || !line.startsWith("|") || line.startsWith("|---")) {
                continue;
            }
            String[] parts = line.substring(1).split("\\|");
            if (rtts == null) {
                rtts = new ArrayList<>();
                for (int i = 1; i < parts.length; i++) {
                    rtts.add((int) number(parts[i], line));
                }
                continue;
            }
            double loss = onGrid(number(parts[0], line) / 100);
            if (parts.length - 1 != rtts.size()) {
                throw new IllegalArgumentException("row with " + (parts.length - 1) + " cells under " + rtts.size() + " RTTs: " + line);
            }
            for (int i = 1; i < parts.length; i++) {
                out.put(new Cell(algorithm, loss, rtts.get(i - 1)), number(parts[i], line));
            }
        }
        return out;
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

    private static double number(String text, String line) {
        Matcher m = NUMBER.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a number: '" + text.trim() + "' in: " + line);
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
        Map<Cell, Double> goodput = new LinkedHashMap<>();
        for (Cell c : cells()) {
            long cellStart = System.nanoTime();
            goodput.put(c, measure(c));
            System.out.printf(Locale.ROOT, "%-8s loss %-6s RTT %3d ms: %8.3f Mbit/s  (%.1f s wall)%n", c.algorithm().algorithmName(),
                    lossLabel(c.loss()), c.rttMillis(), goodput.get(c), (System.nanoTime() - cellStart) / 1e9);
        }
        Files.writeString(out, render(goodput), StandardCharsets.UTF_8);
        System.out.printf(Locale.ROOT, "wrote %s (%d cells, %.1f s wall)%n", out, goodput.size(), (System.nanoTime() - start) / 1e9);
    }
}
