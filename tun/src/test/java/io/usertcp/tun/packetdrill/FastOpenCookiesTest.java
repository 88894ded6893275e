package io.usertcp.tun.packetdrill;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.wire.Ipv4Address;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * TCP Fast Open server cookies (Linux tcp_fastopen_cookie_gen_cipher(): SipHash-2-4 of the SYN's
 * addresses under tcp_fastopen_key). Pure: no kernel needed.
 */
class FastOpenCookiesTest {
    private static final String DEFAULTS_KEY = "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4";
    private static final int CLIENT = Ipv4Address.parse(KernelScriptRunner.REMOTE_ADDRESS);
    private static final int SERVER = Ipv4Address.parse(KernelScriptRunner.KERNEL_ADDRESS);

    @Test
    void packetdrillsAddressesUnderTheDefaultsKeyGiveTheSelftestsCookie() {
        // The kernel selftests run the corpus with -D TFO_COOKIE=3021b9d889017eeb for these addresses and key.
        assertEquals("3021b9d889017eeb", FastOpenCookies.defaultScriptCookie());
        assertEquals("3021b9d889017eeb", HexFormat.of().formatHex(
                FastOpenCookies.cookie(DEFAULTS_KEY, FastOpenCookies.SCRIPT_CLIENT, FastOpenCookies.SCRIPT_SERVER)));
    }

    @Test
    void theScriptsCookieMapsToTheLiveOneAndBack() {
        FastOpenCookies cookies = new FastOpenCookies(() -> DEFAULTS_KEY, CLIENT, SERVER);
        byte[] script = HexFormat.of().parseHex("3021b9d889017eeb");
        byte[] live = cookies.toLive(script);
        assertArrayEquals(FastOpenCookies.cookie(DEFAULTS_KEY, CLIENT, SERVER), live);
        assertArrayEquals(script, cookies.toScript(live));
    }

    @Test
    void anyOtherCookieOrNoKeyLeavesTheCookieAsItIs() {
        byte[] other = HexFormat.of().parseHex("abcd1234");
        assertArrayEquals(other, new FastOpenCookies(() -> DEFAULTS_KEY, CLIENT, SERVER).toLive(other));
        byte[] script = HexFormat.of().parseHex("3021b9d889017eeb");
        assertArrayEquals(script, new FastOpenCookies(() -> null, CLIENT, SERVER).toLive(script));
    }
}
