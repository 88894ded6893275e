package io.usertcp.bench;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.core.TupleMap;
import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpListener;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpOptions;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Connection lookup among many established connections, keys in a random order from a fixed seed:
 * <ul>
 *   <li>{@link #tupleMapGet}: the table alone, {@link TupleMap#get} (open addressing over primitive
 *       arrays, what {@code TcpStack} looks every inbound segment up in), hitting one of
 *       {@code entries} four-tuples;</li>
 *   <li>{@link #pureAckToOneOf}: a whole segment through {@code TcpStack.receive} to one of
 *       {@code connections} ESTABLISHED connections, each made by a real handshake. The segment is a
 *       pure ACK with nothing new in it (no options, SEG.SEQ = RCV.NXT, SEG.ACK = SND.UNA), so it
 *       is decoded, checksummed, looked up and run through RFC 9293 §3.10.7.4 (acceptable, ACK
 *       field, window update) and produces no output. With 1 connection the table and the TCB are
 *       always in cache; with 100 000 each segment touches a cold slot and a cold connection, as a
 *       server's segments from many clients do, so the difference is what the scale costs.</li>
 * </ul>
 * Four-tuples: the stack's 198.18.0.2:80 and a peer in 198.19.0.0/16 (inside 198.18.0.0/15) on a
 * port from 1024 up, drawn with {@link SplittableRandom} seed {@value #SEED}. The probe order is a
 * 65 536-entry sequence of random indices from the same seed, its keys laid out in arrays read
 * sequentially, so the benchmark's own reads stay in cache and only the lookup's do not. The
 * segment benchmark rewrites one datagram's source address and port per op (RFC 1624 checksum
 * updates, a few ns, inside the figure).
 *
 * <p>Teardown checks that every segment reached a connection: TcpInSegs grew by one per op, and
 * the stack sent nothing (a lookup miss would have reached the listener on port 80 and been
 * answered with a RST) and dropped nothing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ConnectionLookupBenchmark {
    static final long SEED = 20240808L;
    static final int STACK_PORT = 80;
    static final int PROBES = 1 << 16;
    private static final int PEER_NETWORK = Ipv4Address.of("198.19.0.0").bits();

    /** Distinct peer four-tuples and a probe order over them. */
    static final class Keys {
        final int[] addresses;
        final int[] ports;
        final int[] probeAddresses = new int[PROBES];
        final int[] probePorts = new int[PROBES];

        Keys(int count) {
            SplittableRandom random = new SplittableRandom(SEED);
            addresses = new int[count];
            ports = new int[count];
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < count; ) {
                int address = PEER_NETWORK | random.nextInt(1, 65535);
                int port = random.nextInt(1024, 65536);
                if (seen.add(((long) address << 16) | port)) {
                    addresses[i] = address;
                    ports[i] = port;
                    i++;
                }
            }
            for (int p = 0; p < PROBES; p++) {
                int i = random.nextInt(count);
                probeAddresses[p] = addresses[i];
                probePorts[p] = ports[i];
            }
        }
    }

    /** A {@link TupleMap} holding {@code entries} tuples. */
    @State(Scope.Thread)
    public static class Table {
        @Param({"100000"})
        public int entries;

        TupleMap<Object> map;
        Keys keys;
        int cursor;

        @Setup(Level.Trial)
        public void setUp() {
            keys = new Keys(entries);
            map = new TupleMap<>();
            int local = ScriptedPeer.STACK_ADDRESS.bits();
            for (int i = 0; i < entries; i++) {
                map.put(local, STACK_PORT, keys.addresses[i], keys.ports[i], Integer.valueOf(i));
            }
            ScriptedPeer.expect(map.size() == entries, "the table holds " + map.size() + " entries");
            for (int p = 0; p < PROBES; p++) {
                ScriptedPeer.expect(map.get(local, STACK_PORT, keys.probeAddresses[p], keys.probePorts[p]) != null,
                        "probe " + p + " misses");
            }
        }
    }

    /** A stack with {@code connections} accepted, ESTABLISHED connections on port 80. */
    @State(Scope.Thread)
    public static class Stack {
        @Param({"1", "100000"})
        public int connections;

        ScriptedPeer peer;
        Keys keys;
        PeerSegment ack;
        int cursor;
        long[] countersAfterSetup;
        long segments;

        @Setup(Level.Trial)
        public void setUp() {
            keys = new Keys(connections);
            peer = new ScriptedPeer(TcpConfig.linux(), 1500);
            TcpListener listener = peer.stack.listen(peer.now(), STACK_PORT, 128);
            for (int i = 0; i < connections; i++) {
                peer.accept(listener, keys.addresses[i], keys.ports[i], 1460, 7, false);
            }
            ScriptedPeer.expect(peer.stack.connectionCount() == connections,
                    peer.stack.connectionCount() + " connections (expected: " + connections + ")");
            ack = new PeerSegment(ScriptedPeer.segment(keys.addresses[0], keys.ports[0], STACK_PORT,
                    ScriptedPeer.PEER_ISS + 1, ScriptedPeer.STACK_ISS + 1, TcpFlags.ACK, 65535, TcpOptions.NONE, 0));
            peer.expectNoDrops();
            countersAfterSetup = peer.counters();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                ScriptedPeer.expect(peer.delta(countersAfterSetup, Counter.TcpInSegs) == segments,
                        "TcpInSegs grew by " + peer.delta(countersAfterSetup, Counter.TcpInSegs) + " (expected: " + segments + ")");
                int sent = peer.transmitAndDiscard();
                ScriptedPeer.expect(sent == 0 && peer.delta(countersAfterSetup, Counter.TcpOutSegs) == 0
                                && peer.delta(countersAfterSetup, Counter.TcpOutRsts) == 0,
                        "the stack answered " + peer.delta(countersAfterSetup, Counter.TcpOutSegs)
                                + " segments (expected: none; a RST means a lookup missed)");
                ScriptedPeer.expect(peer.stack.connectionCount() == connections, "connections were lost");
                ScriptedPeer.expect(peer.timeoutsFired() == 0, "a timer fired");
                peer.expectNoDrops();
            } finally {
                peer.close();
                ack.close();
            }
        }
    }

    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public Object tupleMapGet(Table t) {
        int p = t.cursor++ & (PROBES - 1);
        return t.map.get(ScriptedPeer.STACK_ADDRESS.bits(), STACK_PORT, t.keys.probeAddresses[p], t.keys.probePorts[p]);
    }

    @Benchmark
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    public long pureAckToOneOf(Stack s) {
        int p = s.cursor++ & (PROBES - 1);
        s.ack.setSource(s.keys.probeAddresses[p], s.keys.probePorts[p]);
        s.peer.advance(1_000);
        s.peer.deliver(s.ack.lend());
        return ++s.segments;
    }
}
