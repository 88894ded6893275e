package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The TCP control bits (RFC 9293 §3.1; ECE and CWR from RFC 3168 §6.1) and their tcpdump
 * notation: letters in the order F S R P . U E W.
 */
class TcpFlagsTest {

    @Test
    void constants_areTheBitsOfHeaderByte13() {
        // RFC 9293 §3.1 lists the control bits from CWR (most significant) down to FIN.
        int[] fromLeastSignificant = {TcpFlags.FIN, TcpFlags.SYN, TcpFlags.RST, TcpFlags.PSH,
                TcpFlags.ACK, TcpFlags.URG, TcpFlags.ECE, TcpFlags.CWR};
        for (int bit = 0; bit < 8; bit++) {
            assertEquals(1 << bit, fromLeastSignificant[bit]);
        }
    }

    @Test
    void format_matchesTcpdumpForCommonSegments() {
        assertEquals("S", TcpFlags.format(TcpFlags.SYN));
        assertEquals("S.", TcpFlags.format(TcpFlags.SYN | TcpFlags.ACK));
        assertEquals(".", TcpFlags.format(TcpFlags.ACK));
        assertEquals("P.", TcpFlags.format(TcpFlags.PSH | TcpFlags.ACK));
        assertEquals("FP.", TcpFlags.format(TcpFlags.FIN | TcpFlags.PSH | TcpFlags.ACK));
        assertEquals("F.", TcpFlags.format(TcpFlags.FIN | TcpFlags.ACK));
        assertEquals("R", TcpFlags.format(TcpFlags.RST));
        assertEquals("R.", TcpFlags.format(TcpFlags.RST | TcpFlags.ACK));
        assertEquals("P.U", TcpFlags.format(TcpFlags.URG | TcpFlags.PSH | TcpFlags.ACK));
    }

    @Test
    void format_ecnFlags_followTcpdumpOrder() {
        // RFC 3168 §6.1.1: an ECN-setup SYN carries ECE and CWR; tcpdump prints [SEW], the SYN-ACK [S.E].
        assertEquals("SEW", TcpFlags.format(TcpFlags.CWR | TcpFlags.ECE | TcpFlags.SYN));
        assertEquals("S.E", TcpFlags.format(TcpFlags.ECE | TcpFlags.SYN | TcpFlags.ACK));
        assertEquals(".W", TcpFlags.format(TcpFlags.CWR | TcpFlags.ACK));
        assertEquals("FSRP.UEW", TcpFlags.format(0xFF));
    }

    @Test
    void format_noFlags_isNone() {
        assertEquals("none", TcpFlags.format(0));
        assertEquals("[none]", new TcpFlags(0).toString());
    }

    @Test
    void record_ofCombinesFlags_andAccessorsReadThem() {
        TcpFlags synAck = TcpFlags.of(TcpFlags.SYN, TcpFlags.ACK);
        assertEquals(0x12, synAck.bits());
        assertTrue(synAck.syn());
        assertTrue(synAck.ack());
        assertFalse(synAck.fin());
        assertFalse(synAck.rst());
        assertFalse(synAck.psh());
        assertFalse(synAck.urg());
        assertTrue(synAck.has(TcpFlags.SYN | TcpFlags.ACK));
        assertFalse(synAck.has(TcpFlags.SYN | TcpFlags.FIN));
        assertEquals("[S.]", synAck.toString());
        assertEquals(new TcpFlags(0), TcpFlags.of());
        TcpFlags all = TcpFlags.of(TcpFlags.FIN, TcpFlags.RST, TcpFlags.PSH, TcpFlags.URG);
        assertTrue(all.fin() && all.rst() && all.psh() && all.urg());
    }

    @Test
    void record_outOfRange_throwsNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TcpFlags(256));
        assertEquals("flags: 256 (expected: 0..255)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TcpFlags(-1));
    }
}
