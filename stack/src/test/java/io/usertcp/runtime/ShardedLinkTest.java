package io.usertcp.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.RandomSource;
import io.usertcp.core.Shard;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpStack;
import io.usertcp.testkit.TestPackets;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOptions;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The one place that decides a flow's shard ({@link Shard}), and the links that send each
 * datagram to it ({@link ShardedLink}): every datagram of a flow, whichever queue it came in on,
 * reaches the shard that owns the flow; an ICMP error reaches the shard of the flow it quotes;
 * what names no flow stays where it came; an active open takes only ports its shard owns.
 */
class ShardedLinkTest {
    private static final Ipv4Address US = TestPackets.SERVER;
    private static final Ipv4Address PEER = TestPackets.CLIENT;
    private final ConcurrentLinkPair queue0 = new ConcurrentLinkPair(1500);
    private final ConcurrentLinkPair queue1 = new ConcurrentLinkPair(1500);
    private final List<ShardedLink> shards = ShardedLink.group(List.of(queue0.a(), queue1.a()));

    @AfterEach
    void release() {
        shards.forEach(ShardedLink::clear);
        queue0.clear();
        queue1.clear();
    }

    @Test
    void shardOf_isDeterministic_andSpreadsFlowsEvenly() {
        Random random = new Random(5);
        int[] counts = new int[2];
        for (int i = 0; i < 10_000; i++) {
            int lp = 1024 + random.nextInt(60_000);
            int rp = 1024 + random.nextInt(60_000);
            int shard = Shard.of(US.bits(), lp, PEER.bits(), rp, 2);
            assertEquals(shard, Shard.of(US.bits(), lp, PEER.bits(), rp, 2));
            assertTrue(new Shard(shard, 2).owns(US.bits(), lp, PEER.bits(), rp));
            assertTrue(!new Shard(1 - shard, 2).owns(US.bits(), lp, PEER.bits(), rp));
            counts[shard]++;
        }
        assertTrue(counts[0] > 4_700 && counts[1] > 4_700, "flows per shard: " + counts[0] + ", " + counts[1]);
        assertThrows(IllegalArgumentException.class, () -> new Shard(2, 2));
    }

    @Test
    void everySegmentOfAFlow_reachesItsShard_whicheverQueueItCameIn() {
        for (int port = 40_000; port < 40_040; port++) {
            int owner = Shard.of(US.bits(), 80, PEER.bits(), port, 2);
            for (ConcurrentLinkPair in : List.of(queue0, queue1)) {
                in.b().transmit(Unpooled.wrappedBuffer(segment(port)));
                ByteBuf got = receiveOnEither();
                try {
                    assertEquals(owner, got.getUnsignedShort(20) == port ? owner : -1);
                    assertEquals(owner, lastReceiver);
                } finally {
                    got.release();
                }
            }
        }
        assertTrue(shards.get(0).handedIn() > 0 && shards.get(1).handedIn() > 0, "both shards were handed datagrams");
    }

    @Test
    void anIcmpError_reachesTheShardOfTheFlowItQuotes_andAnEchoRequestStaysWhereItCame() {
        int port = 40_001;
        int owner = Shard.of(US.bits(), 80, PEER.bits(), port, 2);
        byte[] ours = TestPackets.tcp(US, PEER, TcpHeader.of(80, port, 1, 1, TcpFlags.ACK, 100, TcpOptions.NONE), new byte[0]);
        byte[] unreachable = TestPackets.unreachable(PEER, US, 3, 0, ours, 28);
        ShardedLink notOwner = shards.get(1 - owner);
        (owner == 0 ? queue1 : queue0).b().transmit(Unpooled.wrappedBuffer(unreachable));
        assertNull(notOwner.receive(), "handed over, not kept");
        ByteBuf got = shards.get(owner).receive();
        assertEquals(unreachable.length, got.readableBytes());
        got.release();

        queue1.b().transmit(Unpooled.wrappedBuffer(TestPackets.echoRequest(1, 1, 8)));
        ByteBuf echo = shards.get(1).receive();
        assertEquals(1, echo.getUnsignedByte(9), "ICMP, kept by the shard it came to");
        echo.release();
        queue0.b().transmit(Unpooled.wrappedBuffer(new byte[] {0x45, 0, 0}));
        ByteBuf runt = shards.get(0).receive();
        assertEquals(3, runt.readableBytes(), "a runt stays, to be dropped with its reason there");
        runt.release();
    }

    @Test
    void aFullInbox_dropsAndCounts() {
        int port = 40_000;
        while (Shard.of(US.bits(), 80, PEER.bits(), port, 2) != 1) {
            port++;
        }
        for (int i = 0; i < ShardedLink.INBOX_LIMIT + 10; i++) {
            queue0.b().transmit(Unpooled.wrappedBuffer(segment(port)));
            assertNull(shards.get(0).receive());
        }
        assertEquals(10, shards.get(1).inboxDrops());
        assertEquals(ShardedLink.INBOX_LIMIT, shards.get(1).handedIn());
    }

    @Test
    void anActiveOpen_takesOnlyPortsItsShardOwns_andRefusesAnotherShardsPort() {
        for (int index = 0; index < 2; index++) {
            Shard shard = new Shard(index, 2);
            TcpStack stack = new TcpStack(StackConfig.of(US, RandomSource.seeded(index)).withShard(shard));
            try {
                for (int i = 0; i < 50; i++) {
                    TcpConnection c = stack.connect(0, PEER.bits(), 80);
                    assertTrue(shard.owns(US.bits(), c.id().localPort(), PEER.bits(), 80), c.id().toString());
                }
                int foreign = 50_000;
                while (shard.owns(US.bits(), foreign, PEER.bits(), 80)) {
                    foreign++;
                }
                int port = foreign;
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> stack.connect(0, port, PEER.bits(), 80));
                assertTrue(e.getMessage().contains("connect on that shard"), e.getMessage());
            } finally {
                stack.close(0);
            }
        }
    }

    private int lastReceiver = -1;

    /** Asks each shard in turn, twice: a datagram the first shard read for the second is in the second's inbox then. */
    private ByteBuf receiveOnEither() {
        for (int turn = 0; turn < 4; turn++) {
            ByteBuf p = shards.get(turn % 2).receive();
            if (p != null) {
                lastReceiver = turn % 2;
                return p;
            }
        }
        throw new AssertionError("no shard received the datagram");
    }

    /** A data segment from the peer's {@code port} to our port 80. */
    private static byte[] segment(int port) {
        return TestPackets.tcp(PEER, US, TcpHeader.of(port, 80, 1000, 1, TcpFlags.ACK, 100, TcpOptions.NONE), new byte[] {1});
    }
}
