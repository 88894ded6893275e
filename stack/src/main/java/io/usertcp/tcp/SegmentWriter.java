package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.wire.InternetChecksum;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpMd5Digest;
import io.usertcp.wire.TcpOptionKind;
import io.usertcp.wire.TcpSegmentView;

/**
 * Turns an {@link OutSegment} into an IPv4 datagram: one buffer from the injected allocator, IPv4
 * and TCP headers written through the views, payload copied once, checksums filled.
 *
 * <p>Options are laid out byte for byte as Linux's {@code tcp_options_write} does (MSS;
 * SACK-permitted folded into the timestamp option's padding; NOP-padded window scale; an MD5
 * signature first, after two NOPs), so that our SYNs look like the kernel's to middleboxes and to
 * packetdrill scripts written against Linux. A segment with an MD5 key is signed once its data is in
 * place and before its checksum (RFC 2385 §2.0; Linux tcp_transmit_skb() calls
 * tcp_v4_md5_hash_skb() before the checksum is filled).
 *
 * <p><b>One buffer, reused while the link lets go of it.</b> Every datagram goes to a link that
 * takes ownership and, on a TUN device, writes it and releases it before {@code transmit}
 * returns. Allocating a pooled buffer for each ACK and data segment (a recycled object, its
 * reference count reset, 1 in 128 tracked by Netty's leak detector) and releasing it after the
 * write was about a fifth of the CPU time of sending a segment (benchmarks/README.md). So the
 * writer keeps a reference of its own to the last buffer it wrote, and hands the link another
 * ({@code retain}): when the next datagram is built and the link has released its reference
 * (the count is back to 1), no one else can be reading the buffer and it is written again. A
 * link that still holds it (a queue, a capture, a fault injector delaying it) keeps it, and the
 * writer lets go of its own reference and takes a new buffer. Ownership stays what it was for the
 * link; {@link #release()} drops the writer's reference when the stack closes.
 */
final class SegmentWriter {
    /** Linux's default {@code ip_default_ttl}. */
    static final int TTL = 64;
    /**
     * The smallest buffer the writer keeps for reuse: a full-sized datagram of a 1500-byte MTU and
     * any ACK fit. Larger datagrams (a bigger MTU, TSO super-segments) get a buffer of their size,
     * kept in the same way.
     */
    static final int MIN_REUSED_CAPACITY = 2048;

    private final ByteBufAllocator allocator;
    /** The buffer of the last datagram, on which the writer holds one reference of its own; null before the first. */
    private ByteBuf last;
    private final Ipv4PacketView ip = new Ipv4PacketView();
    private final TcpSegmentView tcp = new TcpSegmentView();
    private final TcpMd5Digest md5 = new TcpMd5Digest();
    private int nextIpId;

    SegmentWriter(ByteBufAllocator allocator, int firstIpId) {
        this.allocator = allocator;
        this.nextIpId = firstIpId & 0xFFFF;
    }

    /**
     * Builds the datagram.
     *
     * @return a new buffer the caller owns (normally handed straight to a link, which takes it)
     */
    ByteBuf write(OutSegment s) {
        return write(s, false);
    }

