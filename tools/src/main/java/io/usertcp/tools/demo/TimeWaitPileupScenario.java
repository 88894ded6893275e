package io.usertcp.tools.demo;

import io.usertcp.apps.EchoServer;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.Future;
import java.util.function.UnaryOperator;

/**
 * Short connections leave TIME-WAIT on the side that closes first: N on the kernel when its
 * clients close first, and on our stack when we do, capped by {@code maxTimeWaitEntries} (Linux
 * tcp_max_tw_buckets), the rest closing at once. Then 2·MSL passes and ours are gone.
 */
final class TimeWaitPileupScenario implements Scenario {
    static final int OUR_PORT = 8002;
    static final int KERNEL_PORT = 9002;
    static final int CONNECTIONS = 20;
    static final int TIME_WAIT_CAP = 15;
    static final long TIME_WAIT_MILLIS = 3_000;

    @Override
    public String name() {
        return "time-wait-pileup";
    }

    @Override
    public String summary() {
        return CONNECTIONS + " short connections each way: TIME-WAIT piles up on the side that closes first";
    }

    @Override
    public UnaryOperator<TcpConfig> tcp() {
        return c -> c.toBuilder().timeWaitNanos(TIME_WAIT_MILLIS * 1_000_000L).maxTimeWaitEntries(TIME_WAIT_CAP).build();
    }

    @Override
    public int logsShown() {
        return 2;
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        Narrator n = run.narrator();
        run.session().live().enable(false);
        kernelClosesFirst(run, n);
        weCloseFirst(run, n);
        run.session().live().enable(true);
        n.step("2·MSL later (3 s here, 60 s on Linux)");
        boolean expired = waitForOurTimeWait(run, 0, TIME_WAIT_MILLIS + ScenarioRun.WAIT_MILLIS);
        run.check("our TIME-WAIT entries expire after 2·MSL", expired, run.countOurs(TcpState.TIME_WAIT) + " left");
        n.why("a TIME-WAIT entry blocks only its own four-tuple, but thousands of them use memory and, on the\n"
                + "client side, ephemeral ports: that is why busy clients run out of ports, not servers");
    }

    private void kernelClosesFirst(ScenarioRun run, Narrator n) throws Exception {
        n.step(CONNECTIONS + " kernel clients, each: connect, send a byte, read the echo, close first");
        try (EchoServer echo = new EchoServer(run.runner(), OUR_PORT, 8)) {
            for (int i = 0; i < CONNECTIONS; i++) {
                try (Socket k = KernelClients.connect(run.session().host(), OUR_PORT)) {
                    ScenarioRun.write(k, "x");
                    ScenarioRun.read(k, 1);
                }
            }
            boolean all = run.session().kernel().await(t -> run.session().kernel().count("TIME-WAIT") >= CONNECTIONS, ScenarioRun.WAIT_MILLIS);
            run.check("the kernel holds " + CONNECTIONS + " TIME-WAIT entries", all,
                    run.session().kernel().count("TIME-WAIT") + " seen");
            run.check("our stack holds none", run.countOurs(TcpState.TIME_WAIT) == 0, run.countOurs(TcpState.TIME_WAIT) + " seen");
            n.why("the kernel's clients sent the first FIN (active close), so TIME-WAIT is theirs; our echo server\n"
                    + "closed passively: CLOSE-WAIT → LAST-ACK → CLOSED, nothing left");
            run.tables(6);
        }
    }

    private void weCloseFirst(ScenarioRun run, Narrator n) throws Exception {
        n.step(CONNECTIONS + " connections from our stack to a kernel server; we close first");
        ServerSocket server = run.kernelListen(KERNEL_PORT);
        Future<Integer> served = run.session().namespace().submitInside(() -> {
            int count = 0;
            for (; count < CONNECTIONS; count++) {
                try (Socket s = server.accept()) {
                    s.setSoTimeout((int) ScenarioRun.WAIT_MILLIS);
                    KernelClients.readToEnd(s);
                }
            }
            return count;
        });
        java.util.List<TcpConnection> ours = new java.util.ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
            TcpConnection c = run.connect(KERNEL_PORT, "our client " + (i + 1) + " → kernel server");
            run.send(c, "x");
            run.close(c);
            ours.add(c);
        }
        served.get(ScenarioRun.WAIT_MILLIS * 2, java.util.concurrent.TimeUnit.MILLISECONDS);
        int closed = 0;
        for (TcpConnection c : ours) {
            StackEvent end = run.session().recorder().await(e -> e instanceof StackEvent.StateChange sc && sc.id().equals(c.id())
                    && (sc.to() == TcpState.TIME_WAIT || sc.to() == TcpState.CLOSED), ScenarioRun.WAIT_MILLIS);
            closed += end == null ? 0 : 1;
        }
        run.check("all " + CONNECTIONS + " of our connections finished closing", closed == CONNECTIONS, closed + " did");
        boolean capped = waitForOurTimeWait(run, TIME_WAIT_CAP, ScenarioRun.WAIT_MILLIS);
        run.check("our stack holds " + TIME_WAIT_CAP + " TIME-WAIT entries (its cap)", capped,
                run.countOurs(TcpState.TIME_WAIT) + " seen");
        long overflow = run.counters().getOrDefault("TcpExtTCPTimeWaitOverflow", 0L);
        run.check("the other " + (CONNECTIONS - TIME_WAIT_CAP) + " skipped TIME-WAIT (TcpExtTCPTimeWaitOverflow)",
                overflow == CONNECTIONS - TIME_WAIT_CAP, "counter is " + overflow);
        n.why("we sent the first FIN, so TIME-WAIT is ours now; past maxTimeWaitEntries (Linux tcp_max_tw_buckets)\n"
                + "a closing connection skips TIME-WAIT, as Linux does when it logs 'time wait bucket table overflow'");
        run.tables(6);
    }

    private static boolean waitForOurTimeWait(ScenarioRun run, long count, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (run.countOurs(TcpState.TIME_WAIT) != count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}
