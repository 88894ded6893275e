package io.usertcp.tools.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.wire.Ipv4PacketView;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capture stream between a stack and {@code usertcp capture}, without a stack: the test thread
 * plays the stack thread (the only producer), a UNIX socket pair plays the control connection. The
 * stack's half never waits: a reader that does not read costs drops, counted and reported; a reader
 * that goes away ends the stream.
 */
@Timeout(30)
class CaptureStreamTest {
    private static final long OFFSET = 1_700_000_000_000_000_000L;

    @TempDir
    Path dir;

    private ServerSocketChannel listener;
    private SocketChannel serverSide;
    private CaptureClient reader;
    /** One buffer for every segment offered: the stream borrows the view for the call and copies. */
    private final ByteBuf buffer = Unpooled.buffer(44);
    private final Ipv4PacketView view = new Ipv4PacketView();

    /** What a reader received. */
    private static final class Received implements CaptureFrames.Receiver {
        final List<byte[]> packets = new ArrayList<>();
        final List<Long> times = new ArrayList<>();
        final List<Boolean> outbound = new ArrayList<>();
        long dropped = -1;
        boolean ended;

        @Override
        public void packet(long epochNanos, boolean out, byte[] ipv4) {
            packets.add(ipv4);
            times.add(epochNanos);
            outbound.add(out);
        }

        @Override
        public void dropped(long total) {
            assertTrue(total >= dropped, "the drop count only grows: " + dropped + " then " + total);
            dropped = total;
        }

        @Override
        public void ended(long total) {
            dropped = total;
            ended = true;
        }
    }

    @BeforeEach
    void connect() throws Exception {
        Path path = dir.resolve("c.sock");
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(path));
        // The server's side of the protocol up to the frames: read the request, answer OK.
        CompletableFuture<SocketChannel> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                SocketChannel c = listener.accept();
                ByteBuffer request = ByteBuffer.allocate(ControlProtocol.MAX_REQUEST_BYTES);
                while (request.position() == 0 || request.get(request.position() - 1) != '\n') {
                    c.read(request);
                }
                assertEquals("capture\n", new String(request.array(), 0, request.position(), StandardCharsets.UTF_8));
                c.write(ByteBuffer.wrap("OK\n".getBytes(StandardCharsets.UTF_8)));
                return c;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        reader = CaptureClient.open(path);
        serverSide = accepted.get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void close() throws Exception {
        reader.close();
        serverSide.close();
        listener.close();
        buffer.release();
    }

    /** A 40-byte IPv4+TCP datagram numbered {@code n} (in its IP id), with 4 bytes of link padding after it. */
    private Ipv4PacketView packet(int n) {
        buffer.clear().writeZero(44);
        view.wrap(buffer, 0, 44);
        view.setVersionAndHeaderLength(20);
        view.setTotalLength(40);
        view.setIdentification(n & 0xFFFF);
        buffer.setByte(9, Ipv4PacketView.PROTOCOL_TCP);
        return view;
    }

    private static int numberOf(byte[] ipv4) {
        return (ipv4[4] & 0xFF) << 8 | (ipv4[5] & 0xFF);
    }

