package io.usertcp.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.usertcp.wire.Ipv4Address;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The connection table's map: four-tuple keys, open addressing, backward-shift deletion, growth. */
class TupleMapTest {
    private static final int A = Ipv4Address.of("198.18.0.1").bits(); // high bit set: a negative int
    private static final int B = Ipv4Address.of("198.18.0.2").bits();
    private static final int C = Ipv4Address.of("10.0.0.3").bits();

    /** A tuple as an oracle key. */
    record Tuple(int localAddress, int localPort, int remoteAddress, int remotePort) {
    }

    @Test
    void emptyMap_getAndRemoveFindNothing() {
        TupleMap<String> map = new TupleMap<>();
        assertEquals(0, map.size());
        assertNull(map.get(A, 80, B, 40000));
        assertNull(map.remove(A, 80, B, 40000));
        assertEquals(List.of(), map.values());
    }

    @Test
    void put_thenGet_returnsTheValue_andPutAgainReplacesIt() {
        TupleMap<String> map = new TupleMap<>();
        assertNull(map.put(A, 80, B, 40000, "first"));
        assertEquals("first", map.get(A, 80, B, 40000));
        assertEquals("first", map.put(A, 80, B, 40000, "second"));
        assertEquals("second", map.get(A, 80, B, 40000));
        assertEquals(1, map.size());
    }

    @Test
    void tuplesDifferingInOneField_areDistinctKeys() {
        TupleMap<String> map = new TupleMap<>();
        map.put(A, 80, B, 40000, "base");
        map.put(C, 80, B, 40000, "local address");
        map.put(A, 81, B, 40000, "local port");
        map.put(A, 80, C, 40000, "remote address");
        map.put(A, 80, B, 40001, "remote port");
        map.put(B, 40000, A, 80, "reversed"); // the same pair seen from the other end
        map.put(A, 0, B, 0, "zero ports");
        map.put(A, 65535, B, 65535, "max ports");
        assertEquals(8, map.size());
        assertEquals("base", map.get(A, 80, B, 40000));
        assertEquals("local address", map.get(C, 80, B, 40000));
        assertEquals("local port", map.get(A, 81, B, 40000));
        assertEquals("remote address", map.get(A, 80, C, 40000));
        assertEquals("remote port", map.get(A, 80, B, 40001));
        assertEquals("reversed", map.get(B, 40000, A, 80));
        assertEquals("zero ports", map.get(A, 0, B, 0));
        assertEquals("max ports", map.get(A, 65535, B, 65535));
    }

    @Test
    void remove_returnsTheValue_andLeavesTheOthers() {
        TupleMap<String> map = new TupleMap<>();
        for (int port = 1; port <= 7; port++) {
            map.put(A, 80, B, port, "v" + port);
        }
        assertEquals("v4", map.remove(A, 80, B, 4));
        assertNull(map.get(A, 80, B, 4));
        assertNull(map.remove(A, 80, B, 4));
        assertEquals(6, map.size());
        for (int port = 1; port <= 7; port++) {
            assertEquals(port == 4 ? null : "v" + port, map.get(A, 80, B, port));
        }
    }

    @Test
    void putNull_isRejectedWithAMessage() {
        TupleMap<String> map = new TupleMap<>();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> map.put(A, 80, B, 1, null));
        assertEquals("value: null (expected: non-null; use remove)", e.getMessage());
        assertEquals(0, map.size());
    }

    @Test
    void growth_keepsEveryEntry_throughManyResizes() {
        TupleMap<Integer> map = new TupleMap<>();
        int n = 50_000; // from 16 slots to 131072: thirteen rehashes
        for (int i = 0; i < n; i++) {
            assertNull(map.put(A, 80 + (i >>> 16), B + i, i & 0xFFFF, i));
        }
        assertEquals(n, map.size());
        for (int i = 0; i < n; i++) {
            assertEquals(i, map.get(A, 80 + (i >>> 16), B + i, i & 0xFFFF));
        }
        assertEquals(n, map.values().size());
        assertEquals((long) n * (n - 1) / 2, map.values().stream().mapToLong(Integer::longValue).sum());
    }

    @Test
    void randomPutsAndRemoves_matchAHashMapOracle() {
        // A small key space so that keys come and go many times; the table then holds long probe
        // chains (wrapping around its end) and every removal must shift the chain back without
        // losing a key: backward-shift deletion, checked after every operation.
        RandomSource random = RandomSource.seeded(20240601);
        List<Tuple> keys = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            keys.add(new Tuple(random.nextInt(3) == 0 ? C : A, 80 + random.nextInt(4), B, 32768 + random.nextInt(200)));
        }
        TupleMap<Integer> map = new TupleMap<>();
        Map<Tuple, Integer> oracle = new HashMap<>();
        for (int op = 0; op < 200_000; op++) {
            Tuple k = keys.get(random.nextInt(keys.size()));
            if (random.nextInt(100) < 55) {
                assertEquals(oracle.put(k, op), map.put(k.localAddress(), k.localPort(), k.remoteAddress(), k.remotePort(), op));
            } else {
                assertEquals(oracle.remove(k), map.remove(k.localAddress(), k.localPort(), k.remoteAddress(), k.remotePort()));
            }
            assertEquals(oracle.size(), map.size());
            Tuple probe = keys.get(random.nextInt(keys.size()));
            assertEquals(oracle.get(probe), map.get(probe.localAddress(), probe.localPort(), probe.remoteAddress(), probe.remotePort()),
                    "after op " + op);
        }
        for (Tuple k : keys) {
            assertEquals(oracle.get(k), map.get(k.localAddress(), k.localPort(), k.remoteAddress(), k.remotePort()));
        }
        assertEquals(oracle.values().stream().sorted().toList(), map.values().stream().sorted().toList());
    }

    @Test
    void removeEverything_thenReuse_leavesNoGhosts() {
        TupleMap<Integer> map = new TupleMap<>();
        for (int i = 0; i < 1000; i++) {
            map.put(A, 80, B, i, i);
        }
        for (int i = 0; i < 1000; i++) {
            assertEquals(i, map.remove(A, 80, B, i));
        }
        assertEquals(0, map.size());
        assertEquals(List.of(), map.values());
        for (int i = 0; i < 1000; i++) {
            assertNull(map.get(A, 80, B, i));
        }
        map.put(A, 80, B, 500, -1);
        assertEquals(-1, map.get(A, 80, B, 500));
        assertEquals(1, map.size());
    }
}
