package io.usertcp.tools.demo;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.net.Socket;
import java.util.function.UnaryOperator;

/**
 * Half close: our side shuts down its output (FIN) and keeps reading; the kernel, in CLOSE-WAIT,
 * still sends, and we receive it all in FIN-WAIT-2 (RFC 9293 §3.6: CLOSE means "I have no more to
 * send", not "I will receive no more").
 */
final class HalfCloseScenario implements Scenario {
    static final int PORT = 8005;
    static final long TIME_WAIT_MILLIS = 2_000;
    static final String[] LATE = {"more data 1\n", "more data 2\n", "the last words\n"};

    @Override
    public String name() {
        return "half-close";
    }

    @Override
    public String summary() {
        return "we shut down output and keep reading: data flows to us in FIN-WAIT-2 from the kernel's CLOSE-WAIT";
    }

    @Override
    public UnaryOperator<TcpConfig> tcp() {
        return c -> c.toBuilder().timeWaitNanos(TIME_WAIT_MILLIS * 1_000_000L).build();
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        Narrator n = run.narrator();
        n.step("A kernel client connects to our server on port " + PORT + " and asks a question");
        ScenarioRun.OurListener listener = run.listen(PORT);
        Socket kernel = run.kernelConnect(PORT);
        TcpConnection c = listener.accept("kernel client ⇄ our half-closing server");
        ScenarioRun.write(kernel, "question?");
        run.read(c, "question?".length());

        n.step("Our server answers, then shuts down its output (FIN) but keeps reading");
        run.send(c, "answer.");
        run.shutdownOutput(c);
        run.expectOurs(c.id(), TcpState.FIN_WAIT_2, ScenarioRun.WAIT_MILLIS);
        String answer = ScenarioRun.read(kernel, "answer.".length());
        int eof = kernel.getInputStream().read();
        run.check("the kernel reads our answer, then end of stream", answer.equals("answer.") && eof == -1,
                "read '" + answer + "' then " + eof);
        run.expectKernel(c.id(), "CLOSE-WAIT", ScenarioRun.WAIT_MILLIS);
        n.why("the kernel saw our FIN (CLOSE-WAIT) but its application may still send: the other direction is open");

        n.step("The kernel keeps sending; we keep reading in FIN-WAIT-2");
        StringBuilder expected = new StringBuilder();
        StringBuilder received = new StringBuilder();
        for (String part : LATE) {
            ScenarioRun.write(kernel, part);
            expected.append(part);
            received.append(run.read(c, part.length()));
        }
        n.block(received.toString());
        run.check("every byte sent after our FIN arrived", received.toString().equals(expected.toString()),
                "got '" + received + "'");
        run.check("ours was still in FIN-WAIT-2 while reading", run.session().recorder().lastState(c.id()) == TcpState.FIN_WAIT_2,
                "was " + run.session().recorder().lastState(c.id()));

        n.step("The kernel is done too and closes");
        kernel.close();
        run.expectOurs(c.id(), TcpState.TIME_WAIT, ScenarioRun.WAIT_MILLIS);
        String end = run.readNow(c);
        run.check("our read returns end of stream after the kernel's FIN", end == null, "read '" + end + "'");
        n.why("we closed first, so TIME-WAIT is ours; the kernel went LAST-ACK → CLOSED");
        run.close(c);
        run.expectOurs(c.id(), TcpState.CLOSED, TIME_WAIT_MILLIS + ScenarioRun.WAIT_MILLIS);
    }
}
