package io.usertcp.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.usertcp.wire.Ipv4Address;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Initial sequence numbers: RFC 6528's clock plus keyed hash, and the fixed generator for tests. */
class IsnGeneratorTest {
    private static final int LA = Ipv4Address.of("198.18.0.1").bits();
    private static final int RA = Ipv4Address.of("198.18.0.2").bits();
    private static final long T0 = 1_000_000_000_000L; // a multiple of 4 µs
    private static final long TICK = 4_000L;

    private final IsnGenerator isn = IsnGenerator.rfc6528(0x0123456789ABCDEFL, 0xFEDCBA9876543210L);

    @Test
    void sameTuple_advancesOnePerFourMicroseconds() {
        // RFC 6528 §3: M is a timer that increments every 4 microseconds (RFC 793's clock).
        int base = isn.isn(T0, LA, 40000, RA, 80);
        assertEquals(base, isn.isn(T0 + TICK - 1, LA, 40000, RA, 80));
        assertEquals(base + 1, isn.isn(T0 + TICK, LA, 40000, RA, 80));
        assertEquals(base + 250, isn.isn(T0 + 1_000_000L, LA, 40000, RA, 80)); // 1 ms
        assertEquals(base + 250_000, isn.isn(T0 + 1_000_000_000L, LA, 40000, RA, 80)); // 1 s
    }

    @Test
    void sameTuple_wrapsModulo2To32() {
        // The 32-bit sequence space wraps about every 4.77 hours of M.
        int base = isn.isn(T0, LA, 40000, RA, 80);
        long wrap = (1L << 32) * TICK;
        assertEquals(base, isn.isn(T0 + wrap, LA, 40000, RA, 80));
        assertEquals(base + 1, isn.isn(T0 + wrap + TICK, LA, 40000, RA, 80));
    }

    @Test
    void eachFieldOfTheTuple_changesTheOffset() {
        // F(localip, localport, remoteip, remoteport, secretkey): a different connection gets an unrelated ISN.
        int base = isn.isn(T0, LA, 40000, RA, 80);
        assertNotEquals(base, isn.isn(T0, LA + 1, 40000, RA, 80));
        assertNotEquals(base, isn.isn(T0, LA, 40001, RA, 80));
        assertNotEquals(base, isn.isn(T0, LA, 40000, RA + 1, 80));
        assertNotEquals(base, isn.isn(T0, LA, 40000, RA, 81));
        assertNotEquals(base, isn.isn(T0, RA, 80, LA, 40000)); // the same pair seen from the other end
        // Neighbouring ports give scattered ISNs, not ones a step apart.
        Set<Integer> seen = new HashSet<>();
        for (int port = 40000; port < 41000; port++) {
            int v = isn.isn(T0, LA, port, RA, 80);
            seen.add(v);
            seen.add(v + 1);
            seen.add(v - 1);
        }
        assertEquals(3000, seen.size(), "no two ports within one of each other");
    }

    @Test
    void theSecretKey_decidesTheOffset_andTheSameKeyRepeatsIt() {
        IsnGenerator same = IsnGenerator.rfc6528(0x0123456789ABCDEFL, 0xFEDCBA9876543210L);
        IsnGenerator otherK0 = IsnGenerator.rfc6528(0x0123456789ABCDEEL, 0xFEDCBA9876543210L);
        IsnGenerator otherK1 = IsnGenerator.rfc6528(0x0123456789ABCDEFL, 0xFEDCBA9876543211L);
        int base = isn.isn(T0, LA, 40000, RA, 80);
        assertEquals(base, same.isn(T0, LA, 40000, RA, 80));
        assertNotEquals(base, otherK0.isn(T0, LA, 40000, RA, 80));
        assertNotEquals(base, otherK1.isn(T0, LA, 40000, RA, 80));
    }

    @Test
    void fixed_ignoresTimeAndTuple() {
        IsnGenerator fixed = IsnGenerator.fixed(1_000_000);
        assertEquals(1_000_000, fixed.isn(0, 0, 0, 0, 0));
        assertEquals(1_000_000, fixed.isn(T0 + 123_456_789L, LA, 40000, RA, 80));
        assertEquals(-5, IsnGenerator.fixed(-5).isn(T0, RA, 1, LA, 2));
    }

    @Test
    void stackWithoutAnInjectedGenerator_usesRfc6528KeyedFromItsRandomSource() {
        // Two stacks seeded alike choose the same ISN for the same tuple at the same time; a
        // differently seeded one does not (its 128-bit key differs).
        int[] isns = new int[3];
        long[] seeds = {7, 7, 8};
        for (int i = 0; i < 3; i++) {
            TcpStack stack = new TcpStack(StackConfig.of(Ipv4Address.of("198.18.0.1"), io.usertcp.core.RandomSource.seeded(seeds[i])));
            try {
                TcpConnection c = stack.connect(T0, 40000, RA, 80);
                isns[i] = c.sender.iss();
            } finally {
                stack.close(T0);
            }
        }
        assertEquals(isns[0], isns[1]);
        assertNotEquals(isns[0], isns[2]);
    }
}
