package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpState;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything recorded about one connection, both sides: our stack's events (segments, states,
 * timers) and the kernel's state changes seen by polling. What a {@link ConnectionLogSink} (an
 * event log, a ladder diagram) draws.
 *
 * @param label       {@code conn 1}
 * @param description what the connection was for ("curl → http")
 */
public record ConnectionLog(ConnectionId id, String label, String description, List<StackEvent> ours,
                            List<KernelStateChange> kernel) {

    public ConnectionLog {
        ours = List.copyOf(ours);
        kernel = List.copyOf(kernel);
    }

    /** Our states in order, starting with the first state left. */
    public List<TcpState> ourStates() {
        List<TcpState> states = new ArrayList<>();
        for (StackEvent e : ours) {
            if (e instanceof StackEvent.StateChange sc) {
                if (states.isEmpty()) {
                    states.add(sc.from());
                }
                states.add(sc.to());
            }
        }
        return states;
    }

    /** The kernel's states in order as polling saw them ({@link KernelWatcher#GONE} once it vanished). */
    public List<String> kernelStates() {
        return kernel.stream().map(KernelStateChange::to).toList();
    }

    /** Our segments only. */
    public List<StackEvent.Segment> segments() {
        return ours.stream().filter(e -> e instanceof StackEvent.Segment).map(e -> (StackEvent.Segment) e).toList();
    }
}
