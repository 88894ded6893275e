package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.testkit.ConnectionHarness;
import io.usertcp.wire.TcpFlags;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What the application can still read after the peer's RST. */
class RstKeepsReceivedDataTest {

    // Linux tcp_reset / tcp_recvmsg: data queued before the RST stays readable; the reset is reported after it
    @Test
    void established_rstAfterData_dataStaysReadable_thenEndWithReset() {
        try (ConnectionHarness h = new ConnectionHarness()) {
            TcpConnection c = h.established();
            h.receive(h.segment().seq(ConnectionHarness.REMOTE_ISS + 1).ack(ConnectionHarness.LOCAL_ISS + 1).payload("reply"));
            h.drain();
            h.receive(h.segment().flags(TcpFlags.RST).seq(ConnectionHarness.REMOTE_ISS + 6).ack(0));
            assertEquals(TcpState.CLOSED, c.state());
            assertEquals(CloseReason.RESET, c.closeReason());
            ByteBuf dst = Unpooled.buffer(16);
            try {
                assertEquals(5, c.read(h.now(), dst));
                assertEquals("reply", dst.toString(StandardCharsets.US_ASCII));
                assertEquals(-1, c.read(h.now(), dst), "then end of stream; the socket layer reports the reset");
            } finally {
                dst.release();
            }
            c.close(h.now()); // the application's close frees the buffers
            h.expectNothingSent();
        }
    }
}
