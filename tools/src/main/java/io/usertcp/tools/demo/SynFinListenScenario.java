package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpState;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptions;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;

/**
 * The old claim that a SYN+FIN segment leaves a server in CLOSE-WAIT, tested on our stack in the
 * profile it runs and on the kernel. RFC 9293 §3.10.7.2 processes the SYN of a segment reaching
 * LISTEN and queues "any other control or text" for later, so the FIN takes the connection on to
 * CLOSE-WAIT once the handshake's last ACK makes it ESTABLISHED; Linux's tcp_rcv_state_process()
 * discards a SYN with FIN in LISTEN before anything is created; FreeBSD processes the SYN and does
 * not keep the FIN. Each listener then serves a legitimate client.
 */
final class SynFinListenScenario implements Scenario {
    static final int OUR_PORT = 8012;
    static final int KERNEL_PORT = 9012;
    /**
     * The crafted client of our listener: an address in the namespace's subnet that nobody holds
     * (spoofed, as in the attack), so that nothing answers what our stack sends it: the kernel,
     * which does not forward, drops our SYN,ACK.
     */
    static final Ipv4Address SPOOFED = Ipv4Address.of("198.18.0.3");
    static final int SPOOFED_PORT = 40300;
    /** The port of our address the crafted SYN+FIN to the kernel comes from: nothing of ours uses it. */
    static final int CRAFTED_PORT = 40301;
    static final int CRAFTED_ISS = 1_000_000;
    static final String HELLO = "hello";

    /** What a listener does with the SYN+FIN. */
    enum Outcome { DROPPED, ESTABLISHED, CLOSE_WAIT }

    @Override
    public String name() {
        return "synfin-listen";
    }

    @Override
    public String summary() {
        return "a SYN+FIN to a listener: dropped by Linux, CLOSE-WAIT by RFC 9293's letter; on our profile and on the kernel";
    }

    /** What our stack's profile does with a SYN+FIN to a listener. */
    static Outcome expected(TcpProfile profile) {
        if (profile.dropsSynFin() || profile.dropsSynFinInListen()) {
            return Outcome.DROPPED;
        }
        return profile.queuesFinOnListenSyn() ? Outcome.CLOSE_WAIT : Outcome.ESTABLISHED;
    }

    /** The crafted connection to our listener, as our stack names it. */
    static ConnectionId oursCrafted() {
        return new ConnectionId(TunStackHost.STACK_ADDRESS.bits(), OUR_PORT, SPOOFED.bits(), SPOOFED_PORT);
    }

    /** The crafted connection to the kernel's listener, as our stack names it. */
    static ConnectionId kernelCrafted() {
        return new ConnectionId(TunStackHost.STACK_ADDRESS.bits(), CRAFTED_PORT, TunStackHost.KERNEL_ADDRESS.bits(), KERNEL_PORT);
    }

    @Override
    public void play(ScenarioRun run) throws Exception {
        ScenarioRun.OurListener listener = run.listen(OUR_PORT);
        toOurListener(run, listener);
        ourListenerServes(run, listener);
        toKernelListener(run);
        run.narrator().why("the claim holds only for a stack that follows the letter of RFC 9293 (the rfc profile): a SYN+FIN\n"
                + "costs such a server a connection its application accepts, reads end of stream from and must close;\n"
                + "if it does not, CLOSE-WAIT piles up. Linux (and our linux profile) throws the segment away in LISTEN;\n"
                + "FreeBSD answers the SYN and forgets the FIN (its net.inet.tcp.drop_synfin drops the segment too)");
    }

