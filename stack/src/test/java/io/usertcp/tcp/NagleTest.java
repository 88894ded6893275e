package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.wire.TcpFlags.ACK;
import static io.usertcp.wire.TcpFlags.PSH;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Nagle's algorithm with Minshall's refinement, TCP_NODELAY and PSH (RFC 9293 §3.7.4 and §3.9.1.2,
 * RFC 1122 §4.2.3.4, Linux tcp_nagle_check / tcp_minshall_check), beyond what
 * {@link NagleAndBufferSizeTest} covers. SND.MSS is 536 (the scripted peer offers no MSS option).
 */
class NagleTest {
    private static final int MSS = 536;

    private static void write(ConnectionHarness h, TcpConnection c, String text) {
        ByteBuf b = Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
        try {
            assertEquals(text.length(), c.send(h.now(), b));
        } finally {
            b.release();
        }
    }

    private static Sent expectData(ConnectionHarness h, int flags, int offset, String text) {
        Sent s = h.expectSent().assertFlags(flags).assertSeqAck(LOCAL_ISS + 1 + offset, REMOTE_ISS + 1);
        assertEquals(text, s.text());
        return s;
    }

    private static void ack(ConnectionHarness h, int offset) {
        h.receive(h.segment().seq(REMOTE_ISS + 1).ack(LOCAL_ISS + 1 + offset));
    }

    // Linux tcp_minshall_check (Minshall's refinement of RFC 1122 §4.2.3.4): only an unacknowledged SMALL segment holds
    // back the next small one. With just a full-sized segment outstanding, a small write goes at once; a second small
    // write then waits for the ACK of the first small one — the ACK of the full segment alone does not release it.
    @Test
    void minshall_smallWriteWhileOnlyAFullSegmentIsUnacked_goesAtOnce_theNextSmallOneWaits() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            String full = "f".repeat(MSS);
            write(h, c, full);
            expectData(h, PSH | ACK, 0, full);
            write(h, c, "small");
            expectData(h, PSH | ACK, MSS, "small");
            write(h, c, "next");
            h.expectNothingSent();
            ack(h, MSS); // the full segment only: "small" is still out
            h.expectNothingSent();
            ack(h, MSS + 5);
            expectData(h, PSH | ACK, MSS + 5, "next");
        }
    }

    // RFC 9293 §3.7.4: the sender "buffers all user data (regardless of the PSH bit) until the outstanding data has been
    // acknowledged or until the TCP endpoint can send a full-sized segment": three small writes held behind an
    // unacknowledged one leave as ONE segment when the ACK comes, with PSH.
    @Test
    void nagle_smallWritesHeldMeanwhile_leaveCoalescedInOneSegment() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            write(h, c, "ab");
            expectData(h, PSH | ACK, 0, "ab");
            write(h, c, "cd");
            write(h, c, "ef");
            write(h, c, "gh");
            h.expectNothingSent();
            ack(h, 2);
            expectData(h, PSH | ACK, 2, "cdefgh");
            h.expectNothingSent();
        }
    }

    // RFC 9293 §3.7.4: "... or until the TCP endpoint can send a full-sized segment": held data that reaches a full
    // segment goes at once, and only the small remainder keeps waiting for the ACK of the small segment.
    @Test
    void nagle_heldDataReachingAFullSegment_goesAtOnce_remainderWaits() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            write(h, c, "ab");
            expectData(h, PSH | ACK, 0, "ab");
            String bulk = "x".repeat(600);
            write(h, c, bulk);
            expectData(h, ACK, 2, bulk.substring(0, MSS));
            h.expectNothingSent();
            ack(h, 2); // the small segment is acknowledged; the full one is still out (Minshall)
            expectData(h, PSH | ACK, 2 + MSS, bulk.substring(MSS));
        }
    }

    // RFC 9293 §3.9.1.2 and Linux (tcp_push marks the last skb of a write): PSH goes on the last segment of a write,
    // not on the full segments before it.
    @Test
    void psh_onlyOnTheLastSegmentOfAWrite() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            String text = "p".repeat(3 * MSS + 100);
            write(h, c, text);
            expectData(h, ACK, 0, text.substring(0, MSS));
            expectData(h, ACK, MSS, text.substring(MSS, 2 * MSS));
            expectData(h, ACK, 2 * MSS, text.substring(2 * MSS, 3 * MSS));
            expectData(h, PSH | ACK, 3 * MSS, text.substring(3 * MSS));
            h.expectNothingSent();
            // A write of exactly one segment ends there: PSH on that full segment.
            ack(h, text.length());
            String one = "q".repeat(MSS);
            write(h, c, one);
            expectData(h, PSH | ACK, text.length(), one);
        }
    }

    // TCP_NODELAY (RFC 9293 §3.7.4 MUST-17: an application can turn Nagle off): every small write goes at once, each
    // with PSH, however many small segments are unacknowledged; turning it off again brings the rule back.
    @Test
    void noDelay_everySmallWriteAtOnceWithPsh_offAgainRestoresNagle() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            c.setNoDelay(h.now(), true);
            String[] writes = {"a", "bb", "ccc", "dddd"};
            int offset = 0;
            for (String w : writes) {
                write(h, c, w);
                expectData(h, PSH | ACK, offset, w);
                offset += w.length();
            }
            assertEquals(10, c.snapshot(h.now()).inFlightBytes());
            c.setNoDelay(h.now(), false);
            write(h, c, "e");
            h.expectNothingSent();
            ack(h, offset);
            expectData(h, PSH | ACK, offset, "e");
        }
    }
}