    /**
     * Builds the datagram, with the TCP checksum left to the link when {@code checksumOffload}:
     * the field then holds the folded pseudo-header sum over the whole TCP length, not complemented,
     * as Linux's {@code __tcp_v4_send_check()} leaves it for a device with checksum offload (and,
     * for a super-segment, as {@code tcp_gso_segment()} expects to adjust per segment).
     *
     * @return a new buffer the caller owns
     */
    ByteBuf write(OutSegment s, boolean checksumOffload) {
        int tcpHeader = TcpSegmentView.MIN_HEADER_LENGTH + s.optionsLength();
        int payload = s.payload != null || s.rawPayload != null ? s.payloadLength : 0;
        int total = Ipv4PacketView.MIN_HEADER_LENGTH + tcpHeader + payload;
        ByteBuf buf = datagramBuffer(total);
        writeIp(buf, s, total);
        tcp.wrap(buf, Ipv4PacketView.MIN_HEADER_LENGTH, tcpHeader + payload);
        tcp.setSourcePort(s.sourcePort);
        tcp.setDestinationPort(s.destinationPort);
        tcp.setSeq(s.seq);
        tcp.setAck(s.ack);
        tcp.setHeaderLength(tcpHeader, 0);
        tcp.setFlags(s.flags);
        tcp.setWindow(s.window);
        tcp.setUrgentPointer(0);
        writeOptions(buf, tcp.optionsOffset(), s);
        if (s.payload != null) {
            s.payload.copy(s.payloadOffset, payload, buf, tcp.payloadOffset());
        } else if (s.rawPayload != null) {
            buf.setBytes(tcp.payloadOffset(), s.rawPayload, s.rawPayloadIndex, payload);
        }
        if (s.md5Key != null) {
            md5.sign(buf, Ipv4PacketView.MIN_HEADER_LENGTH, tcpHeader + payload, s.sourceAddress, s.destinationAddress,
                    s.md5Key, s.md5DigestAt);
        }
        if (checksumOffload) {
            tcp.setChecksum(InternetChecksum.fold(InternetChecksum.pseudoHeaderSum(s.sourceAddress, s.destinationAddress,
                    Ipv4PacketView.PROTOCOL_TCP, tcpHeader + payload)));
        } else {
            tcp.fillChecksum(s.sourceAddress, s.destinationAddress);
        }
        return buf;
    }

    /**
     * A buffer with {@code total} readable bytes (their content undefined) for the caller to own: the
     * last one written, when the link has released it and it is large enough, or a new one.
     */
    private ByteBuf datagramBuffer(int total) {
        ByteBuf buf = last;
        if (buf != null && (buf.refCnt() != 1 || buf.capacity() < total)) {
            buf.release(); // the link still holds it, or it is too small: it is the link's alone now
            buf = null;
        }
        if (buf == null) {
            buf = allocator.buffer(Math.max(total, MIN_REUSED_CAPACITY));
            last = buf;
        }
        buf.retain(); // the caller's reference; the writer keeps its own
        return buf.setIndex(0, total);
    }

    /** Drops the writer's own reference to the last buffer (the stack is closing). */
    void release() {
        if (last != null) {
            last.release();
            last = null;
        }
    }

    private void writeIp(ByteBuf buf, OutSegment s, int total) {
        ip.wrap(buf, 0, total);
        ip.setVersionAndHeaderLength(Ipv4PacketView.MIN_HEADER_LENGTH);
        ip.setTos(s.ecn); // DSCP 0 (best effort); the ECN field as the transmitter chose it
        ip.setTotalLength(total);
        ip.setIdentification(nextIpId);
        nextIpId = (nextIpId + 1) & 0xFFFF;
        ip.setFlagsAndFragmentOffset(Ipv4PacketView.FLAG_DONT_FRAGMENT, 0);
        ip.setTtl(TTL);
        ip.setProtocol(Ipv4PacketView.PROTOCOL_TCP);
        ip.setSourceAddress(s.sourceAddress);
        ip.setDestinationAddress(s.destinationAddress);
        ip.fillHeaderChecksum();
    }

