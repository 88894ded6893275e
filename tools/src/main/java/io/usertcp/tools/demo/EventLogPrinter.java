package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A short two-sided log of one connection, without its segments (those are drawn by
 * {@link LadderLogSink}): one line per state change or timer in time order, the kernel's states
 * (as polling its socket table saw them) on the left, ours on the right.
 *
 * <pre>
 *      time  kernel       ours
 *   0.000us               LISTEN → SYN-RECEIVED  (rcv SYN)
 *   0.231ms  ESTAB
 * </pre>
 */
public final class EventLogPrinter implements ConnectionLogSink {
    private static final int KERNEL_WIDTH = 12;

    @Override
    public void draw(ConnectionLog log, PrintStream out) {
        ConnectionId id = log.id();
        out.println("  " + log.label() + " · " + log.description() + "  (kernel " + id.remote() + ":" + id.remotePort()
                + ", ours " + id.local() + ":" + id.localPort() + ")");
        out.printf(Locale.ROOT, "    %9s  %-" + KERNEL_WIDTH + "s %s%n", "time", "kernel", "ours");
        List<Line> lines = lines(log);
        if (lines.isEmpty()) {
            out.println("    (nothing recorded)");
            return;
        }
        long t0 = lines.get(0).nanos;
        for (Line line : lines) {
            out.printf(Locale.ROOT, "    %9s  %-" + KERNEL_WIDTH + "s %s%n",
                    Durations.compact(line.nanos - t0).replace("µs", "us"), line.kernel, line.ours);
        }
    }

    private record Line(long nanos, String kernel, String ours) {}

    private static List<Line> lines(ConnectionLog log) {
        List<Line> lines = new ArrayList<>();
        for (StackEvent e : log.ours()) {
            if (e instanceof StackEvent.StateChange sc) {
                lines.add(new Line(sc.nanos(), "", sc.from().rfcName() + " → " + sc.to().rfcName() + "  (" + sc.cause() + ")"));
            } else if (e instanceof StackEvent.TimerFired tf) {
                lines.add(new Line(tf.nanos(), "", "timer " + tf.timer() + " fired"));
            }
        }
        for (KernelStateChange k : log.kernel()) {
            lines.add(new Line(k.nanos(), k.to(), ""));
        }
        lines.sort(Comparator.comparingLong(Line::nanos));
        return lines;
    }
}
