package io.usertcp.tools.demo;

import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A server that never closes: every connection the clients close stays in CLOSE-WAIT on our side,
 * and the kernel's clients sit in FIN-WAIT-2 waiting for a FIN that never comes. Then the fix:
 * closing when read returns end of stream (RFC 9293 §3.6, passive close).
 */
final class CloseWaitLeakScenario implements Scenario {
    static final int PORT = 8001;
    static final int CLIENTS = 3;

    @Override
    public String name() {
        return "close-wait-leak";
    }

    @Override
    public String summary() {
        return "our server never closes: CLOSE-WAIT piles up on our side, the kernel sits in FIN-WAIT-2";
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        Narrator n = run.narrator();
        n.step("Our server accepts " + CLIENTS + " clients and answers each, but never calls close()");
        ScenarioRun.OurListener listener = run.listen(PORT);
        List<Socket> kernel = new ArrayList<>();
        List<TcpConnection> ours = new ArrayList<>();
        for (int i = 1; i <= CLIENTS; i++) {
            Socket k = run.kernelConnect(PORT);
            TcpConnection c = listener.accept("client " + i + " → leaky server");
            ScenarioRun.write(k, "request " + i);
            run.read(c, ("request " + i).length());
            run.send(c, "reply " + i);
            ScenarioRun.read(k, ("reply " + i).length());
            kernel.add(k);
            ours.add(c);
        }

        n.step("The clients are done: each closes its socket, which sends FIN");
        for (Socket k : kernel) {
            k.close();
        }
        for (TcpConnection c : ours) {
            run.expectOurs(c.id(), TcpState.CLOSE_WAIT, ScenarioRun.WAIT_MILLIS);
            run.expectKernel(c.id(), "FIN-WAIT-2", ScenarioRun.WAIT_MILLIS);
        }
        n.why("our stack ACKed each FIN at once (that is TCP's job), so each kernel socket waits in FIN-WAIT-2\n"
                + "for our FIN. Our application never closes: CLOSE-WAIT is always the application's bug");
        String eof = run.readNow(ours.get(0));
        run.check("read() on our side returns end of stream (-1)", eof == null, "read returned '" + eof + "'");
        n.why("that end of stream is the signal to close; a server that ignores it leaks a connection each time");
        run.tables(12);
        n.why("the kernel drops an orphaned FIN-WAIT-2 after tcp_fin_timeout (60 s); CLOSE-WAIT stays until the app acts");

        n.step("The fix: close when read returns end of stream");
        for (TcpConnection c : ours) {
            run.close(c);
        }
        for (TcpConnection c : ours) {
            run.expectOurs(c.id(), TcpState.LAST_ACK, ScenarioRun.WAIT_MILLIS);
            run.expectOurs(c.id(), TcpState.CLOSED, ScenarioRun.WAIT_MILLIS);
            run.expectKernel(c.id(), "TIME-WAIT", ScenarioRun.WAIT_MILLIS);
        }
        n.why("our FIN: LAST-ACK until the kernel ACKs it, then CLOSED; the kernel, who closed first, keeps TIME-WAIT");
    }
}
