package io.usertcp.tools.demo;

import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.io.IOException;
import java.net.Socket;

/**
 * Abortive close: SO_LINGER {on, 0} sends RST and skips TIME-WAIT, on our side and on the kernel's;
 * closing with unread data sends RST too (RFC 9293 §3.10.5, RFC 2525 §2.17).
 */
final class LingerAbortScenario implements Scenario {
    static final int PORT = 8004;

    @Override
    public String name() {
        return "linger-abort";
    }

    @Override
    public String summary() {
        return "SO_LINGER {on, 0} and close with unread data: RST instead of FIN, no TIME-WAIT anywhere";
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        ScenarioRun.OurListener listener = run.listen(PORT);
        weAbort(run, listener);
        kernelAborts(run, listener);
        unreadData(run, listener);
        run.narrator().why("RST ends a connection at once on both sides: no FIN handshake, no TIME-WAIT, and data still\n"
                + "in flight is lost. Handy against TIME-WAIT pile-ups, dangerous for data");
    }

    private void weAbort(ScenarioRun run, ScenarioRun.OurListener listener) throws Exception {
        Narrator n = run.narrator();
        n.step("1. Our server sets SO_LINGER {on, 0} and closes");
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("our server aborts (linger 0)");
        run.expectKernel(c.id(), "ESTAB", ScenarioRun.WAIT_MILLIS);
        run.closeWithLingerZero(c);
        run.expectOurs(c.id(), TcpState.CLOSED, ScenarioRun.WAIT_MILLIS);
        run.check("our close reason is ABORTED", run.closeReason(c) == CloseReason.ABORTED, "was " + run.closeReason(c));
        String error = kernelRead(kernel);
        run.check("the kernel's read fails with 'Connection reset'", error.contains("reset"), error);
        run.expectKernel(c.id(), KernelWatcher.GONE, ScenarioRun.WAIT_MILLIS);
        noTimeWait(run, c.id());
    }

    private void kernelAborts(ScenarioRun run, ScenarioRun.OurListener listener) throws Exception {
        Narrator n = run.narrator();
        n.step("2. The kernel's client sets SO_LINGER {on, 0} and closes");
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("kernel client aborts (linger 0)");
        run.expectKernel(c.id(), "ESTAB", ScenarioRun.WAIT_MILLIS);
        kernel.setSoLinger(true, 0);
        kernel.close();
        run.expectOurs(c.id(), TcpState.CLOSED, ScenarioRun.WAIT_MILLIS);
        run.check("our close reason is RESET ('Connection reset' for our application)",
                run.closeReason(c) == CloseReason.RESET, "was " + run.closeReason(c));
        noTimeWait(run, c.id());
    }

    private void unreadData(ScenarioRun run, ScenarioRun.OurListener listener) throws Exception {
        Narrator n = run.narrator();
        n.step("3. Our server closes while data it has not read is waiting");
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("our server closes with unread data");
        ScenarioRun.write(kernel, "data nobody will read");
        long deadline = System.nanoTime() + ScenarioRun.WAIT_MILLIS * 1_000_000L;
        while (run.readable(c) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        run.close(c);
        n.why("closing with unread data means the application lost something: TCP says so with RST, not FIN");
        run.expectOurs(c.id(), TcpState.CLOSED, ScenarioRun.WAIT_MILLIS);
        run.check("our close reason is ABORTED_UNREAD_DATA", run.closeReason(c) == CloseReason.ABORTED_UNREAD_DATA,
                "was " + run.closeReason(c));
        String error = kernelRead(kernel);
        run.check("the kernel's read fails with 'Connection reset'", error.contains("reset"), error);
        noTimeWait(run, c.id());
    }

    private static void noTimeWait(ScenarioRun run, ConnectionId id) {
        boolean ours = !run.session().recorder().statesOf(id).contains(TcpState.TIME_WAIT);
        boolean kernel = !run.session().kernel().statesOf(id).contains("TIME-WAIT");
        run.check("no TIME-WAIT on either side", ours && kernel,
                "ours " + run.session().recorder().statesOf(id) + ", kernel " + run.session().kernel().statesOf(id));
    }

    /** What the kernel's application sees when it reads: data, end of stream, or the error. */
    private static String kernelRead(Socket kernel) {
        try {
            int r = kernel.getInputStream().read();
            return r < 0 ? "end of stream" : "a byte";
        } catch (IOException e) {
            return e.getMessage() == null ? e.toString() : e.getMessage();
        }
    }
}
