package io.usertcp.tools.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The report as a text table for people: one row per measurement, ours, the kernel's, the ratio. */
public final class ResultTable {
    private static final String[] HEADINGS = {"case", "measurement", "unit", "usertcp", "kernel", "ratio"};

    private ResultTable() {}

    /** The whole report: heading lines, the table, the notes, and any failures. */
    public static String format(BenchReport report) {
        StringBuilder out = new StringBuilder();
        out.append("usertcp bench, ").append(report.started()).append(", ")
                .append(number(report.elapsedNanos() / 1e9)).append(" s on ").append(report.machine().describe()).append('\n');
        BenchOptions o = report.options();
        out.append(number(o.durationNanos() / 1e9)).append(" s per measurement after ").append(number(o.warmupNanos() / 1e9))
                .append(" s warm-up").append(o.quick() ? " (--quick)" : "").append("; load average ")
                .append(number(report.machine().loadBefore())).append(" before, ").append(number(report.loadAfter()))
                .append(" after\n");
        out.append("usertcp runs the ").append(o.profile().name()).append(" profile; every kernel its own defaults but ")
                .append(Sysctl.CONGESTION_CONTROL).append(" (this machine's is ").append(Sysctl.machineCongestionControl())
                .append("), as ours\n\n");
        out.append(table(report.rows()));
        out.append("\nratio = usertcp / kernel. Rates: higher is better; latency and memory: lower is better.\n");
        out.append("kernel = the same program, kernel to kernel over a veth pair between two namespaces;\n"
                + "memory: the kernel's ends of the same connections (slab), ours as heap + direct memory after GC.\n");
        for (Measurement failed : report.failures()) {
            out.append("! ").append(failed.caseName()).append(", ").append(failed.name()).append(": ")
                    .append(failed.error() == null ? "a figure is missing" : failed.error()).append('\n');
        }
        return out.toString();
    }

    /** Just the table, columns padded to their widest cell. */
    public static String table(List<Measurement> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(HEADINGS);
        for (Measurement m : rows) {
            cells.add(new String[] {m.caseName(), m.name(), m.unit(), number(m.ours()), number(m.kernel()), ratio(m.ratio())});
        }
        int[] widths = new int[HEADINGS.length];
        for (String[] row : cells) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                boolean numeric = i >= 3;
                String cell = numeric ? pad(row[i], widths[i], true) : pad(row[i], widths[i], false);
                line.append(cell).append(i < row.length - 1 ? "  " : "");
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    /**
     * A figure with about three significant digits, thousands grouped; {@code "-"} when it is
     * missing (NaN).
     */
    public static String number(double value) {
        if (!Double.isFinite(value)) {
            return "-";
        }
        double abs = Math.abs(value);
        if (abs >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        if (abs >= 10) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (abs >= 1) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3f", value);
    }

    /** A ratio to three decimals (four below 0.01, so that small ratios are not shown as 0). */
    public static String ratio(double value) {
        if (!Double.isFinite(value)) {
            return "-";
        }
        return String.format(Locale.ROOT, value < 0.01 ? "%.4f" : "%.3f", value);
    }

    private static String pad(String text, int width, boolean right) {
        if (text.length() >= width) {
            return text;
        }
        String spaces = " ".repeat(width - text.length());
        return right ? spaces + text : text + spaces;
    }
}
