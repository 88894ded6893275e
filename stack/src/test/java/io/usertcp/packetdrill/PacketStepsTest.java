package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpHeader;
import io.usertcp.wire.TcpOptions;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Outbound matching when several live segments tile one scripted segment, as google/packetdrill
 * aggregates them (run_packet.c do_outbound_script_packet(), packet.c aggregate_packets()).
 */
class PacketStepsTest {
    private static final int LOCAL = 0xC6120D01;
    private static final int REMOTE = 0xC6120D02;

    private static Event.Packet outbound(String line) {
        Script script = ScriptParser.parse("t.pkt", line + "\n", Set.of());
        return (Event.Packet) script.events().get(0);
    }

    private static LivePacket segment(long timeNanos, int seq, int length, int flags) {
        return segment(timeNanos, 8080, seq, length, flags);
    }

    private static LivePacket segment(long timeNanos, int sourcePort, int seq, int length, int flags) {
        TcpHeader h = new TcpHeader(sourcePort, 48123, seq, flags == TcpFlags.SYN ? 0 : 1, 0, flags, 100, 0, 0, TcpOptions.NONE);
        return new LivePacket(timeNanos, 6, 0, LOCAL, REMOTE, h, new byte[0], length);
    }

    private static LivePacket match(String line, LivePacket first, LivePacket... rest) {
        return match(new PacketSteps(0), line, first, rest);
    }

    private static LivePacket match(PacketSteps steps, String line, LivePacket first, LivePacket... rest) {
        ArrayDeque<LivePacket> more = new ArrayDeque<>(List.of(rest));
        return steps.match(outbound(line), first, Comparison.EXACT, more::pollFirst);
    }

    // packet.c aggregate_packets(): the last tile's flags (the kernel pushed the TSO segments of a write before
    // the last one, cut short by cwnd, and not that one), the first tile's sequence number, the last tile's time.
    @Test
    void tilesWithAPushBeforeTheLast_matchAScriptedSegmentWithoutPush() {
        LivePacket tiled = match("0 > . 1:3001(3000) ack 1 win 100",
                segment(1_000, 1, 2000, TcpFlags.ACK | TcpFlags.PSH), segment(2_000, 2001, 1000, TcpFlags.ACK));
        assertEquals(1, tiled.seq());
        assertEquals(3000, tiled.payloadLength());
        assertEquals(TcpFlags.ACK, tiled.tcp().flags());
        assertEquals(2_000, tiled.timeNanos());
    }

    @Test
    void aPushOnTheLastTile_isThePushOfTheAggregate() {
        LivePacket tiled = match("0 > P. 1:3001(3000) ack 1 win 100",
                segment(1_000, 1, 2000, TcpFlags.ACK), segment(2_000, 2001, 1000, TcpFlags.ACK | TcpFlags.PSH));
        assertEquals(TcpFlags.ACK | TcpFlags.PSH, tiled.tcp().flags());
        ScriptFailure f = assertThrows(ScriptFailure.class, () -> match("0 > . 1:3001(3000) ack 1 win 100",
                segment(1_000, 1, 2000, TcpFlags.ACK), segment(2_000, 2001, 1000, TcpFlags.ACK | TcpFlags.PSH)));
        // Reported, as every tiling that does not match, against the first live segment.
        assertEquals(1, f.failure().line(), f.failure()::format);
        assertTrue(f.failure().message().startsWith("payload: expected 3000 bytes but got 2000"), f.failure()::format);
    }

    // packet.c aggregate_packets(): CWR comes from the first tile (the kernel sets it on the first segment only).
    @Test
    void cwrOnTheFirstTile_isTheCwrOfTheAggregate() {
        LivePacket tiled = match("0 > .W 1:3001(3000) ack 1 win 100",
                segment(1_000, 1, 2000, TcpFlags.ACK | TcpFlags.CWR), segment(2_000, 2001, 1000, TcpFlags.ACK));
        assertEquals(TcpFlags.ACK | TcpFlags.CWR, tiled.tcp().flags());
    }

    // run_packet.c do_outbound_script_packet(): a packet of another connection discards what was gathered. Here another
    // socket's SYN, retransmitted just before the script's socket sent its SYN with data (syn-data-partial-or-over-ack).
    @Test
    void aSynOfAnotherConnectionBeforeTheScriptsSyn_isPassedOver_andTheIsnIsTheMatchedSyns() {
        PacketSteps steps = new PacketSteps(0, true);
        LivePacket matched = match(steps, "0 > S 0:800(800) win 100",
                segment(1_000, 40000, 7000, 0, TcpFlags.SYN), segment(2_000, 40001, 90000, 800, TcpFlags.SYN));
        assertEquals(40001, matched.tcp().sourcePort());
        assertEquals(2_000, matched.timeNanos());
        LivePacket data = match(steps, "0 > . 801:1801(1000) ack 1 win 100",
                new LivePacket(3_000, 6, 0, LOCAL, REMOTE, new TcpHeader(40001, 48123, 90801, 1, 0, TcpFlags.ACK, 100, 0, 0,
                        TcpOptions.NONE), new byte[0], 1000));
        assertEquals(90801, data.seq(), "801 in script space: later segments count from the matched SYN's ISN (90000)");
    }

    // Unlike packetdrill, a segment without payload does not start a tiling of its own connection.
    @Test
    void aSegmentWithoutPayloadFollowedByDataOfItsConnection_doesNotMatchADataSegment() {
        ScriptFailure f = assertThrows(ScriptFailure.class, () -> match("0 > . 1:1001(1000) ack 1 win 100",
                segment(1_000, 1, 0, TcpFlags.ACK), segment(2_000, 1, 1000, TcpFlags.ACK)));
        assertTrue(f.failure().message().startsWith("payload: expected 1000 bytes but got 0"), f.failure()::format);
    }
}
