package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.wire.TcpFlags;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A simple two-sided event log of one connection, one line per event in time order: the kernel's
 * states on the left, segments in the middle with an arrow for their direction, our states on the
 * right. Sequence numbers are relative to each side's initial sequence number, as tcpdump shows
 * them without {@code -S}.
 *
 * <pre>
 *      time  kernel       segment                                    ours
 *   0.000ms               ─S  seq 0 win 64240 ─────────────────▶
 *   0.004ms                                                          LISTEN → SYN-RECEIVED (rcv SYN)
 * </pre>
 */
public final class EventLogPrinter implements ConnectionLogSink {
    private static final int KERNEL_WIDTH = 12;
    private static final int SEGMENT_WIDTH = 46;
    private final boolean segments;

    /** @param segments whether to print segments (otherwise state changes and timers only) */
    public EventLogPrinter(boolean segments) {
        this.segments = segments;
    }

    @Override
    public void draw(ConnectionLog log, PrintStream out) {
        ConnectionId id = log.id();
        out.println("  " + log.label() + " · " + log.description());
        out.printf(Locale.ROOT, "    %9s  %-" + KERNEL_WIDTH + "s %-" + SEGMENT_WIDTH + "s %s%n", "time",
                "kernel", "  " + id.remote() + ":" + id.remotePort() + "  ⇄  " + id.local() + ":" + id.localPort(), "ours");
        List<Line> lines = lines(log);
        if (lines.isEmpty()) {
            out.println("    (nothing recorded)");
            return;
        }
        long t0 = lines.get(0).nanos;
        for (Line line : lines) {
            out.printf(Locale.ROOT, "    %9s  %-" + KERNEL_WIDTH + "s %-" + SEGMENT_WIDTH + "s %s%n",
                    Durations.compact(line.nanos - t0).replace("µs", "us"), line.kernel, line.segment, line.ours);
        }
    }

    private record Line(long nanos, String kernel, String segment, String ours) {}

    private List<Line> lines(ConnectionLog log) {
        List<Line> lines = new ArrayList<>();
        Isns isns = Isns.of(log.segments());
        for (StackEvent e : log.ours()) {
            if (e instanceof StackEvent.StateChange sc) {
                lines.add(new Line(sc.nanos(), "", "", sc.from().rfcName() + " → " + sc.to().rfcName() + "  (" + sc.cause() + ")"));
            } else if (e instanceof StackEvent.TimerFired tf) {
                lines.add(new Line(tf.nanos(), "", "", "timer " + tf.timer() + " fired"));
            } else if (segments && e instanceof StackEvent.Segment s) {
                lines.add(new Line(s.nanos(), "", segment(s, isns), ""));
            }
        }
        for (KernelStateChange k : log.kernel()) {
            lines.add(new Line(k.nanos(), k.to(), "", ""));
        }
        lines.sort(Comparator.comparingLong(Line::nanos));
        return lines;
    }

    /** {@code ─S. seq 0 ack 1 win 65535 ──▶} or {@code ◀── F. seq 79 ack 12 ─}. */
    static String segment(StackEvent.Segment s, Isns isns) {
        var h = s.header();
        long seq = isns.relativeSeq(s);
        StringBuilder text = new StringBuilder(TcpFlags.format(h.flags())).append(" seq ").append(seq);
        if (s.payloadBytes() > 0) {
            text.append(':').append(seq + s.payloadBytes());
        }
        if (s.has(TcpFlags.ACK)) {
            text.append(" ack ").append(isns.relativeAck(s));
        }
        if (s.payloadBytes() > 0) {
            text.append(" (").append(s.payloadBytes()).append(" B)");
        } else {
            text.append(" win ").append(h.window());
        }
        String body = " " + text + " ";
        int dashes = Math.max(2, SEGMENT_WIDTH - 3 - body.length());
        return s.outbound() ? "◀─" + body + "─".repeat(dashes) : "─" + body + "─".repeat(dashes) + "▶";
    }

    /** Each side's initial sequence number, from the SYNs seen (0 when no SYN was seen). */
    record Isns(boolean kernelKnown, int kernel, boolean oursKnown, int ours) {
        static Isns of(List<StackEvent.Segment> segments) {
            boolean kk = false;
            boolean ok = false;
            int k = 0;
            int o = 0;
            for (StackEvent.Segment s : segments) {
                if (s.has(TcpFlags.SYN)) {
                    if (s.outbound() && !ok) {
                        ok = true;
                        o = s.header().seq();
                    } else if (!s.outbound() && !kk) {
                        kk = true;
                        k = s.header().seq();
                    }
                }
            }
            return new Isns(kk, k, ok, o);
        }

        long relativeSeq(StackEvent.Segment s) {
            boolean known = s.outbound() ? oursKnown : kernelKnown;
            int isn = s.outbound() ? ours : kernel;
            return known ? Integer.toUnsignedLong(s.header().seq() - isn) : Integer.toUnsignedLong(s.header().seq());
        }

        long relativeAck(StackEvent.Segment s) {
            boolean known = s.outbound() ? kernelKnown : oursKnown;
            int isn = s.outbound() ? kernel : ours;
            return known ? Integer.toUnsignedLong(s.header().ack() - isn) : Integer.toUnsignedLong(s.header().ack());
        }
    }
}
