package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.testkit.TestPackets;
import io.usertcp.testkit.TwoStacks;
import io.usertcp.testkit.TwoStacks.Offload;
import io.usertcp.testkit.VirtualClock;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import io.usertcp.wire.TcpOptionKind;
import io.usertcp.wire.TcpOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * TCP MD5 signatures (RFC 2385) between two stacks on virtual time, as Linux 6.x behaves with
 * {@code setsockopt(TCP_MD5SIG)}: keyed connections sign every segment and accept only segments
 * signed with their key (tcp_inbound_hash()); what fails is dropped in silence and counted
 * (TcpExtTCPMD5NotFound, TcpExtTCPMD5Unexpected, TcpExtTCPMD5Failure). Every signature A sends is
 * checked by {@link #verifies}, an MD5 written here from RFC 2385 §2.0's list, not the stack's.
 */
class TcpMd5Test {
    private static final byte[] KEY = "BGP peers share this".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OTHER_KEY = "a different secret".getBytes(StandardCharsets.US_ASCII);

    /** Everything A sent B, copied (the trace prints only the option). */
    private static final class Recorder {
        final List<byte[]> aToB = new ArrayList<>();
    }

    private static TwoStacks net(Recorder recorder) {
        TwoStacks net = new TwoStacks(TcpConfig.linux());
        net.dropAtoB(p -> {
            byte[] copy = new byte[p.readableBytes()];
            p.getBytes(p.readerIndex(), copy);
            recorder.aToB.add(copy);
            return false;
        });
        return net;
    }

    /** A connects to B's port 179; each side's key is set as BGP speakers set them, before the SYN. */
    private static TcpConnection[] open(TwoStacks net, byte[] clientKey, byte[] serverKey) {
        TcpListener listener = net.b.listen(net.now(), 179, 16);
        if (serverKey != null) {
            listener.setMd5Key(TcpMd5Key.forPeer(TwoStacks.A, serverKey));
        }
        TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 179);
        if (clientKey != null) {
            client.setMd5Key(TcpMd5Key.forPeer(TwoStacks.B, clientKey));
        }
        net.settle();
        return new TcpConnection[] {client, listener.accept()};
    }

    @Test
    void sameKey_connectsAndTransfers_everySegmentSignedAndSmallerByTheSignature() throws Exception {
        Recorder sent = new Recorder();
        try (TwoStacks net = net(sent)) {
            TcpConnection[] pair = open(net, KEY, KEY);
            TcpConnection client = pair[0];
            TcpConnection server = pair[1];
            assertNotNull(server, net.lastTrace(10));
            assertEquals(TcpState.ESTABLISHED, client.state());
            assertEquals(KEY.length, server.md5Key().key().length, "the child inherited the listener's key for its peer");
            byte[] data = transfer(net, client, server, 300_000);
            assertEquals(300_000, data.length);
            assertTrue(sent.aToB.size() > 200, "segments: " + sent.aToB.size());
            int largest = 0;
            for (byte[] p : sent.aToB) {
                assertTrue(verifies(p, KEY), "an unsigned or badly signed segment: " + io.usertcp.wire.TcpdumpFormatter.format(
                        Unpooled.wrappedBuffer(p)));
                largest = Math.max(largest, p.length);
            }
            // Linux tcp_syn_options(): no timestamps beside MD5, so a segment is 20 + 20 + 20 (nop,nop,md5) + data.
            assertEquals(1500, largest, "full segments fill the MTU and no more");
            assertEquals(1440, client.mss(), "SND.MSS leaves room for the signature (tcp_current_mss)");
            assertEquals(0, net.b.stats().get(Counter.TcpExtTCPMD5Failure) + net.b.stats().get(Counter.TcpExtTCPMD5NotFound));
            assertTrue(net.trace().get(0).contains("md5 "), net.trace().get(0));
            assertFalse(net.trace().get(0).contains("TS val"), "Linux's signed SYN carries no timestamps: " + net.trace().get(0));
        }
    }

    @Test
    void tso_isOffForAKeyedConnection_eachSegmentSignedOnItsOwn() throws Exception {
        Recorder sent = new Recorder();
        try (TwoStacks net = net(sent)) {
            net.offloadFromA(Offload.SEGMENTED);
            TcpConnection[] pair = open(net, KEY, KEY);
            transfer(net, pair[0], pair[1], 200_000);
            assertEquals(0, net.superSegmentsFromA(), "Linux sk_gso_disable(): no super-segment from a keyed socket");
            for (byte[] p : sent.aToB) {
                assertTrue(verifies(p, KEY));
            }
        }
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) { // the same link without a key does use TSO
            net.offloadFromA(Offload.SEGMENTED);
            TcpConnection[] pair = open(net, null, null);
            transfer(net, pair[0], pair[1], 200_000);
            assertTrue(net.superSegmentsFromA() > 0);
        }
    }

    @Test
    void differentKeys_neverConnect_failureCountedAndNothingAnswered() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] pair = open(net, KEY, OTHER_KEY);
            assertNull(pair[1]);
            net.advance(VirtualClock.seconds(200)); // every SYN retransmission, then the connect times out
            assertEquals(TcpState.CLOSED, pair[0].state());
            assertEquals(CloseReason.CONNECT_TIMEOUT, pair[0].closeReason());
            long syns = net.a.stats().get(Counter.TcpExtTCPSynRetrans) + 1;
            assertEquals(syns, net.b.stats().get(Counter.TcpExtTCPMD5Failure), "every SYN failed its signature");
            assertEquals(syns, net.b.stats().drops(DropReason.TCP_MD5_FAILURE));
            assertEquals(0, net.b.stats().get(Counter.TcpOutSegs), "no SYN,ACK and no RST: silently discarded (RFC 2385 §2.0)");
        }
    }

    @Test
    void keyOnOneSideOnly_neverConnects_andTheCounterSaysWhich() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] pair = open(net, null, KEY); // the listener expects a signature that never comes
            assertNull(pair[1]);
            assertEquals(1, net.b.stats().get(Counter.TcpExtTCPMD5NotFound));
            assertEquals(0, net.b.stats().get(Counter.TcpOutSegs));
            assertEquals(TcpState.SYN_SENT, pair[0].state());
        }
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] pair = open(net, KEY, null); // a signature no key expects
            assertNull(pair[1]);
            assertEquals(1, net.b.stats().get(Counter.TcpExtTCPMD5Unexpected));
            assertEquals(0, net.b.stats().get(Counter.TcpOutSegs));
        }
    }

    @Test
    void listenerKeys_arePerPeer_longestPrefixWins_andUnkeyedPeersStillConnect() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpListener listener = net.b.listen(net.now(), 179, 16);
            listener.setMd5Key(new TcpMd5Key(Ipv4Address.parse("198.18.0.0"), 24, OTHER_KEY));
            listener.setMd5Key(TcpMd5Key.forPeer(TwoStacks.A, KEY)); // /32 beats /24 for A
            listener.setMd5Key(TcpMd5Key.forPeer(Ipv4Address.of("198.18.9.9"), OTHER_KEY));
            assertArrayEquals(KEY, listener.md5KeyFor(TwoStacks.A.bits()).key());
            assertArrayEquals(OTHER_KEY, listener.md5KeyFor(Ipv4Address.parse("198.18.0.77")).key());
            assertNull(listener.md5KeyFor(Ipv4Address.parse("198.19.0.1")));
            TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 179);
            client.setMd5Key(TcpMd5Key.forPeer(TwoStacks.B, KEY));
            net.settle();
            assertEquals(TcpState.ESTABLISHED, client.state(), net.lastTrace(5));
            // A peer no key covers signs nothing and is served: a plain SYN from 198.19.0.1 gets a plain SYN,ACK.
            receive(net, Ipv4Address.of("198.19.0.1"), TcpHeader.of(40000, 179, 1000, 0, TcpFlags.SYN, 65535,
                    TcpOptions.of(new TcpOption.Mss(1460))), new byte[0], null);
            assertEquals(2, net.b.connectionCount(), "a SYN-RECEIVED child for the unkeyed peer beside A's connection");
            assertEquals(0, net.b.stats().get(Counter.TcpExtTCPMD5NotFound) + net.b.stats().get(Counter.TcpExtTCPMD5Unexpected));
            // Removing the /32 key leaves A's address under the /24 one; a removal of what is not there says so.
            assertTrue(listener.setMd5Key(TcpMd5Key.forPeer(TwoStacks.A, new byte[0])));
            assertArrayEquals(OTHER_KEY, listener.md5KeyFor(TwoStacks.A.bits()).key());
            assertFalse(listener.setMd5Key(TcpMd5Key.forPeer(TwoStacks.A, new byte[0])));
        }
    }

    @Test
    void attack_spoofedUnsignedRstAndData_areDropped_andTheConnectionGoesOn() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection[] pair = open(net, KEY, KEY);
            TcpConnection client = pair[0];
            TcpConnection server = pair[1];
            int rcvNxt = server.receiver.nxt();
            int sndNxt = server.sender.nxt();
            long outBefore = net.b.stats().get(Counter.TcpOutSegs);
            // A blind attacker who guessed the sequence numbers exactly: a RST at RCV.NXT would close an unsigned connection.
            TcpHeader rst = TcpHeader.of(client.id.localPort(), 179, rcvNxt, 0, TcpFlags.RST, 0, TcpOptions.NONE);
            receive(net, TwoStacks.A, rst, new byte[0], null);
            TcpHeader data = TcpHeader.of(client.id.localPort(), 179, rcvNxt, sndNxt, TcpFlags.ACK | TcpFlags.PSH, 502,
                    TcpOptions.NONE);
            receive(net, TwoStacks.A, data, "UPDATE withdraw everything".getBytes(StandardCharsets.US_ASCII), null);
            // One who also forged a signature, with a guessed key; and a replayed signature on changed data.
            receive(net, TwoStacks.A, data, "UPDATE withdraw everything".getBytes(StandardCharsets.US_ASCII), OTHER_KEY);
            TcpHeader rstSyn = TcpHeader.of(client.id.localPort(), 179, rcvNxt, 0, TcpFlags.SYN, 0, TcpOptions.NONE);
            receive(net, TwoStacks.A, rstSyn, new byte[0], OTHER_KEY);
            assertEquals(2, net.b.stats().get(Counter.TcpExtTCPMD5NotFound));
            assertEquals(2, net.b.stats().get(Counter.TcpExtTCPMD5Failure));
            assertEquals(TcpState.ESTABLISHED, server.state());
            assertEquals(rcvNxt, server.receiver.nxt(), "no state changed: nothing was taken");
            assertEquals(0, server.readableBytes());
            assertEquals(outBefore, net.b.stats().get(Counter.TcpOutSegs), "no challenge ACK, no RST, no ACK: nothing answered");
            byte[] got = transfer(net, client, server, 5000);
            assertEquals(5000, got.length, "the real peer is still heard");
        }
    }

    @Test
    void abort_sendsASignedRst_whichThePeerAccepts() {
        Recorder sent = new Recorder();
        try (TwoStacks net = net(sent)) {
            TcpConnection[] pair = open(net, KEY, KEY);
            pair[0].abort(net.now());
            net.settle();
            byte[] rst = sent.aToB.get(sent.aToB.size() - 1);
            assertTrue((rst[33] & TcpFlags.RST) != 0);
            assertTrue(verifies(rst, KEY), "Linux tcp_send_active_reset() signs with the socket's key");
            assertEquals(TcpState.CLOSED, pair[1].state());
            assertEquals(CloseReason.RESET, pair[1].closeReason());
        }
    }

    @Test
    void timeWait_signsItsAcks() {
        Recorder sent = new Recorder();
        try (TwoStacks net = net(sent)) {
            TcpConnection[] pair = open(net, KEY, KEY);
            pair[0].close(net.now());
            pair[1].close(net.now());
            net.advance(VirtualClock.seconds(1));
            assertEquals(1, net.a.timeWaitCount());
            int before = sent.aToB.size();
            // B's FIN again (its ACK "lost"): the TIME-WAIT entry answers, signed (Linux tcp_v4_timewait_ack()).
            TcpHeader fin = TcpHeader.of(179, pair[0].id.localPort(), pair[1].sender.nxt() - 1, pair[1].receiver.nxt(),
                    TcpFlags.FIN | TcpFlags.ACK, 502, TcpOptions.NONE);
            ByteBuf packet = signed(TwoStacks.B, TwoStacks.A, fin, new byte[0], KEY);
            net.a.receive(net.now(), packet);
            net.settle();
            assertEquals(before + 1, sent.aToB.size(), net.lastTrace(3));
            assertTrue(verifies(sent.aToB.get(before), KEY));
        }
    }

    @Test
    void keyCoveringAnotherPeer_isRefused() {
        try (TwoStacks net = new TwoStacks(TcpConfig.linux())) {
            TcpConnection client = net.a.connect(net.now(), TwoStacks.B.bits(), 179);
            assertThrows(IllegalArgumentException.class,
                    () -> client.setMd5Key(TcpMd5Key.forPeer(Ipv4Address.of("198.18.0.9"), KEY)));
            assertThrows(IllegalArgumentException.class, () -> new TcpMd5Key(0, 33, KEY));
            assertThrows(IllegalArgumentException.class, () -> new TcpMd5Key(0, 32, new byte[81]));
        }
    }

    // ---- helpers ----

    /** Sends {@code total} bytes from client to server; returns what the server read. */
    private static byte[] transfer(TwoStacks net, TcpConnection client, TcpConnection server, int total) {
        byte[] data = new byte[total];
        new Random(5).nextBytes(data);
        ByteBuf received = Unpooled.buffer(total);
        try {
            net.transfer(client, server, data, 64 * 1024, 10_000, received::writeBytes);
            byte[] out = new byte[received.readableBytes()];
            received.getBytes(0, out);
            assertArrayEquals(data, out);
            return out;
        } finally {
            received.release();
        }
    }

    /** Feeds B a forged segment from {@code source}, signed with {@code key} when not null. */
    private static void receive(TwoStacks net, Ipv4Address source, TcpHeader header, byte[] payload, byte[] key) {
        net.b.receive(net.now(), signed(source, TwoStacks.B, header, payload, key));
        net.settle();
    }

    /** A datagram with {@code header} and, when {@code key} is not null, nop,nop,md5 signed with it (the options replaced). */
    private static ByteBuf signed(Ipv4Address source, Ipv4Address destination, TcpHeader header, byte[] payload, byte[] key) {
        if (key == null) {
            return Unpooled.wrappedBuffer(TestPackets.tcp(source, destination, header, payload));
        }
        TcpOptions options = TcpOptions.of(new TcpOption.Nop(), new TcpOption.Nop(), new TcpOption.Md5Signature(new byte[16]));
        TcpHeader withOption = TcpHeader.of(header.sourcePort(), header.destinationPort(), header.seq(), header.ack(),
                header.flags(), header.window(), options);
        byte[] packet = TestPackets.tcp(source, destination, withOption, payload);
        System.arraycopy(digest(packet, key), 0, packet, 20 + 24, 16);
        // the checksum covers the digest: recompute it over the finished segment
        ByteBuf buf = Unpooled.wrappedBuffer(packet);
        new io.usertcp.wire.TcpSegmentView().wrap(buf, 20, packet.length - 20).fillChecksum(source.bits(), destination.bits());
        return buf;
    }

    /** Whether the IPv4 datagram {@code p} carries nop,nop,md5 first (Linux's layout) with the right digest. */
    private static boolean verifies(byte[] p, byte[] key) {
        if (p[40] != TcpOptionKind.NOP || p[41] != TcpOptionKind.NOP || p[42] != TcpOptionKind.MD5_SIGNATURE || p[43] != 18) {
            return false;
        }
        byte[] want = digest(p, key);
        for (int i = 0; i < 16; i++) {
            if (p[44 + i] != want[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * RFC 2385 §2.0 written out over a byte array (IPv4 header of 20 bytes): pseudo-header, the
     * 20-byte TCP header with checksum 0, the data, the key.
     */
    private static byte[] digest(byte[] p, byte[] key) {
        try {
            MessageDigest md5 = MessageDigest.getInstance("MD5");
            int tcpLength = p.length - 20;
            md5.update(p, 12, 8); // source and destination
            md5.update(new byte[] {0, 6, (byte) (tcpLength >> 8), (byte) tcpLength});
            byte[] header = java.util.Arrays.copyOfRange(p, 20, 40);
            header[16] = 0;
            header[17] = 0;
            md5.update(header);
            int dataOffset = 20 + ((p[32] >> 4) & 0x0F) * 4;
            md5.update(p, dataOffset, p.length - dataOffset);
            return md5.digest(key);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
