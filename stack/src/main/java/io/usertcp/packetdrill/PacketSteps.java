package io.usertcp.packetdrill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The packet side of one run, shared by the runners on virtual time and on the real kernel: builds
 * the IPv4 packets of inbound lines (script values mapped to live space) and matches what the
 * system under test sent against outbound lines (learning its ISN and timestamp clock, tiling
 * several MSS-sized segments over one scripted TSO segment), with messages in script notation.
 * Holds the run's {@link SequenceMapping}; one instance per run, single-threaded.
 */
public final class PacketSteps {
    /** The next packet the system under test sent, waiting for it as the runner's clock allows. */
    public interface Source {
        /** The next packet, or null when none came by the caller's limit. */
        LivePacket next();
    }

    private final SequenceMapping map = new SequenceMapping();
    private final PacketCodec codec = new PacketCodec();
    private final long startNanos;
    private final boolean isnRelative;
    /** The script's remote ISN (its inbound SYN's sequence number) when {@link #isnRelative}. */
    private long remoteIsn;
    private CookieMapping cookies;
    /** The scripted local ISN of the latest SYN the system under test sent, when {@link #isnRelative}. */
    private long localIsn;

    /** Sequence numbers the virtual runner's way (see {@link #PacketSteps(long, boolean)}). */
    public PacketSteps(long startNanos) {
        this(startNanos, false);
    }

    /**
     * @param startNanos     the clock reading of the script's time 0 (for times in messages)
     * @param isnRelative    google/packetdrill's rule for sequence numbers: a SYN's are as written
     *                       (its sequence number is its sender's ISN, the ACK in a SYN-ACK that
     *                       ISN + 1); in every other segment, both sides' sequence numbers, ACKs and
     *                       SACK blocks count from the sender's ISN ({@code < S. 123:123(0) ack 1}
     *                       then {@code > . 1:1(0) ack 1}; {@code > S. 1234:1234(0)} then
     *                       {@code < . 1:1(0) ack 1}). Without it the remote side's values are as
     *                       written and the local side's count from its scripted ISN (the virtual
     *                       runner's way)
     */
    public PacketSteps(long startNanos, boolean isnRelative) {
        this.startNanos = startNanos;
        this.isnRelative = isnRelative;
    }

    /**
     * Decodes a packet the system under test sent.
     *
     * @param packet borrowed, not released here
     * @throws IllegalStateException when it is not a valid IPv4 packet (or TCP segment), saying why
     */
    public LivePacket decode(ByteBuf packet, long timeNanos) {
        return codec.decode(packet, timeNanos);
    }

    /**
     * As {@link #decode(ByteBuf, long)}, with the TCP checksum checked only when {@code verifyTcpChecksum}
     * (a packet read with checksum offload, its checksum left to the device, is not checked).
     */
    public LivePacket decode(ByteBuf packet, long timeNanos, boolean verifyTcpChecksum) {
        return codec.decode(packet, timeNanos, verifyTcpChecksum);
    }

