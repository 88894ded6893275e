package io.usertcp.tun.packetdrill;

import io.usertcp.packetdrill.PacketSteps;
import io.usertcp.packetdrill.ScriptRunner;
import io.usertcp.tcp.FastOpen;
import io.usertcp.wire.Ipv4Address;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * TCP Fast Open server cookies in script and live space. Linux's cookie for an IPv4 SYN is
 * SipHash-2-4 of the SYN's source and destination addresses under the namespace's
 * {@code net.ipv4.tcp_fastopen_key} (tcp_fastopen_cookie_gen_cipher(), tcp_fastopen.c), stored
 * little-endian: a script written for packetdrill's addresses (192.0.2.1 to 192.168.0.1) carries
 * the cookie of those, which this maps to and from the cookie of the run's addresses in
 * 198.18.0.0/15. (With the key defaults.sh sets this gives 3021b9d889017eeb, the kernel
 * selftests' TFO_COOKIE.)
 */
final class FastOpenCookies implements PacketSteps.CookieMapping {
    /** packetdrill's default addresses, the ones the corpus's cookies were computed for. */
    static final int SCRIPT_CLIENT = Ipv4Address.parse("192.0.2.1");
    static final int SCRIPT_SERVER = Ipv4Address.parse("192.168.0.1");

    private final Supplier<String> key;
    private final int liveClient;
    private final int liveServer;

    /**
     * @param key        the namespace's tcp_fastopen_key as last set ({@code a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4}),
     *                   null when the script set none (then nothing is mapped)
     * @param liveClient the script's remote side, live
     * @param liveServer the kernel, live
     */
    FastOpenCookies(Supplier<String> key, int liveClient, int liveServer) {
        this.key = key;
        this.liveClient = liveClient;
        this.liveServer = liveServer;
    }

    /** The scripted cookie defaults.sh's key gives packetdrill's addresses (hex), for an undefined {@code TFO_COOKIE}. */
    static String defaultScriptCookie() {
        return ScriptRunner.defaultFastOpenCookie();
    }

    @Override
    public byte[] toLive(byte[] script) {
        return swap(script, SCRIPT_CLIENT, SCRIPT_SERVER, liveClient, liveServer);
    }

    @Override
    public byte[] toScript(byte[] live) {
        return swap(live, liveClient, liveServer, SCRIPT_CLIENT, SCRIPT_SERVER);
    }

    private byte[] swap(byte[] cookie, int fromClient, int fromServer, int toClient, int toServer) {
        String k = key.get();
        if (k == null || cookie.length != 8 || !Arrays.equals(cookie, cookie(k, fromClient, fromServer))) {
            return cookie;
        }
        return cookie(k, toClient, toServer);
    }

    /** Linux's 8-byte cookie for a SYN from {@code client} to {@code server} under {@code key} (its primary part). */
    static byte[] cookie(String key, int client, int server) {
        return FastOpen.cookie(key, client, server); // the stack's own server computes it the same way
    }
}
