package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpTimer;

/**
 * Prints both sides' state changes as they happen: ours from the {@link EventRecorder} (on the
 * stack thread), the kernel's from the {@link KernelWatcher} (on its thread). A connection seen
 * for the first time is introduced with its four-tuple.
 */
public final class LiveView {
    private final Narrator narrator;
    private final ConnectionLabels labels;
    private volatile boolean segments;
    private volatile boolean enabled = true;

    public LiveView(Narrator narrator, ConnectionLabels labels) {
        this.narrator = narrator;
        this.labels = labels;
    }

    /** Whether segments are printed live too (otherwise only in the per-connection log). */
    public void showSegments(boolean on) {
        segments = on;
    }

    /** Turns live printing on or off (off while a table is printed, or for bulk work). */
    public void enable(boolean on) {
        enabled = on;
    }

    public void onStackEvent(StackEvent event) {
        if (!enabled) {
            return;
        }
        if (event instanceof StackEvent.StateChange sc) {
            narrator.ours(sc.nanos(), label(sc.id()), sc.from().rfcName() + " → " + sc.to().rfcName(), sc.cause());
        } else if (event instanceof StackEvent.TimerFired tf && tf.timer() != TcpTimer.DELAYED_ACK) {
            narrator.ours(tf.nanos(), label(tf.id()), "timer " + tf.timer() + " fired", "");
        } else if (segments && event instanceof StackEvent.Segment s) {
            String arrow = s.outbound() ? "sends    " : "receives ";
            narrator.ours(s.nanos(), label(s.id()), arrow + s.flags() + (s.payloadBytes() > 0 ? " + " + s.payloadBytes() + " B" : ""), "");
        }
    }

    public void onKernelChange(KernelStateChange change) {
        if (!enabled) {
            return;
        }
        String from = KernelWatcher.NEW.equals(change.from()) ? "·" : change.from();
        String note = KernelWatcher.GONE.equals(change.to()) ? "gone from ss" : change.socket().timerText();
        narrator.kernel(change.nanos(), label(change.id()), from + " → " + change.to(), note);
    }

    private String label(ConnectionId id) {
        synchronized (labels) {
            boolean known = labels.isKnown(id) || id.remotePort() == 0;
            String label = labels.label(id);
            if (!known) {
                narrator.say(label + " = " + ConnectionLabels.tuple(id));
            }
            return label;
        }
    }
}