    /**
     * The IPv4 packet of an inbound line, from {@code source:sourcePort} to {@code destination:destinationPort}:
     * the ACK and the TS echo mapped to live space, TOS and ECN as written (a TTL is noted, not set).
     *
     * @return a new buffer the caller owns
     * @throws ScriptFailure when the options cannot be built
     */
    public ByteBuf inbound(Event e, PacketSpec p, int source, int destination, int sourcePort, int destinationPort,
                           int ipId, List<String> notes, ByteBufAllocator allocator) {
        boolean syn = (p.flags() & TcpFlags.SYN) != 0;
        // packetdrill (isnRelative): an ACK in a SYN is written against the scripted local ISN, others count from 0.
        long ack = p.hasAck() ? map.localToLive(isnRelative && syn ? p.ack() - localIsn : p.ack()) : 0;
        List<TcpOptionSpec> specOptions = p.options() == null ? List.of() : p.options();
        io.usertcp.wire.TcpOptions options;
        try {
            List<TcpOption> wire = ScriptOptions.toWire(specOptions, ScriptOptions.tsVal(specOptions), true, map);
            if (cookies != null) {
                wire = wire.stream().map(o -> o instanceof TcpOption.Unknown u ? mapCookie(u, cookies::toLive) : o).toList();
            }
            options = PacketCodec.options(wire);
        } catch (IllegalArgumentException ex) {
            throw ScriptFailure.at(e, "cannot build the inbound segment: " + ex.getMessage(), null, null);
        }
        long seq = p.seqStart();
        if (isnRelative && (p.flags() & TcpFlags.SYN) != 0) {
            remoteIsn = p.seqStart();
        } else if (isnRelative) {
            seq = (seq + remoteIsn) & 0xFFFF_FFFFL;
        }
        // An urgent pointer ("urg N") as written (the kernel backend; the stack's runner reports it unsupported).
        TcpHeader header = new TcpHeader(sourcePort, destinationPort, (int) seq, (int) ack, 0, p.flags(), p.window(), 0,
                p.urgentPointer() < 0 ? 0 : (int) p.urgentPointer(), options);
        int tos = p.ecn() == null ? 0 : switch (p.ecn()) {
            case "ect1" -> 1;
            case "ect0", "ect01" -> 2;
            case "ce" -> 3;
            default -> 0;
        };
        if (p.tos() >= 0) {
            tos = p.ecn() == null ? p.tos() : (p.tos() & ~0x3) | tos; // (tos 0x..) with an ECN marking: the marking wins
        }
        if (p.ttl() >= 0) {
            notes.add("line " + e.line() + ": ttl " + p.ttl() + " not set: TCP does not look at an inbound TTL");
        }
        return codec.tcp(allocator, source, destination, tos, ipId, header, p.length());
    }

    /**
     * The ICMP error of an inbound {@code < icmp ...} line, from the script's remote side to the
     * system under test, quoting the segment of its connection that the line's {@code [SEQ:END(LEN)]}
     * names (sequence numbers count from its ISN; without a range, its ISN).
     *
     * @return a new buffer the caller owns
     * @throws ScriptFailure (unsupported) for a quote of a UDP or raw packet
     */
    public ByteBuf icmp(Event.Icmp e, int source, int destination, int localPort, int remotePort, int ipId,
                        ByteBufAllocator allocator) {
        if (e.quoted() != null && !Character.isDigit(e.quoted().charAt(0))) {
            throw ScriptFailure.unsupported(e, "an ICMP message quoting " + e.quoted() + " (only TCP segments are quoted)");
        }
        long seq = e.quoted() == null ? 0 : Long.parseLong(e.quoted().substring(0, e.quoted().indexOf(':')));
        return codec.icmp(allocator, source, destination, ipId, e.type(), e.code(), e.mtu(), destination, source, localPort,
                remotePort, map.localToLive(seq));
    }

    /**
     * Matches the first live packet after an outbound line (more from {@code more} when several
     * tile one scripted segment): learns the ISN from a SYN and the TS clock, then compares.
     *
     * @return the packet that matched (several tiled into one)
     * @throws ScriptFailure on a mismatch, with the scripted and the live packet
     */
    public LivePacket match(Event.Packet e, LivePacket live, Comparison comparison, Source more) {
        PacketSpec spec = e.packet();
        LivePacket first = learnAndMap(spec, live);
        String mismatch = PacketMatcher.mismatch(spec, first, comparison, map);
        if (mismatch == null) {
            return first;
        }
        LivePacket tiled = tile(spec, first, more);
        if (tiled == null || PacketMatcher.mismatch(spec, tiled, comparison, map) != null) {
            throw ScriptFailure.at(e, mismatch, spec.format(), format(first) + "  at " + seconds(first.timeNanos()) + " s");
        }
        return tiled;
    }

    /**
     * A live packet that may match {@code spec}, in script space: the ISN learned when both are
     * SYNs, TS values mapped.
     */
    private LivePacket learnAndMap(PacketSpec spec, LivePacket live) {
        boolean synToSyn = (spec.flags() & TcpFlags.SYN) != 0 && live.isTcp() && live.tcp().hasFlag(TcpFlags.SYN);
        if (isnRelative && synToSyn) {
            // packetdrill: the scripted ISN holds in SYNs only; everything else counts from 0 (the live ISN).
            localIsn = spec.seqKnown() ? spec.seqStart() : 0;
            map.learnIsn(0, live.seq());
        }
        LivePacket mapped = isnRelative || cookies != null ? toScriptSpace(live) : live;
        if (!isnRelative && synToSyn) {
            // The ISN, learned from the SYN or SYN-ACK; "...(0)" starts a new sequence space at 0.
            map.learnIsn(spec.seqKnown() ? spec.seqStart() : 0, live.seq());
        }
        learnTimestamp(spec, mapped); // packetdrill maps TS values before comparing (and for the messages)
        return mapped;
    }

