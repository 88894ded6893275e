package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.usertcp.tcp.TcpProfile.Reference;
import io.usertcp.testkit.ByteBufLedger;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOption;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/**
 * Fuzzes the TCP state machine itself, not a parser: from a connection brought into one of the
 * RFC 9293 states by real segments (the harness fixtures), in any behaviour profile, a generated
 * sequence of the peer's segments (numbered relative to the live connection, so that they reach
 * the window, the edges and the ACK cases rather than bouncing off the first check), user calls
 * and timer advances. After every step it checks invariants; at the end it shuts everything down
 * and checks the tables empty out.
 *
 * <p>Invariants: no exception (user calls may throw IllegalArgumentException or
 * IllegalStateException, the API's way to refuse misuse); SND.UNA =< SND.NXT; no more in flight
 * than queued; the send queue within the largest send buffer it had (where the profile counts the
 * send buffer in skbs as Linux does, plus one skb and what of a split skb is in flight) and what
 * is readable within the largest receive buffer; every
 * segment the stack sends well formed with valid checksums (the harness decodes them); no timer
 * fires more than {@link #MAX_EXPIRIES_PER_SECOND} times in one second of virtual time on one
 * connection; after close, abort and long enough, no connection and no TIME-WAIT entry is left;
 * no ByteBuf leaks: every buffer the stack allocated, was fed or kept from SEND is released by the
 * end of each input ({@link ByteBufLedger}; in {@code mvn test} the paranoid leak-check extension
 * as well).
 *
 * <p>In {@code mvn test} the committed seeds under {@code StateMachineFuzzTestInputs/stateMachine}
 * replay as regression tests; {@code JAZZER_FUZZ=1} fuzzes for real.
 */
class StateMachineFuzzTest {
    private static final int MAX_STEPS = 48;
    private static final long SECOND = 1_000_000_000L;
    /** A timer that fires more often than this in one virtual second is a storm, not a timer. */
    static final int MAX_EXPIRIES_PER_SECOND = 200;
    /**
     * The most payload one skb of Linux's send queue takes (tcp_xmit_size_goal(): GSO's 65536 - 1 -
     * MAX_TCP_HEADER (320)), as {@code Sender.sizeGoal()} models it.
     */
    private static final int MAX_SKB_PAYLOAD = 65536 - 1 - 320;
    /** {@code -Dusertcp.fuzz.trace=true} prints each step to stderr, to explain a finding ({@link StateMachineFuzzReplay}). */
    static final boolean TRACE = Boolean.getBoolean("usertcp.fuzz.trace");

    /**
     * When set (by {@link StateMachineCorpusDistiller}, never in a test or a campaign), each input's
     * behaviour is told to it: the profile, every state change with its cause, every timer that
     * fired, every drop and every counter that moved.
     */
    static java.util.function.Consumer<java.util.Set<String>> behaviourSink;

