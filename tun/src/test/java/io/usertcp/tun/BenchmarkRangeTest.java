package io.usertcp.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.wire.Ipv4Address;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** DESIGN.md §10: only 198.18.0.0/15 (RFC 2544 §C.2.2) is ever configured. Pure: no privileges needed. */
class BenchmarkRangeTest {

    @Test
    void contains_exactlyTheSlash15() {
        assertTrue(BenchmarkRange.contains(Ipv4Address.parse("198.18.0.0")));
        assertTrue(BenchmarkRange.contains(Ipv4Address.parse("198.19.255.255")));
        assertFalse(BenchmarkRange.contains(Ipv4Address.parse("198.17.255.255")));
        assertFalse(BenchmarkRange.contains(Ipv4Address.parse("198.20.0.0")));
        assertFalse(BenchmarkRange.contains(Ipv4Address.parse("10.0.0.1")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"198.18.0.1/24", "198.19.255.254/32", "198.18.0.0/15", "198.19.0.0/16"})
    void requirePrefix_insideTheRange_isAccepted(String cidr) {
        assertEquals(cidr, BenchmarkRange.requirePrefix(cidr));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.1/24", "192.168.1.1/24", "198.20.0.1/24", "198.17.255.255/32", "198.18.0.1/14",
            "0.0.0.0/0", "default", "198.18.0.1", "198.18.0.1/33", "198.18.0.1/+4", "198.18.0.1/", "198.18.0/24",
            "198.018.0.1/24x", " 198.18.0.1/24"})
    void requirePrefix_anythingElse_isRefused(String cidr) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> BenchmarkRange.requirePrefix(cidr));
        assertTrue(refused.getMessage().contains("expected"), refused.getMessage());
    }

    @Test
    void requireAddress_onlyHostsInTheRange() {
        assertEquals(Ipv4Address.parse("198.19.0.1"), BenchmarkRange.requireAddress("198.19.0.1"));
        assertThrows(IllegalArgumentException.class, () -> BenchmarkRange.requireAddress("127.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> BenchmarkRange.requireAddress("198.18.0.1/24"));
        assertThrows(IllegalArgumentException.class, () -> BenchmarkRange.requireAddress(null));
    }
}
