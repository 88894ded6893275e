package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The TCP MD5 signature (RFC 2385 §2.0) against a known answer computed outside this code: the
 * bytes RFC 2385 §2.0 lists for the segment below (pseudo-header c6120001 c6120002 0006 002d, the
 * 20-byte header with checksum 0, "hello", the key "secret") were assembled with printf in a shell
 * and hashed by {@code openssl dgst -md5}, giving {@link #DIGEST}; and tcpdump 4.99 reading the
 * packet below from a pcap file with {@code -M secret} prints {@code md5 valid} ({@code -M wrong}:
 * {@code md5 (invalid)}).
 */
class TcpMd5DigestTest {
    /** 198.18.0.1:40000 > 198.18.0.2:179, P., seq 0x01020304, ack 0x0a0b0c0d, win 64240, [nop,nop,md5], "hello". */
    private static final String PACKET = "45000041000140004006ae8ec6120001c6120002"
            + "9c4000b3010203040a0b0c0da018faf00b73000001011312" + "1f622816200cc80c243c3114cba96da5" + "68656c6c6f";
    private static final String DIGEST = "1f622816200cc80c243c3114cba96da5";
    private static final byte[] KEY = "secret".getBytes(StandardCharsets.US_ASCII);
    private static final int SOURCE = Ipv4Address.parse("198.18.0.1");
    private static final int DESTINATION = Ipv4Address.parse("198.18.0.2");

    @Test
    void knownAnswer_verifiesUnderItsKey_andNotUnderAnother() {
        ByteBuf packet = Unpooled.wrappedBuffer(HexFormat.of().parseHex(PACKET));
        try {
            TcpMd5Digest md5 = new TcpMd5Digest();
            assertTrue(md5.verify(packet, 20, 45, SOURCE, DESTINATION, KEY, 44));
            assertFalse(md5.verify(packet, 20, 45, SOURCE, DESTINATION, "secreT".getBytes(StandardCharsets.US_ASCII), 44));
            assertFalse(md5.verify(packet, 20, 45, DESTINATION, SOURCE, KEY, 44), "the pseudo-header is covered");
        } finally {
            packet.release();
        }
    }

    @Test
    void sign_writesTheKnownAnswer_whateverTheDigestFieldAndChecksumHeld() {
        ByteBuf packet = Unpooled.directBuffer(65); // not array-backed: the data goes through the scratch array
        packet.writeBytes(HexFormat.of().parseHex(PACKET));
        try {
            packet.setZero(44, 16);
            packet.setShort(36, 0x1234); // RFC 2385 §2.0 step 2: the checksum is taken as zero
            new TcpMd5Digest().sign(packet, 20, 45, SOURCE, DESTINATION, KEY, 44);
            byte[] digest = new byte[16];
            packet.getBytes(44, digest);
            assertEquals(DIGEST, HexFormat.of().formatHex(digest));
        } finally {
            packet.release();
        }
    }

    @Test
    void optionsAreNotCovered_butHeaderAndDataAre() {
        ByteBuf packet = Unpooled.wrappedBuffer(HexFormat.of().parseHex(PACKET));
        try {
            TcpMd5Digest md5 = new TcpMd5Digest();
            packet.setByte(40, TcpOptionKind.EOL); // a NOP before the signature becomes EOL: options are not signed
            assertTrue(md5.verify(packet, 20, 45, SOURCE, DESTINATION, KEY, 44));
            packet.setByte(64, 'O'); // "hellO"
            assertFalse(md5.verify(packet, 20, 45, SOURCE, DESTINATION, KEY, 44));
            packet.setByte(64, 'o');
            packet.setShort(34, 0xFAF1); // the window
            assertFalse(md5.verify(packet, 20, 45, SOURCE, DESTINATION, KEY, 44));
        } finally {
            packet.release();
        }
    }

    @Test
    void theValueForm_parsesAndWritesTheOption() {
        ByteBuf packet = Unpooled.wrappedBuffer(HexFormat.of().parseHex(PACKET));
        try {
            TcpSegmentView tcp = new TcpSegmentView().wrap(packet, 20, 45);
            assertEquals(null, tcp.check());
            assertTrue(tcp.options().hasMd5Signature());
            assertEquals(44, tcp.options().md5DigestOffset());
            TcpOptions value = TcpOptions.parse(tcp);
            assertEquals("[nop,nop,md5 " + DIGEST + "]", value.format());
            assertArrayEquals(HexFormat.of().parseHex(DIGEST), value.md5Signature().orElseThrow().digest());
        } finally {
            packet.release();
        }
    }
}
