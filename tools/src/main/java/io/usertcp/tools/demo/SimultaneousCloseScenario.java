package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.net.Socket;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Both sides close at once and their FINs cross: each receives the other's FIN while its own is
 * unacknowledged, FIN-WAIT-1 → CLOSING, then TIME-WAIT on both sides (RFC 9293 §3.6, figure 13).
 *
 * <p>To make the FINs cross on a link with a round trip of microseconds, our stack's thread is held
 * for a moment: the kernel closes (its FIN waits unread in the TUN queue), we send our FIN, and we
 * keep holding until the kernel's table shows CLOSING.
 */
final class SimultaneousCloseScenario implements Scenario {
    static final int PORT = 8003;
    static final long TIME_WAIT_MILLIS = 2_000;
    static final long HOLD_MILLIS = 2_000;

    @Override
    public String name() {
        return "simultaneous-close";
    }

    @Override
    public String summary() {
        return "both sides close at once: the FINs cross, both go through CLOSING to TIME-WAIT";
    }

    @Override
    public UnaryOperator<TcpConfig> tcp() {
        return c -> c.toBuilder().timeWaitNanos(TIME_WAIT_MILLIS * 1_000_000L).build();
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        Narrator n = run.narrator();
        n.step("A kernel client connects to our server on port " + PORT);
        ScenarioRun.OurListener listener = run.listen(PORT);
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("kernel client ⇄ our server");
        ConnectionId id = c.id();
        run.expectKernel(id, "ESTAB", ScenarioRun.WAIT_MILLIS);

        n.step("Both close at the same moment");
        n.why("we hold our stack's thread: the kernel closes (its FIN waits, unread, in the TUN queue), then we\n"
                + "close and send our FIN at once, before reading the kernel's: the two FINs cross");
        KernelWatcher watcher = run.session().kernel();
        boolean crossed = run.holdStack(now -> {
            kernel.close();
            c.close(now);
            run.transmitNow(now);
        }, () -> watcher.statesOf(id).contains("CLOSING"), HOLD_MILLIS);
        run.check("the kernel got our FIN while its own was unacknowledged", crossed, "saw " + watcher.statesOf(id));
        run.expectKernel(id, "CLOSING", ScenarioRun.WAIT_MILLIS);
        run.expectOurs(id, TcpState.CLOSING, ScenarioRun.WAIT_MILLIS);
        n.why("each side received a FIN that did not acknowledge its own FIN: FIN-WAIT-1 → CLOSING");
        run.expectOurs(id, TcpState.TIME_WAIT, ScenarioRun.WAIT_MILLIS);
        run.expectKernel(id, "TIME-WAIT", ScenarioRun.WAIT_MILLIS);
        n.why("then each got the ACK of its FIN: CLOSING → TIME-WAIT. Both sides closed actively, both keep TIME-WAIT");
        run.tables(8);
        List<TcpState> states = run.session().recorder().statesOf(id);
        run.check("ours never passed FIN-WAIT-2", !states.contains(TcpState.FIN_WAIT_2), "saw " + states);
        run.expectOurs(id, TcpState.CLOSED, TIME_WAIT_MILLIS + ScenarioRun.WAIT_MILLIS);
    }
}
