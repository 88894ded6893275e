package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.runtime.WaitableLink;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Our ingress loss: the share asked for, only of datagrams that carry data, seeded, and no leaks. */
class LossyLinkTest {

    /** Hands out queued datagrams; records what is sent. */
    private static final class QueueLink implements WaitableLink {
        final ArrayDeque<ByteBuf> incoming = new ArrayDeque<>();
        final List<ByteBuf> sent = new ArrayList<>();

        @Override
        public ByteBuf receive() {
            return incoming.poll();
        }

        @Override
        public void transmit(ByteBuf packet) {
            sent.add(packet);
        }

        @Override
        public int mtu() {
            return 1500;
        }

        @Override
        public boolean awaitReadable(long timeoutNanos) {
            return !incoming.isEmpty();
        }

        @Override
        public void wakeup() {
        }
    }

    private static List<ByteBuf> queue(QueueLink link, int count, int length) {
        List<ByteBuf> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ByteBuf b = Unpooled.buffer(length).writeZero(length);
            link.incoming.add(b);
            all.add(b);
        }
        return all;
    }

    private static int drain(LossyLink lossy) {
        int passed = 0;
        ByteBuf b;
        while ((b = lossy.receive()) != null) {
            passed++;
            b.release();
        }
        return passed;
    }

    @Test
    void onePercent_ofDataSegments_isDropped_andReleased() {
        QueueLink inner = new QueueLink();
        List<ByteBuf> all = queue(inner, 20_000, 1500);
        LossyLink lossy = new LossyLink(inner, 10, 99);
        int passed = drain(lossy);
        assertEquals(20_000, passed + lossy.dropped());
        // 1 % of 20 000 is 200; a binomial's standard deviation here is about 14
        assertTrue(lossy.dropped() > 140 && lossy.dropped() < 260, "dropped " + lossy.dropped());
        for (ByteBuf b : all) {
            assertEquals(0, b.refCnt(), "every datagram is released, dropped or passed");
        }
    }

    @Test
    void aTenthOfAPercent_isATenthOfAPercent() {
        QueueLink inner = new QueueLink();
        queue(inner, 100_000, LossyLink.DATA_THRESHOLD_BYTES + 1); // the smallest datagram with data
        LossyLink lossy = new LossyLink(inner, 1, 7);
        assertEquals(100_000, drain(lossy) + lossy.dropped());
        // 0.1 % of 100 000 is 100; the binomial's standard deviation is about 10
        assertTrue(lossy.dropped() > 60 && lossy.dropped() < 140, "dropped " + lossy.dropped());
    }

    @Test
    void headerOnlyDatagrams_alwaysPass() {
        QueueLink inner = new QueueLink();
        queue(inner, 1000, LossyLink.DATA_THRESHOLD_BYTES);
        LossyLink lossy = new LossyLink(inner, 500, 1);
        assertEquals(1000, drain(lossy));
        assertEquals(0, lossy.dropped());
    }

    @Test
    void sameSeed_dropsTheSameDatagrams() {
        QueueLink a = new QueueLink();
        QueueLink b = new QueueLink();
        queue(a, 5000, 1500);
        queue(b, 5000, 1500);
        LossyLink la = new LossyLink(a, 30, 1234);
        LossyLink lb = new LossyLink(b, 30, 1234);
        assertEquals(drain(la), drain(lb));
        assertEquals(la.dropped(), lb.dropped());
    }

    @Test
    void transmit_passesThrough_andBadShareIsRefused() {
        QueueLink inner = new QueueLink();
        LossyLink lossy = new LossyLink(inner, 1000, 1);
        ByteBuf out = Unpooled.buffer(1500).writeZero(1500);
        lossy.transmit(out);
        assertEquals(List.of(out), inner.sent);
        out.release();
        assertNull(lossy.receive());
        assertThrows(IllegalArgumentException.class, () -> new LossyLink(inner, 1001, 1));
        assertThrows(IllegalArgumentException.class, () -> new LossyLink(inner, -1, 1));
    }
}
