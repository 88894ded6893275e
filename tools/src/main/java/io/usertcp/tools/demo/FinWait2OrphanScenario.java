package io.usertcp.tools.demo;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import io.usertcp.tcp.TcpTimer;
import java.net.Socket;
import java.util.function.UnaryOperator;

/**
 * An orphaned FIN-WAIT-2: our application closed, the peer never does. Nobody could read what the
 * peer might still send, so the connection is reclaimed after the FIN-WAIT-2 timeout (Linux
 * tcp_fin_timeout) with a RST, instead of waiting for ever.
 */
final class FinWait2OrphanScenario implements Scenario {
    static final int PORT = 8007;
    static final long FIN_WAIT_2_MILLIS = 2_000;

    @Override
    public String name() {
        return "fin-wait-2-orphan";
    }

    @Override
    public String summary() {
        return "we close, the kernel never does: our orphaned FIN-WAIT-2 is reclaimed after its timeout";
    }

    @Override
    public UnaryOperator<TcpConfig> tcp() {
        return c -> c.toBuilder().finWait2TimeoutNanos(FIN_WAIT_2_MILLIS * 1_000_000L).build();
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        Narrator n = run.narrator();
        n.step("A kernel client connects to our server on port " + PORT);
        ScenarioRun.OurListener listener = run.listen(PORT);
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("we close, the kernel never does");
        ConnectionId id = c.id();

        n.step("Our server closes; the kernel's application never closes its socket");
        run.close(c);
        run.expectOurs(id, TcpState.FIN_WAIT_2, ScenarioRun.WAIT_MILLIS);
        run.expectKernel(id, "CLOSE-WAIT", ScenarioRun.WAIT_MILLIS);
        n.why("FIN-WAIT-2 waits for the peer's FIN. Our application has closed the socket (it is orphaned): nobody\n"
                + "will ever read, so the stack will not wait for ever: tcp_fin_timeout, 60 s on Linux, 2 s here");
        run.tables(6);
        long closedAt = System.nanoTime();
        run.expectOurs(id, TcpState.CLOSED, FIN_WAIT_2_MILLIS + ScenarioRun.WAIT_MILLIS);
        long tookMillis = (System.nanoTime() - closedAt) / 1_000_000L;
        boolean timerFired = run.session().recorder().eventsFor(id).stream()
                .anyMatch(e -> e instanceof StackEvent.TimerFired t && t.timer() == TcpTimer.FIN_WAIT_2);
        run.check("the FIN_WAIT_2 timer fired (" + tookMillis + " ms later)", timerFired, "no FIN_WAIT_2 timer event");
        run.check("our close reason is FIN_WAIT_2_TIMEOUT", run.closeReason(c) == CloseReason.FIN_WAIT_2_TIMEOUT,
                "was " + run.closeReason(c));
        run.expectKernel(id, KernelWatcher.GONE, ScenarioRun.WAIT_MILLIS);
        n.why("reclaiming sends RST, as Linux does, so the kernel's CLOSE-WAIT socket learns it is over");
        kernel.close();
    }
}