    @FuzzTest(maxDuration = "60s")
    void stateMachine(FuzzedDataProvider data) {
        TcpConfig tcp = config(data);
        ExpiryCounter expiries = new ExpiryCounter();
        ByteBufLedger ledger = new ByteBufLedger(PooledByteBufAllocator.DEFAULT);
        java.util.Set<String> behaviour = behaviourSink == null ? null : new java.util.TreeSet<>();
        ConnectionObserver observer = behaviour == null ? expiries : new ConnectionObserver() {
            @Override
            public void stateChanged(long nowNanos, ConnectionId id, TcpState from, TcpState to, String cause) {
                behaviour.add("state " + from + " > " + to + " (" + cause + ")");
            }

            @Override
            public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
                behaviour.add("timer " + timer);
                expiries.timerExpired(nowNanos, id, timer);
            }

            @Override
            public void dropped(io.usertcp.wire.DropReason reason) {
                behaviour.add("drop " + reason);
            }
        };
        try (ConnectionHarness h = new ConnectionHarness(tcp, c -> c.withObserver(observer).withAllocator(ledger))) {
            h.tapIncoming(ledger::record);
            run(h, tcp, data, expiries, ledger);
            if (behaviour != null) {
                behaviour.add("profile " + tcp.profile().reference());
                h.stack.stats().snapshot().forEach((name, value) -> {
                    if (value != 0) {
                        behaviour.add("counter " + name);
                    }
                });
                behaviourSink.accept(behaviour);
            }
        }
        // No ByteBuf leaked: every buffer the stack allocated, was fed or was given to send is released once the
        // stack is closed.
        ledger.assertAllReleased();
    }

    /**
     * In a campaign ({@code JAZZER_FUZZ} set) Netty's paranoid leak detector is off for this class: it records
     * a stack trace at every access of every buffer, which made each input about nine times slower, and it reports a
     * leak only once the garbage collector found it, so after the campaign and without the input that leaked.
     * The {@link ByteBufLedger} checked after each input is at least as strict (see its Javadoc). {@code mvn
     * test} keeps paranoid detection, with the ledger as well.
     */
    @BeforeAll
    static void exactLeakCheckWhileFuzzing() {
        if (System.getenv("JAZZER_FUZZ") != null && !System.getenv("JAZZER_FUZZ").isEmpty()) {
            levelBefore = ResourceLeakDetector.getLevel();
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }

    @AfterAll
    static void restoreLeakDetection() {
        if (levelBefore != null) {
            ResourceLeakDetector.setLevel(levelBefore);
            levelBefore = null;
        }
    }

    private static ResourceLeakDetector.Level levelBefore;

    private static void run(ConnectionHarness h, TcpConfig tcp, FuzzedDataProvider data, ExpiryCounter expiries,
            ByteBufLedger ledger) {
        TcpConnection c;
        try {
            int which = data.consumeInt(0, 10);
            if (TRACE) {
                trace("config " + tcp.profile().reference() + " " + tcp.profile().switches() + " rcvbuf "
                        + tcp.receiveBufferBytes() + " sndbuf " + tcp.sendBufferBytes() + ", fixture " + which);
            }
            c = fixture(h, which);
        } catch (AssertionFailedError scriptedForLinux) {
            // The fixtures script the peer and check our answers as Linux gives them; a profile that answers
            // otherwise on the way (FreeBSD resends its FIN in CLOSING) does not reach that fixture's state.
            assertTrue(tcp.profile().reference() != Reference.LINUX, () -> "a fixture failed in the linux profile: " + scriptedForLinux);
            return;
        }
        Bounds bounds = new Bounds(c);
        for (int step = 0; step < MAX_STEPS && data.remainingBytes() > 0; step++) {
            int action = data.consumeInt(0, 9);
            if (action <= 5) {
                peerSegment(h, c, data);
            } else if (action <= 7) {
                userCall(h, c, data, bounds, ledger);
            } else {
                long nanos = duration(data);
                if (TRACE) {
                    trace("advance " + nanos + " ns");
                }
                h.advance(nanos);
            }
            List<ConnectionHarness.Sent> sent = h.drain(); // every segment sent is decoded and checked by the harness
            if (TRACE) {
                sent.forEach(x -> trace("  sent " + x));
                trace("  now " + c.state() + " " + c.sender + " sendQueue " + c.sendQueueBytes() + "/" + c.sendBufferSize()
                        + " readable " + c.readableBytes() + "/" + c.receiveBufferSize());
            }
            checkInvariants(h, c, bounds, expiries);
        }
        windDown(h, c);
    }

    // ------------------------------------------------------------------------------------
    // What the fuzzer chooses
    // ------------------------------------------------------------------------------------

    private static TcpConfig config(FuzzedDataProvider data) {
        Reference reference = data.pickValue(Reference.values());
        TcpProfile profile = TcpProfile.of(reference.label());
        TcpProfile.Switches s = profile.switches();
        if (data.consumeBoolean()) {
            s = s.withRstChallengeAck(data.consumeBoolean()).withSynChallengeAck(data.consumeBoolean())
                    .withRfc1337(data.consumeBoolean()).withDropSynFin(data.consumeBoolean());
        }
        // Short enough that timers fire within the fuzzed advances; numbers the API accepts.
        return TcpConfig.forProfile(profile.withSwitches(s)).toBuilder()
                .timeWaitNanos(2 * SECOND).finWait2TimeoutNanos(3 * SECOND)
                .receiveBufferBytes(data.pickValue(new int[] {4096, 65536}))
                .sendBufferBytes(data.pickValue(new int[] {4096, 65536}))
                .build();
    }

    private static TcpConnection fixture(ConnectionHarness h, int which) {
        return switch (which) {
            case 0 -> h.synSent();
            case 1 -> h.synReceivedPassive();
            case 2 -> h.synReceivedSimultaneous();
            case 3 -> h.established();
            case 4 -> h.establishedPassive();
            case 5 -> h.finWait1();
            case 6 -> h.finWait2();
            case 7 -> h.closing();
            case 8 -> h.timeWait();
            case 9 -> h.closeWait();
            default -> h.lastAck();
        };
    }

    /** A segment from the peer with sequence and acknowledgment numbers near the live connection's. */
    private static void peerSegment(ConnectionHarness h, TcpConnection c, FuzzedDataProvider data) {
        int flags = data.consumeInt(0, 0x3f);
        int rcvNxt = c.receiver.nxt();
        int sndUna = c.sender.una();
        int sndNxt = c.sender.nxt();
        long window = Math.max(1, c.receiver.window());
        int seq = switch (data.consumeInt(0, 5)) {
            case 0 -> rcvNxt;
            case 1 -> rcvNxt - 1;
            case 2 -> rcvNxt + (int) window;
            case 3 -> rcvNxt + (int) window - 1;
            case 4 -> rcvNxt + data.consumeInt(-70000, 70000);
            default -> data.consumeInt();
        };
        int ack = switch (data.consumeInt(0, 4)) {
            case 0 -> sndNxt;
            case 1 -> sndUna;
            case 2 -> sndUna + data.consumeInt(0, Math.max(0, SeqNum.diff(sndNxt, sndUna)));
            case 3 -> sndNxt + data.consumeInt(-70000, 70000);
            default -> data.consumeInt();
        };
        ConnectionHarness.Segment s = h.segment().flags(flags).seq(seq).ack(ack).window(data.consumeInt(0, 65535));
        List<TcpOption> options = new ArrayList<>();
        if (data.consumeBoolean()) {
            options.add(new TcpOption.Timestamps(c.receiver.tsRecent() + data.consumeInt(-3, 1000), data.consumeInt()));
        }
        if (data.consumeBoolean()) {
            int left = sndUna + data.consumeInt(-100, 70000);
            options.add(new TcpOption.Sack(List.of(new TcpOption.SackBlock(left, left + data.consumeInt(-10, 5000)))));
        }
        if ((flags & TcpFlags.SYN) != 0 && data.consumeBoolean()) {
            options.add(new TcpOption.Mss(data.consumeInt(0, 65535)));
            options.add(new TcpOption.WindowScale(data.consumeInt(0, 20)));
            options.add(new TcpOption.SackPermitted());
        }
        if (!options.isEmpty()) {
            s.options(options.toArray(TcpOption[]::new));
        }
        int length = data.consumeInt(0, 1460);
        if (length > 0) {
            s.payload(new byte[length]);
        }
        if (TRACE) {
            trace("peer " + TcpFlags.format(flags) + " seq " + Integer.toUnsignedString(seq) + " ack " + Integer.toUnsignedString(ack)
                    + " options " + options + " len " + length);
        }
        h.receive(s);
    }

    private static void trace(String line) {
        System.err.println(line);
    }

    private static void userCall(ConnectionHarness h, TcpConnection c, FuzzedDataProvider data, Bounds bounds,
            ByteBufLedger ledger) {
        long now = h.now();
        int call = data.consumeInt(0, 8);
        if (TRACE) {
            trace("user call " + call);
        }
        try {
            switch (call) {
                case 0 -> {
                    // What SEND keeps of it (retained slices) must be released by the end too.
                    ByteBuf b = ledger.record(Unpooled.wrappedBuffer(new byte[data.consumeInt(1, 20000)]));
                    try {
                        int n = c.send(now, b);
                        if (TRACE) {
                            trace("  send " + b.capacity() + " B: took " + n);
                        }
                    } finally {
                        b.release();
                    }
                }
                case 1 -> {
                    ByteBuf dst = Unpooled.buffer(data.consumeInt(1, 70000));
                    try {
                        c.read(now, dst);
                    } finally {
                        dst.release();
                    }
                }
                case 2 -> c.close(now);
                case 3 -> c.abort(now);
                case 4 -> c.shutdownOutput(now);
                case 5 -> c.setKeepAlive(now, data.consumeBoolean(), data.consumeInt(1, 10) * SECOND,
                        data.consumeInt(1, 10) * SECOND, data.consumeInt(1, 9));
                case 6 -> c.setNoDelay(now, data.consumeBoolean());
                case 7 -> c.setQuickAck(now, data.consumeBoolean());
                default -> {
                    int send = data.consumeInt(256, 1 << 20);
                    int receive = data.consumeInt(256, 1 << 20);
                    if (TRACE) {
                        trace("  SO_SNDBUF " + send + ", SO_RCVBUF " + receive);
                    }
                    c.setSendBufferSize(now, send);
                    c.setReceiveBufferSize(now, receive);
                    bounds.grew(c.sendBufferSize(), c.receiveBufferSize());
                }
            }
        } catch (IllegalStateException | IllegalArgumentException refused) {
            if (TRACE) {
                trace("  refused: " + refused);
            }
            // The API refusing a call the state does not allow is its documented answer, not a finding.
        }
    }

    private static long duration(FuzzedDataProvider data) {
        return switch (data.consumeInt(0, 3)) {
            case 0 -> data.consumeLong(0, 1_000_000L);
            case 1 -> data.consumeLong(0, 250_000_000L);
            case 2 -> data.consumeLong(0, 5 * SECOND);
            default -> data.consumeLong(0, 200 * SECOND);
        };
    }

    // ------------------------------------------------------------------------------------
    // Invariants
    // ------------------------------------------------------------------------------------

    /** The largest buffers the connection had (set by the user or autotuned), for bytes held above a capacity later shrunk. */
    private static final class Bounds {
        int send;
        int receive;

        Bounds(TcpConnection c) {
            send = c.sendBufferSize();
            receive = c.receiveBufferSize();
        }

        void grew(int s, int r) {
            send = Math.max(send, s);
            receive = Math.max(receive, r);
        }
    }

    /** Counts timer expiries per connection per second of virtual time. */
    static final class ExpiryCounter implements ConnectionObserver {
        private final Map<ConnectionId, long[]> counts = new HashMap<>();
        private int worst;
        private String worstWhat = "";

        @Override
        public void timerExpired(long nowNanos, ConnectionId id, TcpTimer timer) {
            long[] c = counts.computeIfAbsent(id, k -> new long[] {Long.MIN_VALUE, 0});
            long second = Math.floorDiv(nowNanos, SECOND);
            if (c[0] != second) {
                c[0] = second;
                c[1] = 0;
            }
            c[1]++;
            if (c[1] > worst) {
                worst = (int) c[1];
                worstWhat = id + " " + timer + " at " + nowNanos + " ns";
            }
        }

        void check() {
            assertTrue(worst <= MAX_EXPIRIES_PER_SECOND, () -> "timer storm: " + worst + " expiries in one virtual second, " + worstWhat);
        }
    }

    private static void checkInvariants(ConnectionHarness h, TcpConnection c, Bounds bounds, ExpiryCounter expiries) {
        // Linux's autotuning grows the send buffer (tcp_sndbuf_expand()) and the receive buffer (tcp_rcv_space_adjust())
        // on its own; the largest they had bounds what they hold.
        bounds.grew(c.sendBufferSize(), c.receiveBufferSize());
        long flight = c.isClosed() ? 0 : c.sender.flightSize();
        if (!c.isClosed()) {
            assertTrue(SeqNum.le(c.sender.una(), c.sender.nxt()), () -> "SND.UNA > SND.NXT: " + c.sender);
            // Everything in flight is still queued for retransmission; SYN and FIN take a number each.
            assertTrue(flight <= c.sendQueueBytes() + 2, () -> "more in flight than queued: " + c.sendQueueBytes() + " B, " + c.sender);
        }
        if (c.accountsSendBufferInSkbs()) {
            // Linux counts the send buffer in skbs: tcp_sendmsg_locked() starts a new skb only while
            // sk_stream_memory_free() (sk_wmem_queued < sk_sndbuf), then fills it, or the unsent tail skb that
            // tso_fragment() split off a burst, up to tcp_xmit_size_goal() without asking again. So the queue may pass
            // SO_SNDBUF by one skb's payload, plus what of a split skb is already in flight.
            long bound = bounds.send + MAX_SKB_PAYLOAD + flight;
            assertTrue(c.sendQueueBytes() <= bound, () -> "send queue " + c.sendQueueBytes() + " > " + bound + " (SO_SNDBUF "
                    + bounds.send + ", one skb, " + flight + " in flight)");
        } else {
            assertTrue(flight <= bounds.send + 2, () -> "more in flight than the send buffer: " + c.sender);
            assertTrue(c.sendQueueBytes() <= bounds.send, () -> "send queue " + c.sendQueueBytes() + " > " + bounds.send);
        }
        // FreeBSD rounds the receive buffer up to a multiple of the MSS.
        assertTrue(c.readableBytes() <= Math.max(bounds.receive, c.receiveBufferSize()),
                () -> "readable " + c.readableBytes() + " > " + bounds.receive);
        assertTrue(c.receiver.window() <= (65535L << 14), () -> "window " + c.receiver.window());
        // Memory charged by true size: in-order and held bytes within about twice the buffer (small segments are
        // compacted), plus a compact chunk and the rounding of up to 256 held copies.
        long receiveBound = Math.max(bounds.receive, c.receiveBufferSize());
        assertTrue(c.receiver.chargedBytes() <= 4 * receiveBound + 2 * 4096 + 256 * 64,
                () -> "receive memory charged " + c.receiver.chargedBytes() + " B for a " + receiveBound + " B buffer");
        expiries.check();
    }

    /** Closes everything, lets every timer run out, and checks that nothing is left. */
    private static void windDown(ConnectionHarness h, TcpConnection c) {
        if (h.listener() != null) {
            h.listener().close(h.now()); // resets the children not yet accepted
        }
        for (TcpConnection other : new ArrayList<>(connections(h))) {
            other.abort(h.now());
        }
        c.abort(h.now());
        h.drain();
        h.advance(600 * SECOND);
        h.drain();
        assertEquals(0, h.stack.connectionCount(), "connections left after abort and 10 minutes");
        assertEquals(0, h.stack.timeWaitCount(), "TIME-WAIT entries left after 10 minutes");
        c.close(h.now()); // releases what an aborted connection still held for its reader
        for (TcpConnection other : new ArrayList<>(connections(h))) {
            other.close(h.now());
        }
        assertEquals(0, h.stack.receiveMemoryBytes(), "receive memory still charged after everything closed");
    }

    private static List<TcpConnection> connections(ConnectionHarness h) {
        List<TcpConnection> out = new ArrayList<>();
        for (ConnectionSnapshot s : h.stack.snapshot(h.now())) {
            if (s.state() != TcpState.TIME_WAIT) {
                TcpConnection c = h.stack.connectionFor(s.id());
                if (c != null) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------
    // The committed seeds
    // ------------------------------------------------------------------------------------

    @Test
    void seeds_areCommittedWhereJazzerLooks() throws IOException, URISyntaxException {
        URL dir = StateMachineFuzzTest.class.getResource("StateMachineFuzzTestInputs/stateMachine");
        if (dir == null) {
            fail("no seed directory StateMachineFuzzTestInputs/stateMachine beside the class");
        }
        try (Stream<Path> seeds = Files.list(Path.of(dir.toURI()))) {
            long count = seeds.filter(Files::isRegularFile).count();
            assertTrue(count >= 20, "seeds: " + count + " (expected at least 20)");
        }
    }
}