    /**
     * Several live segments may match one scripted one: a script written where the kernel sends
     * large (TSO) segments is met by consecutive smaller ones that tile its range exactly. As
     * google/packetdrill aggregates them (run_packet.c do_outbound_script_packet() without
     * --strict_segments, packet.c aggregate_packets()): each tile continues the previous one's
     * sequence, and its headers agree with the previous one's except for FIN, PSH and CWR, which
     * verify_tcp() compares only when strict; the aggregate has the last tile's headers and time
     * (its PSH and FIN) with the first tile's sequence number and CWR. The kernel marks PSH per
     * skb as it writes (tcp_sendmsg_locked()) and on every GSO packet (__tcp_transmit_skb()), so
     * tiles before the last may carry one the script does not write. A packet of another connection (addresses and ports) discards what was
     * gathered and starts anew, as packetdrill does: a SYN another socket retransmits just
     * before the script's socket sends its own is not that socket's (packetdrill takes any SYN to
     * the remote address for the connecting socket's, find_connect_for_live_packet()).
     * Unlike packetdrill, a segment without payload does not start a tiling of its own connection.
     */
    private LivePacket tile(PacketSpec spec, LivePacket first, Source more) {
        if (!first.isTcp() || first.payloadLength() >= spec.length() || first.tcp().hasFlag(TcpFlags.FIN)) {
            return null;
        }
        int notCompared = TcpFlags.PSH | TcpFlags.FIN | TcpFlags.CWR;
        LivePacket start = first;
        LivePacket last = first;
        int total = first.payloadLength();
        while (total < spec.length()) {
            LivePacket raw = more.next();
            if (raw == null || !raw.isTcp()) {
                return null;
            }
            if (!sameConnection(raw, last)) {
                start = learnAndMap(spec, raw); // run_packet.c: "Discarding previously sniffed packets"
                last = start;
                total = start.payloadLength();
                continue;
            }
            LivePacket next = isnRelative || cookies != null ? toScriptSpace(raw) : raw;
            if (total == 0 || start.tcp().hasFlag(TcpFlags.FIN) || next.seq() != ((start.seq() + total) & 0xFFFF_FFFFL)
                    || next.ack() != start.ack() || next.tcp().window() != last.tcp().window()
                    || (next.tcp().flags() & ~notCompared) != (start.tcp().flags() & ~notCompared)) {
                return null;
            }
            total += next.payloadLength();
            last = next;
        }
        if (total != spec.length()) {
            return null;
        }
        if (last == start) {
            return start;
        }
        int flags = (last.tcp().flags() & ~TcpFlags.CWR) | (start.tcp().flags() & TcpFlags.CWR);
        TcpHeader h = last.tcp();
        TcpHeader combined = new TcpHeader(h.sourcePort(), h.destinationPort(), start.tcp().seq(), h.ack(), h.reserved(), flags,
                h.window(), 0, 0, h.options());
        return new LivePacket(last.timeNanos(), last.protocol(), last.tos(), last.source(), last.destination(), combined,
                last.optionBytes(), total);
    }

    private static boolean sameConnection(LivePacket a, LivePacket b) {
        return a.source() == b.source() && a.destination() == b.destination()
                && a.tcp().sourcePort() == b.tcp().sourcePort() && a.tcp().destinationPort() == b.tcp().destinationPort();
    }

