package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.testkit.TwoStacks.Offload;
import io.usertcp.testkit.VirtualClock;
import org.junit.jupiter.api.Test;

/**
 * Sequence numbers compare within 2^31 (RFC 1982, RFC 9293 §3.4): a rule that compares SND.NXT with
 * a point fixed at the handshake turns over once 2^31 bytes have been sent. A transfer of more than
 * that, on a loss-free path, must see no retransmission and deliver every byte. (The Fast Open
 * resend once counted every segment past 2 GiB as a retransmission.)
 */
class SequenceSpaceWrapTest {
    private static final long TOTAL = (1L << 31) + (64L << 20);

    @Test
    void moreThanTwoGibibytes_noRetransmission_everyByteArrives() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux(), 1, c -> c, false)) {
            net.offloadFromA(Offload.WHOLE); // 64 KB super-segments: few packets for 2 GiB
            TcpListener listener = net.b.listen(net.now(), 80, 4);
            TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 80);
            net.settle();
            TcpConnection server = listener.accept();
            ByteBuf chunk = Unpooled.wrappedBuffer(new byte[1 << 20]);
            ByteBuf dst = PooledByteBufAllocator.DEFAULT.buffer(8 << 20);
            long sent = 0;
            long received = 0;
            try {
                for (int round = 0; received < TOTAL && round < 100_000; round++) {
                    while (sent < TOTAL) {
                        int n = client.send(net.now(), chunk.duplicate().writerIndex((int) Math.min(chunk.capacity(), TOTAL - sent)));
                        if (n == 0) {
                            break;
                        }
                        sent += n;
                    }
                    net.advance(VirtualClock.millis(1));
                    dst.clear();
                    received += server.read(net.now(), dst);
                }
            } finally {
                chunk.release();
                dst.release();
            }
            assertEquals(TOTAL, received);
            assertEquals(0, net.a.stats().get(Counter.TcpRetransSegs), "a loss-free path: nothing to retransmit");
            assertTrue(net.superSegmentsFromA() > 0);
        }
    }
}
