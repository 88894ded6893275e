package io.usertcp.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.core.StackStats.Counter;
import io.usertcp.wire.DropReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** nstat-style counters (DESIGN.md §8). */
class StackStatsTest {

    @Test
    void newStats_areAllZero_andTheSnapshotHoldsOnlyCurrEstab() {
        StackStats stats = new StackStats();
        for (Counter c : Counter.values()) {
            assertEquals(0, stats.get(c), c.name());
        }
        assertEquals(Map.of("TcpCurrEstab", 0L), stats.snapshot());
    }

    @Test
    void incrementAndAdd_countPerCounter() {
        StackStats stats = new StackStats();
        stats.increment(Counter.TcpActiveOpens);
        stats.increment(Counter.TcpActiveOpens);
        stats.add(Counter.TcpOutSegs, 40);
        stats.add(Counter.TcpOutSegs, 2);
        assertEquals(2, stats.get(Counter.TcpActiveOpens));
        assertEquals(42, stats.get(Counter.TcpOutSegs));
        assertEquals(0, stats.get(Counter.TcpPassiveOpens));
    }

    @Test
    void drops_countPerReason_andDropCountsListsEveryReason() {
        StackStats stats = new StackStats();
        stats.drop(DropReason.TCP_BAD_CHECKSUM);
        stats.drop(DropReason.TCP_BAD_CHECKSUM);
        stats.drop(DropReason.IPV4_NOT_FOR_US);
        assertEquals(2, stats.drops(DropReason.TCP_BAD_CHECKSUM));
        assertEquals(1, stats.drops(DropReason.IPV4_NOT_FOR_US));
        assertEquals(0, stats.drops(DropReason.TCP_ZERO_PORT));
        Map<DropReason, Long> all = stats.dropCounts();
        assertEquals(DropReason.values().length, all.size());
        assertEquals(2L, all.get(DropReason.TCP_BAD_CHECKSUM));
        assertEquals(0L, all.get(DropReason.TCP_ZERO_PORT));
    }

    @Test
    void currentEstablished_followsDeltas() {
        StackStats stats = new StackStats();
        stats.establishedDelta(1);
        stats.establishedDelta(1);
        stats.establishedDelta(-1);
        assertEquals(1, stats.currentEstablished());
    }

    @Test
    void snapshot_listsNonZeroCountersInEnumOrder_thenCurrEstab_thenDrops() {
        StackStats stats = new StackStats();
        stats.drop(DropReason.TCP_BAD_CHECKSUM);
        stats.increment(Counter.IpInReceives);
        stats.increment(Counter.TcpActiveOpens);
        stats.establishedDelta(3);
        stats.drop(DropReason.IPV4_BAD_CHECKSUM);
        Map<String, Long> snapshot = stats.snapshot();
        assertEquals(List.of("TcpActiveOpens", "IpInReceives", "TcpCurrEstab", "DropIPV4_BAD_CHECKSUM", "DropTCP_BAD_CHECKSUM"),
                new ArrayList<>(snapshot.keySet()));
        assertEquals(List.of(1L, 1L, 3L, 1L, 1L), new ArrayList<>(snapshot.values()));
        stats.increment(Counter.IpInReceives);
        assertEquals(1L, snapshot.get("IpInReceives"), "a snapshot is a copy");
    }
}