    /**
     * The packet in script space where live and script values differ beyond the ISN mapping: its
     * ACK and SACK blocks relative to the remote ISN (when {@link #isnRelative}, not in a SYN),
     * its Fast Open cookie mapped ({@link #cookies(CookieMapping)}). The same packet when nothing changes.
     */
    private LivePacket toScriptSpace(LivePacket live) {
        if (!live.isTcp()) {
            return live;
        }
        TcpHeader h = live.tcp();
        long shift = isnRelative && !h.hasFlag(TcpFlags.SYN) ? remoteIsn : 0;
        // A SYN's sequence number is compared with the scripted local ISN (the mapping counts from 0).
        int seq = isnRelative && h.hasFlag(TcpFlags.SYN) ? (int) (h.seq() + localIsn) : h.seq();
        boolean changed = false;
        List<TcpOption> options = new ArrayList<>();
        for (TcpOption o : h.options().list()) {
            TcpOption mapped = o;
            if (o instanceof TcpOption.Sack s && shift != 0) {
                mapped = new TcpOption.Sack(s.blocks().stream()
                        .map(b -> new TcpOption.SackBlock((int) (b.left() - shift), (int) (b.right() - shift))).toList());
            } else if (o instanceof TcpOption.Unknown u && cookies != null) {
                mapped = mapCookie(u, cookies::toScript);
            }
            changed |= mapped != o;
            options.add(mapped);
        }
        if (!changed && (shift == 0 || !h.hasFlag(TcpFlags.ACK)) && seq == h.seq()) {
            return live;
        }
        int ack = h.hasFlag(TcpFlags.ACK) ? (int) (h.ack() - shift) : h.ack();
        TcpHeader mapped = new TcpHeader(h.sourcePort(), h.destinationPort(), seq, ack, h.reserved(), h.flags(),
                h.window(), h.checksum(), h.urgentPointer(), changed ? PacketCodec.options(options) : h.options());
        return new LivePacket(live.timeNanos(), live.protocol(), live.tos(), live.source(), live.destination(), mapped,
                changed ? PacketMatcher.encode(options) : live.optionBytes(), live.payloadLength());
    }

    /**
     * TCP Fast Open cookies between script and live space: the server's cookie is a keyed hash of
     * the client's and the server's addresses (Linux tcp_fastopen_cookie_gen()), so a script
     * written for packetdrill's addresses carries another cookie than the live ones.
     */
    public interface CookieMapping {
        /** The live cookie for a scripted one (the same when it is not the scripted server cookie). */
        byte[] toLive(byte[] script);

        /** The scripted cookie for a live one (the same when it is not the live server cookie). */
        byte[] toScript(byte[] live);
    }

    /** Maps Fast Open cookies in inbound and outbound FO/FOEXP options from now on. */
    public void cookies(CookieMapping mapping) {
        this.cookies = mapping;
    }

    /** An FO (34) or FOEXP (254, magic 0xF989) option with its cookie mapped; other options as they are. */
    private static TcpOption mapCookie(TcpOption.Unknown u, java.util.function.UnaryOperator<byte[]> map) {
        byte[] d = u.data();
        int at = u.kind() == 34 ? 0 : u.kind() == 254 && d.length >= 2 && (d[0] & 0xFF) == 0xF9 && (d[1] & 0xFF) == 0x89 ? 2 : -1;
        if (at < 0 || d.length == at) {
            return u;
        }
        byte[] cookie = java.util.Arrays.copyOfRange(d, at, d.length);
        byte[] mapped = map.apply(cookie);
        if (java.util.Arrays.equals(mapped, cookie)) {
            return u;
        }
        byte[] out = java.util.Arrays.copyOf(d, at + mapped.length);
        System.arraycopy(mapped, 0, out, at, mapped.length);
        return new TcpOption.Unknown(u.kind(), out);
    }

    private void learnTimestamp(PacketSpec spec, LivePacket live) {
        if (spec.options() == null || !live.isTcp()) {
            return;
        }
        for (TcpOptionSpec o : spec.options()) {
            if (o instanceof TcpOptionSpec.Timestamps t) {
                live.tcp().options().timestamps().ifPresent(ts -> map.learnTsVal(t.tsVal(), SeqNum.unsigned(ts.tsVal())));
            }
        }
    }

    /** A live packet in script notation, without its time. */
    public String format(LivePacket p) {
        return PacketMatcher.format(p, map);
    }

    /** A live packet in script notation with its time: {@code > S. 0:0(0) ... at 0.100000 s}. */
    public String describe(LivePacket p) {
        return format(p) + " at " + seconds(p.timeNanos()) + " s";
    }

    /** A clock reading as script seconds (since the script's time 0). */
    public String seconds(long nanos) {
        return duration(nanos - startNanos);
    }

    /** A duration in seconds, to the microsecond. */
    public static String duration(long nanos) {
        return String.format(Locale.ROOT, "%.6f", nanos / 1e9);
    }
}
