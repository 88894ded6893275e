package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.PSH;
import static io.usertcp.wire.TcpFlags.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.TcpOption;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * D-SACK (RFC 2883): an ACK answering duplicate data reports it in its first SACK block, once,
 * as Linux tcp_dsack_set() does (sysctl tcp_dsack, on by default). It is how the sender learns
 * that a retransmission was spurious (RFC 2883 §5; Linux tcp_check_dsack()).
 */
class DsackTest {
    private static final byte[] HUNDRED = new byte[100];

    /** ESTABLISHED with SACK permitted both ways (no timestamps: four SACK blocks fit). */
    private static TcpConnection establishedWithSack(ConnectionHarness h, boolean sack) {
        TcpConnection c = h.synSent();
        h.receive(h.segment().flags(SYN | ACK).seq(REMOTE_ISS).ack(LOCAL_ISS + 1)
                .options(sack ? new TcpOption[] {new TcpOption.Mss(1460), new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.SackPermitted()}
                        : new TcpOption[] {new TcpOption.Mss(1460)}));
        h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
        c.setQuickAck(h.now(), true);
        return c;
    }

    private static void data(ConnectionHarness h, int offset, int length) {
        h.receive(h.segment().flags(PSH | ACK).seq(REMOTE_ISS + 1 + offset).ack(LOCAL_ISS + 1).payload(new byte[length]));
    }

    private static List<TcpOption.SackBlock> sackBlocks(Sent s) {
        return s.tcp().options().sack().map(TcpOption.Sack::blocks).orElse(List.of());
    }

    private static TcpOption.SackBlock block(int from, int to) {
        return new TcpOption.SackBlock(REMOTE_ISS + 1 + from, REMOTE_ISS + 1 + to);
    }

    @Test
    void wholeDuplicate_belowRcvNxt_reportedOnceAsDsack() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            establishedWithSack(h, true);
            data(h, 0, 100);
            assertEquals(List.of(), sackBlocks(h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 101)));
            data(h, 0, 100); // the peer's spurious retransmission
            Sent dup = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 101);
            assertEquals(List.of(block(0, 100)), sackBlocks(dup), dup.line());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPDSACKOldSent));
            data(h, 100, 100);
            Sent next = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 201);
            assertEquals(List.of(), sackBlocks(next), "reported once: " + next.line());
        }
    }

    @Test
    void partialDuplicate_theOldPartReported_theNewPartTaken() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            TcpConnection c = establishedWithSack(h, true);
            data(h, 0, 100);
            h.expectSent();
            data(h, 50, 100); // [50, 100) again, [100, 150) new
            Sent ack = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 151);
            assertEquals(List.of(block(50, 100)), sackBlocks(ack), ack.line());
            assertEquals(150, c.readableBytes());
        }
    }

    @Test
    void outOfOrderDuplicate_dsackFirst_thenTheBlockHoldingIt() {
        // RFC 2883 §4 (example 4.2.2-style): a duplicate of data held above a hole: the first block is the duplicate,
        // the second the (possibly larger) held block that contains it.
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            establishedWithSack(h, true);
            data(h, 100, 100); // hole at [0, 100)
            assertEquals(List.of(block(100, 200)), sackBlocks(h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1)));
            data(h, 200, 100);
            assertEquals(List.of(block(100, 300)), sackBlocks(h.expectSent()));
            data(h, 100, 100); // held already
            Sent dup = h.expectSent().assertFlags(ACK).assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 1);
            assertEquals(List.of(block(100, 200), block(100, 300)), sackBlocks(dup), dup.line());
            assertEquals(1, h.stack.stats().get(Counter.TcpExtTCPDSACKOfoSent));
        }
    }

    @Test
    void withoutSack_noDsack() {
        try (ConnectionHarness h = new ConnectionHarness(TcpConfig.linux())) {
            establishedWithSack(h, false);
            data(h, 0, 100);
            h.expectSent();
            data(h, 0, 100);
            Sent dup = h.expectSent().assertSeqAck(LOCAL_ISS + 1, REMOTE_ISS + 101);
            assertEquals(List.of(), sackBlocks(dup));
            assertEquals(0, h.stack.stats().get(Counter.TcpExtTCPDSACKOldSent));
        }
    }
}