    private static void writeOptions(ByteBuf buf, int at, OutSegment s) {
        if (s.layout == TcpProfile.OptionLayout.FREEBSD) {
            freeBsdOptions(buf, at, s);
            return;
        }
        int p = at;
        if (s.md5Key != null) {
            // Linux tcp_options_write(): nop,nop,md5 first; the digest is filled in after the data.
            buf.setByte(p, TcpOptionKind.NOP);
            buf.setByte(p + 1, TcpOptionKind.NOP);
            p = md5Placeholder(buf, p + 2, s);
        }
        if (s.mss != OutSegment.NONE) {
            buf.setByte(p, TcpOptionKind.MSS);
            buf.setByte(p + 1, TcpOptionKind.MSS_LENGTH);
            buf.setShort(p + 2, s.mss);
            p += 4;
        }
        if (s.timestamps) {
            if (s.sackPermitted) {
                buf.setByte(p, TcpOptionKind.SACK_PERMITTED);
                buf.setByte(p + 1, TcpOptionKind.SACK_PERMITTED_LENGTH);
            } else {
                buf.setByte(p, TcpOptionKind.NOP);
                buf.setByte(p + 1, TcpOptionKind.NOP);
            }
            buf.setByte(p + 2, TcpOptionKind.TIMESTAMPS);
            buf.setByte(p + 3, TcpOptionKind.TIMESTAMPS_LENGTH);
            buf.setInt(p + 4, s.tsVal);
            buf.setInt(p + 8, s.tsEcr);
            p += 12;
        } else if (s.sackPermitted) {
            buf.setByte(p, TcpOptionKind.NOP);
            buf.setByte(p + 1, TcpOptionKind.NOP);
            buf.setByte(p + 2, TcpOptionKind.SACK_PERMITTED);
            buf.setByte(p + 3, TcpOptionKind.SACK_PERMITTED_LENGTH);
            p += 4;
        }
        if (s.windowScale != OutSegment.NONE) {
            buf.setByte(p, TcpOptionKind.NOP);
            buf.setByte(p + 1, TcpOptionKind.WINDOW_SCALE);
            buf.setByte(p + 2, TcpOptionKind.WINDOW_SCALE_LENGTH);
            buf.setByte(p + 3, s.windowScale);
            p += 4;
        }
        if (s.sackBlocks > 0) {
            // Linux's layout: nop,nop,SACK after the timestamps.
            buf.setByte(p, TcpOptionKind.NOP);
            buf.setByte(p + 1, TcpOptionKind.NOP);
            buf.setByte(p + 2, TcpOptionKind.SACK);
            buf.setByte(p + 3, 2 + TcpOptionKind.SACK_BLOCK_LENGTH * s.sackBlocks);
            p += 4;
            for (int i = 0; i < s.sackBlocks; i++) {
                buf.setInt(p, s.sackLeft[i]);
                buf.setInt(p + 4, s.sackRight[i]);
                p += TcpOptionKind.SACK_BLOCK_LENGTH;
            }
        }
        writeFastOpen(buf, p, s);
    }

    /** The signature option with a zero digest at {@code p}, its place noted in the segment; returns the next offset. */
    private static int md5Placeholder(ByteBuf buf, int p, OutSegment s) {
        buf.setByte(p, TcpOptionKind.MD5_SIGNATURE);
        buf.setByte(p + 1, TcpOptionKind.MD5_SIGNATURE_LENGTH);
        buf.setZero(p + 2, TcpOptionKind.MD5_DIGEST_LENGTH);
        s.md5DigestAt = p + 2;
        return p + TcpOptionKind.MD5_SIGNATURE_LENGTH;
    }

    /**
     * The Fast Open option, last (Linux tcp_options_write()): kind 34 and length, or kind 254,
     * length and magic 0xF989; the cookie; NOPs up to the 4-byte boundary.
     *
     * @return the bytes written
     */
    private static int writeFastOpen(ByteBuf buf, int p, OutSegment s) {
        if (s.fastOpenCookie == null) {
            return 0;
        }
        int start = p;
        if (s.fastOpenExperimental) {
            buf.setByte(p, TcpOptionKind.EXPERIMENTAL);
            buf.setByte(p + 1, 4 + s.fastOpenCookie.length);
            buf.setShort(p + 2, TcpOptionKind.FAST_OPEN_MAGIC);
            p += 4;
        } else {
            buf.setByte(p, TcpOptionKind.FAST_OPEN);
            buf.setByte(p + 1, 2 + s.fastOpenCookie.length);
            p += 2;
        }
        buf.setBytes(p, s.fastOpenCookie);
        p += s.fastOpenCookie.length;
        while (((p - start) & 3) != 0) {
            buf.setByte(p++, TcpOptionKind.NOP);
        }
        return p - start;
    }