    /** Step 1: the SYN+FIN, and the handshake's last ACK when our stack answers. */
    private void toOurListener(ScenarioRun run, ScenarioRun.OurListener listener) throws InterruptedException {
        Narrator n = run.narrator();
        TcpProfile profile = run.session().stack().profile();
        Outcome expected = expected(profile);
        ConnectionId id = oursCrafted();
        n.step("1. A crafted SYN+FIN from " + SPOOFED + ":" + SPOOFED_PORT + " to our listener at " + ScenarioRun.ours(OUR_PORT)
                + " (profile " + profile.name() + ")");
        n.say("handed to our stack as if it had come through the TUN device, from an address nobody holds (spoofed);\n"
                + "what our stack answers goes into the namespace, where the kernel drops it (not its address)");
        run.show(id, "crafted SYN+FIN from " + SPOOFED + ":" + SPOOFED_PORT + " (spoofed)");
        Map<String, Long> before = run.counters();
        run.craftToStack(SPOOFED, TcpHeader.of(SPOOFED_PORT, OUR_PORT, CRAFTED_ISS, 0, TcpFlags.SYN | TcpFlags.FIN, 65535,
                TcpOptions.of(new TcpOption.Mss(1460))));
        StackEvent.Segment synAck = firstSegment(run, id, true);
        if (synAck != null && synAck.has(TcpFlags.SYN | TcpFlags.ACK)) {
            n.say("our stack answered " + synAck.flags() + " seq " + Integer.toUnsignedString(synAck.header().seq()) + " ack "
                    + Integer.toUnsignedString(synAck.header().ack()) + "; the scenario, playing the client, sends the handshake's last ACK");
            run.craftToStack(SPOOFED, TcpHeader.of(SPOOFED_PORT, OUR_PORT, CRAFTED_ISS + 1, synAck.header().seq() + 1, TcpFlags.ACK,
                    65535, TcpOptions.NONE));
        } else {
            n.say("our stack sent nothing back: there is no handshake to finish");
        }
        long drops = delta(run, before, "DropTCP_LISTEN_SYN_FIN") + delta(run, before, "DropTCP_SYN_FIN");
        switch (expected) {
            case DROPPED -> run.check("our stack drops it: no SYN,ACK, no half-open child (drop counted once)",
                    synAck == null && drops == 1 && run.session().recorder().statesOf(id).isEmpty(),
                    "answer " + (synAck == null ? "none" : synAck.flags()) + ", drops " + drops + ", states "
                            + run.session().recorder().statesOf(id));
            case ESTABLISHED, CLOSE_WAIT -> answered(run, listener, id, synAck, expected == Outcome.CLOSE_WAIT);
        }
        n.why(why(expected));
    }

    /** The rule behind what a listener does with the SYN+FIN. */
    private static String why(Outcome outcome) {
        return switch (outcome) {
            case DROPPED -> "Linux tcp_rcv_state_process(), in TCP_LISTEN: a SYN with th->fin set goes to discard before\n"
                    + "tcp_conn_request() (drop reason SKB_DROP_REASON_TCP_FLAGS): no request socket, no SYN,ACK, nothing to pile up";
            case CLOSE_WAIT -> "RFC 9293 §3.10.7.2 (LISTEN, third, SYN): RCV.NXT = SEG.SEQ+1 and \"any other control or text should be\n"
                    + "queued for processing later\"; once the last ACK makes it ESTABLISHED, the queued FIN is processed\n"
                    + "(§3.10.7.4 eighth): CLOSE-WAIT, before the client has sent a byte";
            case ESTABLISHED -> "FreeBSD: the SYN is processed and the FIN not kept (RCV.NXT = SEG.SEQ+1, so the FIN's sequence\n"
                    + "number stays unacknowledged): the peer has to send its FIN again";
        };
    }

    /** Our stack answered: the child reaches ESTABLISHED, or CLOSE-WAIT with the FIN queued, and the application accepts it. */
    private void answered(ScenarioRun run, ScenarioRun.OurListener listener, ConnectionId id, StackEvent.Segment synAck,
                          boolean closeWait) throws InterruptedException {
        run.check("our stack answers SYN,ACK acknowledging the SYN only (ack = SEG.SEQ+1)",
                synAck != null && synAck.has(TcpFlags.SYN | TcpFlags.ACK) && synAck.header().ack() == CRAFTED_ISS + 1,
                synAck == null ? "nothing sent" : synAck.flags() + " ack " + Integer.toUnsignedString(synAck.header().ack()));
        TcpState state = closeWait ? TcpState.CLOSE_WAIT : TcpState.ESTABLISHED;
        run.expectOurs(id, state, ScenarioRun.WAIT_MILLIS);
        TcpConnection c = listener.accept("crafted SYN+FIN from " + SPOOFED + ":" + SPOOFED_PORT + " (spoofed)");
        String read = run.readNow(c);
        if (closeWait) {
            run.check("our application accepts it, and its first read returns end of stream", c.id().equals(id) && read == null,
                    "accepted " + c.id() + ", read " + (read == null ? "end of stream" : "'" + read + "'"));
        } else {
            run.check("our application accepts it: nothing to read, no end of stream (the FIN was not kept)",
                    c.id().equals(id) && "".equals(read) && !run.session().recorder().statesOf(id).contains(TcpState.CLOSE_WAIT),
                    "accepted " + c.id() + ", read " + (read == null ? "end of stream" : "'" + read + "'") + ", states "
                            + run.session().recorder().statesOf(id));
        }
    }

