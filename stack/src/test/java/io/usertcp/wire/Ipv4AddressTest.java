package io.usertcp.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Ipv4Address}: dotted-quad text, the source rules of RFC 1122 §3.2.1.3, prefixes, order. */
class Ipv4AddressTest {

    @Test
    void parse_dottedQuad_givesBigEndianInt() {
        assertEquals(0xC612_0001, Ipv4Address.parse("198.18.0.1"));
        assertEquals(0, Ipv4Address.parse("0.0.0.0"));
        assertEquals(0xFFFF_FFFF, Ipv4Address.parse("255.255.255.255"));
        assertEquals(0x0102_0304, Ipv4Address.parse("1.2.3.4"));
        assertEquals(0x0A00_0001, Ipv4Address.parse("010.0.0.1")); // decimal, not octal
    }

    @Test
    void parse_threeParts_throwsNamingTextAndForm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse("1.2.3"));
        assertEquals("IPv4 address: '1.2.3' (expected: a.b.c.d)", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "256.1.1.1", "1.2.3.256", "a.b.c.d",
            " 1.2.3.4", "1.2.3.4 ", "-1.2.3.4", "+1.2.3.4", "1.+2.3.4", "0001.2.3.4", "1.2.3.0x1", "\u0661.2.3.4"})
    void parse_malformed_throwsNamingTheText(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("expected"), e.getMessage());
    }

    @Test
    void format_thenParse_roundTripsEveryKindOfAddress() {
        SplittableRandom random = new SplittableRandom(791);
        for (int i = 0; i < 10_000; i++) {
            int bits = random.nextInt();
            assertEquals(bits, Ipv4Address.parse(Ipv4Address.format(bits)));
        }
        assertEquals("255.255.255.255", Ipv4Address.format(-1));
        assertEquals("128.0.0.0", Ipv4Address.format(Integer.MIN_VALUE));
    }

    @Test
    void record_ofAndToString_areDottedQuad() {
        Ipv4Address address = Ipv4Address.of("198.18.0.2");
        assertEquals(0xC612_0002, address.bits());
        assertEquals("198.18.0.2", address.toString());
        assertEquals(new Ipv4Address(0xC612_0002), address);
        assertEquals(new Ipv4Address(0xC612_0002).hashCode(), address.hashCode());
        assertNotEquals(Ipv4Address.of("198.18.0.1"), address);
    }

    @Test
    void compareTo_isUnsigned() {
        assertTrue(Ipv4Address.of("128.0.0.0").compareTo(Ipv4Address.of("127.255.255.255")) > 0);
        assertTrue(Ipv4Address.of("255.255.255.255").compareTo(Ipv4Address.of("0.0.0.1")) > 0);
        assertTrue(Ipv4Address.of("1.2.3.4").compareTo(Ipv4Address.of("1.2.3.5")) < 0);
        assertEquals(0, Ipv4Address.of("1.2.3.4").compareTo(Ipv4Address.of("1.2.3.4")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.255", "224.0.0.1", "239.255.255.255",
            "240.0.0.1", "255.255.255.255"})
    void isUnicastHost_rejectsThisNetworkLoopbackMulticastAndClassE(String text) {
        // RFC 1122 §3.2.1.3: none of these may be the source of a datagram a host accepts.
        assertFalse(Ipv4Address.isUnicastHost(Ipv4Address.parse(text)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.0.0.0", "10.0.0.1", "126.255.255.255", "128.0.0.0", "198.18.0.1", "223.255.255.255"})
    void isUnicastHost_acceptsOrdinaryAddresses(String text) {
        assertTrue(Ipv4Address.isUnicastHost(Ipv4Address.parse(text)));
    }

    @Test
    void inPrefix_matchesTheBenchmarkingRange() {
        int prefix = Ipv4Address.parse("198.18.0.0");
        assertTrue(Ipv4Address.inPrefix(Ipv4Address.parse("198.18.0.1"), prefix, 15));
        assertTrue(Ipv4Address.inPrefix(Ipv4Address.parse("198.19.255.255"), prefix, 15));
        assertFalse(Ipv4Address.inPrefix(Ipv4Address.parse("198.20.0.0"), prefix, 15));
        assertFalse(Ipv4Address.inPrefix(Ipv4Address.parse("198.17.255.255"), prefix, 15));
    }

    @Test
    void inPrefix_zeroAndThirtyTwo_areAllAndExact() {
        assertTrue(Ipv4Address.inPrefix(0xFFFF_FFFF, 0, 0));
        assertTrue(Ipv4Address.inPrefix(0x1234_5678, 0xFFFF_FFFF, 0));
        assertTrue(Ipv4Address.inPrefix(0x1234_5678, 0x1234_5678, 32));
        assertFalse(Ipv4Address.inPrefix(0x1234_5679, 0x1234_5678, 32));
        assertTrue(Ipv4Address.inPrefix(0x8000_0000, 0x8000_0000, 1));
        assertFalse(Ipv4Address.inPrefix(0x7FFF_FFFF, 0x8000_0000, 1));
    }

    @Test
    void inPrefix_badLength_throwsNamingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4Address.inPrefix(0, 0, 33));
        assertEquals("prefix length: 33 (expected: 0..32)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Ipv4Address.inPrefix(0, 0, -1));
    }
}