    /**
     * FreeBSD's tcp_addoptions layout: MSS; nop,wscale; sackOK; timestamps, the MD5 signature and
     * SACK blocks each preceded by NOPs until the length is 2 mod 4; EOLs to the next multiple of 4
     * at the end.
     * With {@code buf == null} only counts.
     *
     * @return the options' length in bytes
     */
    static int freeBsdOptions(ByteBuf buf, int at, OutSegment s) {
        int n = 0;
        if (s.mss != OutSegment.NONE) {
            if (buf != null) {
                buf.setByte(at, TcpOptionKind.MSS);
                buf.setByte(at + 1, TcpOptionKind.MSS_LENGTH);
                buf.setShort(at + 2, s.mss);
            }
            n += 4;
        }
        if (s.windowScale != OutSegment.NONE) {
            if (buf != null) {
                buf.setByte(at + n, TcpOptionKind.NOP);
                buf.setByte(at + n + 1, TcpOptionKind.WINDOW_SCALE);
                buf.setByte(at + n + 2, TcpOptionKind.WINDOW_SCALE_LENGTH);
                buf.setByte(at + n + 3, s.windowScale);
            }
            n += 4;
        }
        if (s.sackPermitted) {
            if (buf != null) {
                buf.setByte(at + n, TcpOptionKind.SACK_PERMITTED);
                buf.setByte(at + n + 1, TcpOptionKind.SACK_PERMITTED_LENGTH);
            }
            n += 2;
        }
        if (s.timestamps) {
            n = padTo2Mod4(buf, at, n);
            if (buf != null) {
                buf.setByte(at + n, TcpOptionKind.TIMESTAMPS);
                buf.setByte(at + n + 1, TcpOptionKind.TIMESTAMPS_LENGTH);
                buf.setInt(at + n + 2, s.tsVal);
                buf.setInt(at + n + 6, s.tsEcr);
            }
            n += 10;
        }
        if (s.md5Key != null) {
            n = padTo2Mod4(buf, at, n); // FreeBSD tcp_addoptions(), TOF_SIGNATURE
            if (buf != null) {
                md5Placeholder(buf, at + n, s);
            }
            n += TcpOptionKind.MD5_SIGNATURE_LENGTH;
        }
        if (s.sackBlocks > 0) {
            n = padTo2Mod4(buf, at, n);
            if (buf != null) {
                buf.setByte(at + n, TcpOptionKind.SACK);
                buf.setByte(at + n + 1, 2 + TcpOptionKind.SACK_BLOCK_LENGTH * s.sackBlocks);
                for (int i = 0; i < s.sackBlocks; i++) {
                    buf.setInt(at + n + 2 + i * TcpOptionKind.SACK_BLOCK_LENGTH, s.sackLeft[i]);
                    buf.setInt(at + n + 6 + i * TcpOptionKind.SACK_BLOCK_LENGTH, s.sackRight[i]);
                }
            }
            n += 2 + TcpOptionKind.SACK_BLOCK_LENGTH * s.sackBlocks;
        }
        n += buf != null ? writeFastOpen(buf, at + n, s) : s.fastOpenOptionLength();
        while (n % 4 != 0) {
            if (buf != null) {
                buf.setByte(at + n, TcpOptionKind.EOL);
            }
            n++;
        }
        return n;
    }

    private static int padTo2Mod4(ByteBuf buf, int at, int n) {
        while (n % 4 != 2) {
            if (buf != null) {
                buf.setByte(at + n, TcpOptionKind.NOP);
            }
            n++;
        }
        return n;
    }
}
