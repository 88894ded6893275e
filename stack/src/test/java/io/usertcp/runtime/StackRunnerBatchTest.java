package io.usertcp.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tcp.ConnectionObserver;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The runner reads datagrams in batches, but answers each segment before it processes the next,
 * as Linux does (tcp_rcv_established() sends the ACK a segment calls for before the next one is
 * processed) and as the simulator does: nine out-of-order segments read in one batch get nine
 * duplicate ACKs, each with the SACK block that grew (RFC 5681 §4.2, RFC 2018 §4). Sending once
 * per batch answered them with one, which starved a kernel sender's ACK clock and SACK
 * scoreboard (the loss bench: 25,015 retransmissions for 802 drops). Real threads over the
 * in-memory wire; every wait is bounded, none is a sleep.
 */
class StackRunnerBatchTest extends TwoRunners {
    /** The payload of a full segment: MSS 1460 (MTU 1500) less 12 bytes of timestamp option. */
    private static final int SEGMENT = 1448;
    private static final int SEGMENTS = 10; // the initial window: all go out before any ACK


    /** The client's side: drops its first data segment once armed, and counts the data segments it lets through. */
    static final class DroppingLink extends ForwardingLink {
        volatile boolean armed;
        final CountDownLatch passed = new CountDownLatch(SEGMENTS - 1);

        DroppingLink(WaitableLink inner) {
            super(inner);
        }

        @Override
        public void transmit(ByteBuf packet) {
            if (armed && Segment.of(packet).payload() > 0) {
                armed = false;
                packet.release(); // the hole
                return;
            }
            boolean data = Segment.of(packet).payload() > 0;
            inner.transmit(packet);
            if (data) {
                passed.countDown();
            }
        }
    }

    /** The server's side: reads nothing while closed, so that what arrives meanwhile is read in one batch; records what the server sends. */
    static final class GatedLink extends ForwardingLink {
        private final Semaphore opened = new Semaphore(0);
        private volatile boolean closed;
        final List<Segment> sent = java.util.Collections.synchronizedList(new ArrayList<>());

        GatedLink(WaitableLink inner) {
            super(inner);
        }

        void close() {
            closed = true;
        }

        void open() {
            closed = false;
            opened.release();
            inner.wakeup();
        }

        @Override
        public ByteBuf receive() {
            return closed ? null : inner.receive();
        }

        @Override
        public boolean awaitReadable(long timeoutNanos) {
            if (closed) {
                try {
                    opened.tryAcquire(timeoutNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return !closed;
            }
            return inner.awaitReadable(timeoutNanos);
        }

        @Override
        public void wakeup() {
            opened.release();
            inner.wakeup();
        }

        @Override
        public void transmit(ByteBuf packet) {
            sent.add(Segment.of(packet));
            inner.transmit(packet);
        }
    }

    /** What the test reads of a datagram: its payload length, its ACK field and its SACK blocks' highest right edge (0: none). */
    record Segment(int payload, int ack, int sackRight) {
        static Segment of(ByteBuf p) {
            int at = p.readerIndex();
            int tcp = RawDatagram.tcpHeader(p, at, p.readableBytes());
            int tcpLength = ((p.getUnsignedByte(tcp + 12) >> 4) & 0xF) * 4;
            int payload = p.getUnsignedShort(at + 2) - (tcp - at) - tcpLength;
            int sackRight = 0;
            for (int o = tcp + 20; o < tcp + tcpLength; ) {
                int kind = p.getUnsignedByte(o);
                if (kind == 0) {
                    break;
                }
                if (kind == 1) {
                    o++;
                    continue;
                }
                int length = p.getUnsignedByte(o + 1);
                if (kind == 5) {
                    for (int b = o + 2; b + 8 <= o + length; b += 8) {
                        int right = p.getInt(b + 4);
                        if (sackRight == 0 || right - sackRight > 0) {
                            sackRight = right;
                        }
                    }
                }
                o += Math.max(2, length);
            }
            return new Segment(payload, p.getInt(tcp + 8), sackRight);
        }
    }

    @Test
    void outOfOrderSegmentsReadInOneBatch_eachGetTheirOwnDuplicateAck_rfc5681_4_2_rfc2018_4() throws Exception {
        DroppingLink clientLink = new DroppingLink(wire.a());
        GatedLink serverLink = new GatedLink(wire.b());
        client = StackRunnerFaultTest.runner(StackRunnerFaultTest.CLIENT, clientLink, 1, ConnectionObserver.NONE);
        server = StackRunnerFaultTest.runner(StackRunnerFaultTest.SERVER, serverLink, 2, ConnectionObserver.NONE);
        byte[] data = new byte[SEGMENTS * SEGMENT];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        try (TcpServerSocket listener = new TcpServerSocket(server, 7, 8);
                TcpSocket socket = TcpSocket.connect(client, StackRunnerFaultTest.SERVER, 7, 2000);
                TcpSocket peer = CompletableFuture.supplyAsync(() -> StackRunnerFaultTest.acceptOrFail(listener))
                        .get(5, TimeUnit.SECONDS)) {
            serverLink.close();
            clientLink.armed = true;
            socket.getOutputStream().write(data);
            assertTrue(clientLink.passed.await(5, TimeUnit.SECONDS), "the nine segments after the hole are on the wire");
            int sentBefore = serverLink.sent.size();
            serverLink.open();

            byte[] got = new byte[data.length];
            InputStream in = peer.getInputStream();
            for (int n = 0; n < got.length; ) {
                int r = in.read(got, n, got.length - n);
                assertTrue(r > 0, "read " + r + " after " + n + " bytes");
                n += r;
            }
            assertArrayEquals(data, got, "the stream, the hole filled by the fast retransmission");

            List<Segment> all = new ArrayList<>(serverLink.sent);
            assertTrue(all.size() >= sentBefore + SEGMENTS - 1,
                    "an ACK for each of the " + (SEGMENTS - 1) + " out-of-order segments: " + all.subList(sentBefore, all.size()));
            List<Segment> answers = all.subList(sentBefore, sentBefore + SEGMENTS - 1);
            int hole = answers.get(0).ack();
            for (int i = 0; i < answers.size(); i++) {
                Segment a = answers.get(i);
                assertEquals(0, a.payload(), "a pure ACK: " + answers);
                assertEquals(hole, a.ack(), "each acknowledges up to the hole: " + answers);
                assertEquals(hole + (i + 2) * SEGMENT, a.sackRight(), "and SACKs the segments so far, one more each time: " + answers);
            }
            long fastRetransmits = client.call(now -> client.stack().stats().get(Counter.TcpExtTCPFastRetrans));
            assertEquals(1, fastRetransmits, "the sender repaired the hole by fast retransmission, not by a timeout");
        }
    }
}