    /** Step 2: a kernel client through our listener, there and back. */
    private void ourListenerServes(ScenarioRun run, ScenarioRun.OurListener listener) throws Exception {
        run.narrator().step("2. A legitimate client: the kernel connects to our listener, sends \"" + HELLO + "\", reads it back");
        Socket k = run.kernelConnect(OUR_PORT);
        TcpConnection c = listener.accept("kernel client → our listener (legitimate)");
        ScenarioRun.write(k, HELLO);
        String got = run.read(c, HELLO.length());
        run.send(c, got);
        String back = ScenarioRun.read(k, HELLO.length());
        run.check("our listener serves it: \"" + HELLO + "\" there and back", c.id().remoteAddress() == TunStackHost.KERNEL_ADDRESS.bits()
                && HELLO.equals(back), "accepted " + c.id() + ", got '" + got + "', back '" + back + "'");
        run.tables(4);
    }

    /** Steps 3 and 4: the same SYN+FIN written into the TUN device to a kernel listener, then a legitimate client. */
    private void toKernelListener(ScenarioRun run) throws Exception {
        Narrator n = run.narrator();
        ConnectionId crafted = kernelCrafted();
        n.step("3. The same SYN+FIN from our address " + ScenarioRun.ours(CRAFTED_PORT) + ", written into the TUN device, to a kernel\n"
                + "  listener at " + TunStackHost.KERNEL_ADDRESS + ":" + KERNEL_PORT);
        ServerSocket server = run.kernelListen(KERNEL_PORT);
        run.show(crafted, "crafted SYN+FIN to the kernel's listener");
        run.craftToKernel(TcpHeader.of(CRAFTED_PORT, KERNEL_PORT, CRAFTED_ISS, 0, TcpFlags.SYN | TcpFlags.FIN, 65535,
                TcpOptions.of(new TcpOption.Mss(1460))));
        n.step("4. A legitimate client: our stack connects to the kernel's listener, written into the device after it");
        TcpConnection legit = run.connect(KERNEL_PORT, "our client → kernel listener (legitimate)");
        Socket accepted = run.keep(server.accept());
        ScenarioRun.write(accepted, HELLO);
        String got = run.read(legit, HELLO.length());
        run.check("the kernel's first accept is our legitimate client, served: \"" + HELLO + "\" received",
                accepted.getPort() == legit.id().localPort() && HELLO.equals(got),
                "accepted port " + accepted.getPort() + ", ours " + legit.id().localPort() + ", got '" + got + "'");
        // The kernel handles what is written into the device in order, and our stack reads its answers in order:
        // an answer to the SYN+FIN would have reached us before the SYN,ACK that established the legitimate client.
        StackEvent.Segment answer = firstSegment(run, crafted, false);
        run.check("the kernel answered nothing: no SYN,ACK came back to " + ScenarioRun.ours(CRAFTED_PORT), answer == null,
                answer == null ? "" : "it sent " + answer.flags());
        List<String> states = run.session().kernel().statesOf(crafted);
        run.check("the kernel kept nothing: no SYN-RECV or CLOSE-WAIT for it in its table", states.isEmpty(), "saw " + states);
        run.tables(4);
        n.why("Linux drops it in tcp_rcv_state_process() (TCP_LISTEN: a SYN with FIN is discarded, drop reason\n"
                + "SKB_DROP_REASON_TCP_FLAGS, seen only by tracing kfree_skb): no counter, no answer, no state");
    }

    /** The first segment of {@code id} our stack sent ({@code outbound}) or received, or {@code null}. */
    private static StackEvent.Segment firstSegment(ScenarioRun run, ConnectionId id, boolean outbound) {
        return run.session().recorder().eventsFor(id).stream()
                .filter(e -> e instanceof StackEvent.Segment s && s.outbound() == outbound)
                .map(e -> (StackEvent.Segment) e).findFirst().orElse(null);
    }

    private static long delta(ScenarioRun run, Map<String, Long> before, String counter) {
        return run.counters().getOrDefault(counter, 0L) - before.getOrDefault(counter, 0L);
    }
}
