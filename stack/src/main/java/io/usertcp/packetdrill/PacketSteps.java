package io.usertcp.packetdrill;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
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
    private final boolean remoteRelative;
    /** The script's remote ISN (its inbound SYN's sequence number) when {@link #remoteRelative}. */
    private long remoteIsn;

    /** Script sequence numbers of the remote side as written (the virtual runner's way). */
    public PacketSteps(long startNanos) {
        this(startNanos, false);
    }

    /**
     * @param startNanos     the clock reading of the script's time 0 (for times in messages)
     * @param remoteRelative google/packetdrill's rule for the remote side's sequence space: its
     *                       inbound SYN's sequence number is its ISN, and the sequence numbers of
     *                       its later inbound segments, and the ACK and SACK blocks of segments
     *                       without SYN that the system under test sends, are relative to it
     *                       ({@code < S. 123:123(0) ack 1} then {@code > . 1:1(0) ack 1}; a SYN-ACK
     *                       answering {@code < S 1234:1734(500)} is {@code > S. 0:0(0) ack 1235});
     *                       without it they are used as written
     */
    public PacketSteps(long startNanos, boolean remoteRelative) {
        this.startNanos = startNanos;
        this.remoteRelative = remoteRelative;
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
     * The IPv4 packet of an inbound line, from {@code source:sourcePort} to {@code destination:destinationPort}:
     * the ACK and the TS echo mapped to live space, TOS and ECN as written (a TTL is noted, not set).
     *
     * @return a new buffer the caller owns
     * @throws ScriptFailure when the options cannot be built
     */
    public ByteBuf inbound(Event e, PacketSpec p, int source, int destination, int sourcePort, int destinationPort,
                           int ipId, List<String> notes, ByteBufAllocator allocator) {
        long ack = p.hasAck() ? map.localToLive(p.ack()) : 0;
        List<TcpOptionSpec> specOptions = p.options() == null ? List.of() : p.options();
        io.usertcp.wire.TcpOptions options;
        try {
            options = PacketCodec.options(ScriptOptions.toWire(specOptions, ScriptOptions.tsVal(specOptions), true, map));
        } catch (IllegalArgumentException ex) {
            throw ScriptFailure.at(e, "cannot build the inbound segment: " + ex.getMessage(), null, null);
        }
        long seq = p.seqStart();
        if (remoteRelative && (p.flags() & TcpFlags.SYN) != 0) {
            remoteIsn = p.seqStart();
        } else if (remoteRelative) {
            seq = (seq + remoteIsn) & 0xFFFF_FFFFL;
        }
        TcpHeader header = TcpHeader.of(sourcePort, destinationPort, (int) seq, (int) ack, p.flags(), p.window(), options);
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
     * Matches the first live packet after an outbound line (more from {@code more} when several
     * tile one scripted segment): learns the ISN from a SYN and the TS clock, then compares.
     *
     * @return the packet that matched (several tiled into one)
     * @throws ScriptFailure on a mismatch, with the scripted and the live packet
     */
    public LivePacket match(Event.Packet e, LivePacket live, Comparison comparison, Source more) {
        PacketSpec spec = e.packet();
        if (remoteRelative && remoteIsn != 0) {
            live = relativeToRemoteIsn(live);
            Source raw = more;
            more = () -> {
                LivePacket next = raw.next();
                return next == null ? null : relativeToRemoteIsn(next);
            };
        }
        if ((spec.flags() & TcpFlags.SYN) != 0 && live.isTcp() && live.tcp().hasFlag(TcpFlags.SYN)) {
            // The ISN, learned from the SYN or SYN-ACK; "...(0)" starts a new sequence space at 0.
            map.learnIsn(spec.seqKnown() ? spec.seqStart() : 0, live.seq());
        }
        learnTimestamp(spec, live); // packetdrill maps TS values before comparing (and for the messages)
        String mismatch = PacketMatcher.mismatch(spec, live, comparison, map);
        if (mismatch == null) {
            return live;
        }
        LivePacket tiled = tile(spec, live, more);
        if (tiled == null || PacketMatcher.mismatch(spec, tiled, comparison, map) != null) {
            throw ScriptFailure.at(e, mismatch, spec.format(), format(live) + "  at " + seconds(live.timeNanos()) + " s");
        }
        return tiled;
    }

    /**
     * Several live segments may match one scripted one: a script written where the kernel sends
     * large (TSO) segments is met by consecutive MSS-sized ones that tile its range exactly.
     */
    private static LivePacket tile(PacketSpec spec, LivePacket first, Source more) {
        if (!first.isTcp() || first.payloadLength() == 0 || first.payloadLength() >= spec.length()) {
            return null;
        }
        int pushFin = TcpFlags.PSH | TcpFlags.FIN;
        if (first.tcp().hasFlag(TcpFlags.FIN)) {
            return null;
        }
        int total = first.payloadLength();
        LivePacket last = first;
        boolean push = first.tcp().hasFlag(TcpFlags.PSH);
        while (total < spec.length()) {
            LivePacket next = more.next();
            if (next == null || !next.isTcp() || next.seq() != ((first.seq() + total) & 0xFFFF_FFFFL)
                    || next.ack() != first.ack() || (next.tcp().flags() & ~pushFin) != (first.tcp().flags() & ~pushFin)) {
                return null;
            }
            total += next.payloadLength();
            push |= next.tcp().hasFlag(TcpFlags.PSH);
            last = next;
        }
        if (total != spec.length()) {
            return null;
        }
        int flags = (first.tcp().flags() & ~pushFin) | (push ? TcpFlags.PSH : 0) | (last.tcp().flags() & TcpFlags.FIN);
        TcpHeader h = first.tcp();
        TcpHeader combined = new TcpHeader(h.sourcePort(), h.destinationPort(), h.seq(), h.ack(), h.reserved(), flags,
                last.tcp().window(), 0, 0, h.options());
        return new LivePacket(first.timeNanos(), first.protocol(), first.tos(), first.source(), first.destination(), combined,
                first.optionBytes(), total);
    }

    /** The packet with its ACK and SACK blocks (the remote side's sequence space) relative to the remote ISN. */
    private LivePacket relativeToRemoteIsn(LivePacket live) {
        if (!live.isTcp() || live.tcp().hasFlag(TcpFlags.SYN)) {
            return live;
        }
        TcpHeader h = live.tcp();
        boolean sack = h.options().list().stream().anyMatch(o -> o instanceof io.usertcp.wire.TcpOption.Sack);
        io.usertcp.wire.TcpOptions options = h.options();
        byte[] optionBytes = live.optionBytes();
        if (sack) {
            List<io.usertcp.wire.TcpOption> shifted = new java.util.ArrayList<>();
            for (io.usertcp.wire.TcpOption o : h.options().list()) {
                if (o instanceof io.usertcp.wire.TcpOption.Sack s) {
                    shifted.add(new io.usertcp.wire.TcpOption.Sack(s.blocks().stream()
                            .map(b -> new io.usertcp.wire.TcpOption.SackBlock((int) (b.left() - remoteIsn), (int) (b.right() - remoteIsn)))
                            .toList()));
                } else {
                    shifted.add(o);
                }
            }
            options = PacketCodec.options(shifted);
            optionBytes = PacketMatcher.encode(shifted);
        }
        int ack = h.hasFlag(TcpFlags.ACK) ? (int) (h.ack() - remoteIsn) : h.ack();
        TcpHeader relative = new TcpHeader(h.sourcePort(), h.destinationPort(), h.seq(), ack, h.reserved(), h.flags(),
                h.window(), h.checksum(), h.urgentPointer(), options);
        return new LivePacket(live.timeNanos(), live.protocol(), live.tos(), live.source(), live.destination(), relative,
                optionBytes, live.payloadLength());
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
