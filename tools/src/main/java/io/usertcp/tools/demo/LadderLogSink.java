package io.usertcp.tools.demo;

import io.usertcp.runtime.StackRunner;
import io.usertcp.tools.ladder.Endpoint;
import io.usertcp.tools.ladder.Ladder;
import io.usertcp.tools.ladder.LadderRecorder;
import io.usertcp.tools.ladder.TextLadder;
import java.io.PrintStream;
import java.util.List;

/**
 * Draws each connection as a ladder diagram with the ladder module's {@link TextLadder}: one arrow
 * per segment, our side's states from our stack's own state changes, the kernel's inferred from
 * the segments (its polled states are in the live lines and the summary). A {@link LadderRecorder}
 * plugged into the session's observers at {@link #attach} records what the diagrams need.
 *
 * <p>Times in each diagram start at that connection's first segment, so that every ladder reads
 * from 0. The recorder lives on the stack thread; {@link #draw} reads it there through the runner.
 */
public final class LadderLogSink implements ConnectionLogSink {
    private LadderRecorder recorder;
    private StackRunner runner;

    @Override
    public void attach(StackSession session) {
        LadderRecorder fresh = new LadderRecorder();
        session.observers().add(fresh);
        recorder = fresh;
        runner = session.runner();
    }

    @Override
    public void draw(ConnectionLog log, PrintStream out) {
        out.println("  " + log.label() + " · " + log.description());
        if (recorder == null) {
            out.println("    (no ladder: the printer was not attached to the stack)");
            return;
        }
        LadderRecorder r = recorder;
        List<Ladder> all = runner.call(now -> r.ladders());
        Endpoint local = new Endpoint(log.id().localAddress(), log.id().localPort());
        Endpoint remote = new Endpoint(log.id().remoteAddress(), log.id().remotePort());
        boolean drawn = false;
        for (int i = 0; i < all.size(); i++) {
            Ladder l = all.get(i);
            boolean ours = (l.left().equals(local) && l.right().equals(remote)) || (l.left().equals(remote) && l.right().equals(local));
            if (ours) {
                out.print(indented(TextLadder.render(List.of(fromItsFirstRow(l)), i + 1, all.size())));
                drawn = true;
            }
        }
        if (!drawn) {
            out.println("    (no segment recorded)");
        }
    }

    /** The same ladder with times counted from its own first row. */
    private static Ladder fromItsFirstRow(Ladder l) {
        long origin = l.rows().isEmpty() ? l.originNanos() : l.rows().get(0).timeNanos();
        return new Ladder(l.left(), l.right(), origin, l.leftInitial(), l.rightInitial(), l.rows(), l.leftFinal(),
                l.rightFinal(), l.stateSource());
    }

    private static String indented(String text) {
        StringBuilder out = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (!line.isEmpty()) {
                out.append("  ").append(line);
            }
            out.append('\n');
        }
        return out.toString().stripTrailing() + "\n";
    }
}
