package io.usertcp.tools.demo;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.net.Socket;
import java.util.function.UnaryOperator;

/**
 * Active close by our stack: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED after 2·MSL, while the
 * kernel goes CLOSE-WAIT → LAST-ACK (RFC 9293 §3.6).
 */
final class ActiveCloseScenario implements Scenario {
    static final int PORT = 8000;
    static final long TIME_WAIT_MILLIS = 2_000;

    @Override
    public String name() {
        return "active-close";
    }

    @Override
    public String summary() {
        return "our stack closes first: FIN-WAIT-1 → FIN-WAIT-2 → TIME-WAIT → CLOSED after 2·MSL";
    }

    @Override
    public UnaryOperator<TcpConfig> tcp() {
        return c -> c.toBuilder().timeWaitNanos(TIME_WAIT_MILLIS * 1_000_000L).build();
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        Narrator n = run.narrator();
        n.step("The kernel connects to our server on port " + PORT);
        ScenarioRun.OurListener listener = run.listen(PORT);
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("kernel client → our server");
        run.expectOurs(c.id(), TcpState.ESTABLISHED, ScenarioRun.WAIT_MILLIS);

        n.step("Our server closes first (active close)");
        n.why("CLOSE sends FIN: FIN-WAIT-1 until it is ACKed, then FIN-WAIT-2 until the peer's FIN");
        run.close(c);
        run.expectOurs(c.id(), TcpState.FIN_WAIT_2, ScenarioRun.WAIT_MILLIS);
        run.expectKernel(c.id(), "CLOSE-WAIT", ScenarioRun.WAIT_MILLIS);
        n.why("the kernel ACKed our FIN; its application has not closed yet, so it sits in CLOSE-WAIT");

        n.step("The kernel's application reads end-of-stream and closes");
        int eof = kernel.getInputStream().read();
        n.say("read() on the kernel's socket returned " + eof + " (end of stream): the signal to close");
        kernel.close();
        run.expectOurs(c.id(), TcpState.TIME_WAIT, ScenarioRun.WAIT_MILLIS);
        n.why("its FIN takes us to TIME-WAIT: we ACK it and stay 2·MSL (60 s on Linux, 2 s here) in case\n"
                + "that ACK is lost and the FIN comes again, and so that old segments die out");
        run.tables(10);
        run.expectOurs(c.id(), TcpState.CLOSED, TIME_WAIT_MILLIS + ScenarioRun.WAIT_MILLIS);
        run.expectKernel(c.id(), KernelWatcher.GONE, ScenarioRun.WAIT_MILLIS);
        n.why("2·MSL passed: the TIME-WAIT entry is gone; the kernel's side ended at LAST-ACK with our ACK");
    }
}
