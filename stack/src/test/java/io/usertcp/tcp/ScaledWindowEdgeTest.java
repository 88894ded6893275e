package io.usertcp.tcp;

import static io.usertcp.testkit.ConnectionHarness.LOCAL_ISS;
import static io.usertcp.testkit.ConnectionHarness.REMOTE_ISS;
import static io.usertcp.testkit.VirtualClock.millis;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.testkit.ConnectionHarness.Sent;
import io.usertcp.wire.SeqNum;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The right edge of a scaled receive window, where the profile truncates the window field (rfc:
 * RFC 7323 §2.3; freebsd: tcp_output()'s {@code recwin >> rcv_scale}). Found by
 * StateMachineFuzzTest (input crash-6aacff23): the edge promised was rounded up to a multiple of
 * 2^shift at every ACK, so a peer sending segments of 2^shift - 1 bytes to a reader that does not
 * read kept the window open forever, and the receive queue grew past the buffer without bound.
 */
class ScaledWindowEdgeTest {

    // RFC 7323 §2.4: the receiver honours any segment in the window of an ACK it sent and tracks the largest right
    // edge; it does not move that edge for rounding. The buffer fills, the window closes, and what is readable stays
    // within the receive buffer.
    // (rfc scales only a buffer beyond 64 KiB; freebsd always, for kern.ipc.maxsockbuf.)
    @ParameterizedTest
    @CsvSource({"rfc, 262144", "freebsd, 4096"})
    void segmentsOfTwoToTheShiftMinusOne_toAReaderThatDoesNotRead_closeTheWindow(String profile, int receiveBuffer) {
        TcpConfig config = TcpConfig.forProfile(TcpProfile.of(profile)).toBuilder().receiveBufferBytes(receiveBuffer).build();
        try (ConnectionHarness h = new ConnectionHarness(config)) {
            TcpConnection c = h.synSent();
            int shift = 6;
            // The peer's SYN,ACK with window scaling, as in the fuzz input: our own shift comes from our SYN.
            h.receive(h.segment().flags(io.usertcp.wire.TcpFlags.SYN | io.usertcp.wire.TcpFlags.ACK).seq(REMOTE_ISS)
                    .ack(LOCAL_ISS + 1).options(new io.usertcp.wire.TcpOption.Mss(1460),
                            new io.usertcp.wire.TcpOption.WindowScale(shift), new io.usertcp.wire.TcpOption.SackPermitted()));
            h.drain();
            int ourShift = c.snapshot(h.now()).receiveWindowShift();
            assertTrue(ourShift > 0, "the window is scaled: shift " + ourShift);
            int seq = REMOTE_ISS + 1;
            int furthestEdge = seq;
            int window = 1460;
            for (int i = 0; i < 1000; i++) {
                // Full segments while the window is wide, then 2^shift - 1 bytes: what rounding the edge up gave back.
                int segment = Math.max((1 << ourShift) - 1, Math.min(1460, window));
                h.receive(h.segment().seq(seq).ack(LOCAL_ISS + 1).payload(new byte[segment]));
                h.advance(millis(250)); // past any delayed ACK
                List<Sent> sent = h.drain();
                for (Sent s : sent) {
                    seq = s.ack(); // the peer goes on from what was acknowledged
                    window = s.window() << ourShift;
                    int edge = s.ack() + window;
                    if (SeqNum.gt(edge, furthestEdge)) {
                        furthestEdge = edge;
                    }
                }
                assertTrue(c.readableBytes() <= c.receiveBufferSize(),
                        "readable " + c.readableBytes() + " > receive buffer " + c.receiveBufferSize() + " after " + (i + 1) + " segments");
            }
            assertEquals(0, window, "the window closed");
            assertTrue(SeqNum.diff(furthestEdge, REMOTE_ISS + 1 + c.readableBytes()) < (1 << ourShift),
                    "no edge advertised beyond what the buffer took, but for the truncation: " + furthestEdge);
        }
    }
}