    private CompletableFuture<Void> writer(CaptureStream stream) {
        return CompletableFuture.runAsync(() -> {
            try {
                stream.run(serverSide);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void segments_arriveInOrder_withDirectionAndStackClockMappedToEpoch() throws Exception {
        CaptureStream stream = new CaptureStream(OFFSET);
        CompletableFuture<Void> writer = writer(stream);
        stream.segmentIn(1_000, packet(1));
        stream.segmentOut(2_000, packet(2));
        stream.segmentIn(3_000, packet(3));
        stream.end();
        Received got = readToEnd();
        writer.get(10, TimeUnit.SECONDS);

        assertEquals(List.of(1, 2, 3), got.packets.stream().map(CaptureStreamTest::numberOf).toList());
        assertEquals(List.of(OFFSET + 1_000, OFFSET + 2_000, OFFSET + 3_000), got.times);
        assertEquals(List.of(false, true, false), got.outbound);
        got.packets.forEach(p -> assertEquals(40, p.length, "the datagram, without the link padding after it"));
        assertTrue(got.ended);
        assertEquals(0, got.dropped);
        assertTrue(stream.isStopped());
    }

    @Test
    void readerThatDoesNotRead_stackNeverWaits_dropsAreCountedAndReported() throws Exception {
        CaptureStream stream = new CaptureStream(OFFSET);
        CompletableFuture<Void> writer = writer(stream);
        // Far more than the queue, the writer's batch and the socket's buffer hold, and the reader
        // reads nothing meanwhile: the writer blocks on the socket, the queue fills, the rest is
        // dropped. Each call returns (the @Timeout says so), the stack never waits.
        int offered = 8 * CaptureStream.MAX_QUEUED_PACKETS;
        for (int i = 0; i < offered; i++) {
            stream.segmentOut(i, packet(i));
        }
        long dropped = stream.droppedCount();
        assertTrue(dropped > 0, "dropped " + dropped + " of " + offered);
        stream.end();

        Received got = readToEnd();
        writer.get(10, TimeUnit.SECONDS);
        assertEquals(dropped, got.dropped, "the reader is told how many it lost");
        assertEquals(offered, got.packets.size() + dropped, "each segment is either delivered or counted as dropped");
        // what was delivered is in the order offered: dropping never reorders
        for (int i = 1; i < got.packets.size(); i++) {
            assertTrue(numberOf(got.packets.get(i)) > numberOf(got.packets.get(i - 1)), "packet " + i);
        }
    }

    @Test
    void readerThatGoesAway_endsTheStream_laterSegmentsAreIgnored() throws Exception {
        CaptureStream stream = new CaptureStream(OFFSET);
        CompletableFuture<Void> writer = writer(stream);
        stream.segmentIn(1, packet(1));
        Received got = new Received();
        while (got.packets.isEmpty()) {
            assertTrue(reader.poll(1000, got), "the stream is open");
        }
        reader.close();
        // The writer notices at its next write at the latest: the idle heartbeat, a second later.
        java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                () -> writer.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof java.io.UncheckedIOException, e.toString());
        assertTrue(stream.isStopped());
        for (int i = 0; i < 100; i++) {
            stream.segmentOut(i, packet(i));
        }
        assertEquals(0, stream.droppedCount(), "a stopped stream neither queues nor counts");
        assertEquals(1, stream.writtenCount());
    }

    @Test
    void idleStream_sendsTheDropCountAsAHeartbeat() throws Exception {
        CaptureStream stream = new CaptureStream(OFFSET);
        CompletableFuture<Void> writer = writer(stream);
        Received got = new Received();
        while (got.dropped < 0) {
            assertTrue(reader.poll(2 * CaptureStream.IDLE_FRAME_MILLIS, got));
        }
        assertEquals(0, got.dropped);
        assertFalse(got.ended);
        stream.abort();
        assertThrows(java.util.concurrent.ExecutionException.class, () -> writer.get(10, TimeUnit.SECONDS),
                "abort frees the writer");
    }

    @Test
    void malformedFrame_isAnErrorNotAHang() {
        ByteBuffer bad = ByteBuffer.allocate(16).put((byte) 'X').flip();
        IOException e = assertThrows(IOException.class, () -> CaptureFrames.drain(bad, new Received()));
        assertEquals("capture stream: unknown frame type 0x58", e.getMessage());
        ByteBuffer tooLong = ByteBuffer.allocate(32).put(CaptureFrames.PACKET).put((byte) 0).putLong(0).putInt(70_000).flip();
        assertThrows(IOException.class, () -> CaptureFrames.drain(tooLong, new Received()));
        ByteBuffer partial = ByteBuffer.allocate(32).put(CaptureFrames.PACKET).put((byte) 1).putLong(5).putInt(40).flip();
        assertFalse(assertDoesNotThrowDrain(partial), "a partial frame waits for the rest");
        assertEquals(0, partial.position(), "and stays in the buffer");
    }

    private static boolean assertDoesNotThrowDrain(ByteBuffer in) {
        try {
            return CaptureFrames.drain(in, new Received());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private Received readToEnd() throws IOException {
        Received got = new Received();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (reader.poll(1000, got)) {
            assertTrue(System.nanoTime() < deadline, "no end frame within 20 s");
        }
        assertTrue(got.ended, "the stream ended with its end frame");
        return got;
    }

    @Test
    void packetFrames_roundTrip() throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(100);
        byte[] datagram = new byte[40];
        datagram[0] = 0x45;
        CaptureFrames.putPacket(buf, 42, true, datagram);
        CaptureFrames.putCount(buf, CaptureFrames.END, 7);
        buf.flip();
        Received got = new Received();
        assertTrue(CaptureFrames.drain(buf, got));
        assertArrayEquals(datagram, got.packets.get(0));
        assertEquals(List.of(42L), got.times);
        assertEquals(7, got.dropped);
    }
}
