package io.usertcp.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-stack timer heap: one node per connection keyed by its earliest deadline. */
class DeadlineHeapTest {

    static final class Timer extends DeadlineHeap.Node {
        final int id;

        Timer(int id) {
            this.id = id;
        }

        @Override
        public String toString() {
            return "timer " + id + " @" + heapDeadlineNanos();
        }
    }

    @Test
    void emptyHeap_hasNoDeadline_andNothingExpires() {
        DeadlineHeap<Timer> heap = new DeadlineHeap<>();
        assertEquals(0, heap.size());
        assertEquals(Long.MAX_VALUE, heap.peekDeadlineNanos());
        assertNull(heap.peekExpired(Long.MAX_VALUE));
    }

    @Test
    void update_insertsMovesAndOrders() {
        DeadlineHeap<Timer> heap = new DeadlineHeap<>();
        Timer a = new Timer(1);
        Timer b = new Timer(2);
        Timer c = new Timer(3);
        heap.update(a, 300);
        heap.update(b, 100);
        heap.update(c, 200);
        assertEquals(3, heap.size());
        assertEquals(100, heap.peekDeadlineNanos());
        assertNull(heap.peekExpired(99));
        assertSame(b, heap.peekExpired(100));
        heap.update(b, 400); // later: b sinks
        assertSame(c, heap.peekExpired(1000));
        heap.update(a, 50); // earlier: a rises
        assertSame(a, heap.peekExpired(1000));
        assertEquals(50, a.heapDeadlineNanos());
        heap.update(a, 50); // unchanged: nothing moves
        assertEquals(3, heap.size());
        assertSame(a, heap.peekExpired(50));
    }

    @Test
    void updateToMaxValue_removesTheNode() {
        DeadlineHeap<Timer> heap = new DeadlineHeap<>();
        Timer a = new Timer(1);
        Timer b = new Timer(2);
        heap.update(a, 10);
        heap.update(b, 20);
        heap.update(a, Long.MAX_VALUE);
        assertEquals(1, heap.size());
        assertEquals(Long.MAX_VALUE, a.heapDeadlineNanos());
        assertSame(b, heap.peekExpired(20));
        heap.update(a, Long.MAX_VALUE); // not in the heap: nothing to do
        assertEquals(1, heap.size());
        heap.update(a, 5); // and it can come back
        assertSame(a, heap.peekExpired(5));
    }

    @Test
    void remove_ofTheHeadOfTheLastAndOfAnAbsentNode() {
        DeadlineHeap<Timer> heap = new DeadlineHeap<>();
        List<Timer> timers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Timer t = new Timer(i);
            timers.add(t);
            heap.update(t, 1000 - i * 10L); // timer 9 is the earliest
        }
        heap.remove(timers.get(9)); // the head
        assertEquals(920, heap.peekDeadlineNanos());
        heap.remove(timers.get(0)); // the latest
        heap.remove(timers.get(0)); // already gone
        heap.remove(new Timer(99)); // never there
        assertEquals(8, heap.size());
        long previous = Long.MIN_VALUE;
        Timer t;
        while ((t = heap.peekExpired(Long.MAX_VALUE - 1)) != null) {
            assertTrue(t.heapDeadlineNanos() >= previous);
            previous = t.heapDeadlineNanos();
            heap.remove(t);
        }
        assertEquals(990, previous); // timer 1
        assertEquals(0, heap.size());
    }

    @Test
    void growsPastItsInitialCapacity() {
        DeadlineHeap<Timer> heap = new DeadlineHeap<>();
        for (int i = 0; i < 1000; i++) {
            heap.update(new Timer(i), 5000 - i);
        }
        assertEquals(1000, heap.size());
        assertEquals(4001, heap.peekDeadlineNanos());
    }

    @Test
    void randomUpdatesAndRemoves_matchASortedOracle() {
        RandomSource random = RandomSource.seeded(77);
        DeadlineHeap<Timer> heap = new DeadlineHeap<>();
        List<Timer> timers = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            timers.add(new Timer(i));
        }
        Map<Timer, Long> oracle = new HashMap<>();
        for (int op = 0; op < 100_000; op++) {
            Timer t = timers.get(random.nextInt(timers.size()));
            int kind = random.nextInt(10);
            if (kind < 6) {
                long deadline = random.nextInt(2_000); // few distinct values: many ties
                heap.update(t, deadline);
                oracle.put(t, deadline);
            } else if (kind < 8) {
                heap.update(t, Long.MAX_VALUE);
                oracle.remove(t);
            } else {
                heap.remove(t);
                oracle.remove(t);
            }
            assertEquals(oracle.size(), heap.size());
            long min = oracle.values().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
            assertEquals(min, heap.peekDeadlineNanos(), "after op " + op);
            assertEquals(oracle.getOrDefault(t, Long.MAX_VALUE), t.heapDeadlineNanos());
        }
        // Draining fires every node once, in deadline order.
        List<Long> expected = oracle.values().stream().sorted().toList();
        List<Long> fired = new ArrayList<>();
        Timer t;
        while ((t = heap.peekExpired(Long.MAX_VALUE - 1)) != null) {
            fired.add(t.heapDeadlineNanos());
            heap.update(t, Long.MAX_VALUE);
        }
        assertEquals(expected, fired);
    }
}
