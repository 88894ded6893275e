package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import io.usertcp.tcp.TcpProfile;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Our own packetdrill scripts (test resources {@code io/usertcp/packetdrill/scripts/}): the field
 * scenarios of DESIGN.md §13 plus RFC rules the FreeBSD suite does not cover, written against this
 * stack and run with the {@link Profile#LINUX linux} profile (every field exact). Each must pass,
 * and nothing in them may be skipped: every line means something here.
 */
class OwnScriptsTest {
    private static final String DIR = "/io/usertcp/packetdrill/scripts/";

    /** DESIGN.md §13, scenario by scenario, and the scripts that play it. */
    private static final List<String> SCENARIOS = List.of(
            "active-close-fin-wait-2-time-wait.pkt",               // FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED after 2MSL
            "icmp-frag-needed-lowers-mss.pkt",                     // RFC 1191: MSS lowered, outstanding data resent
            "icmp-host-unreachable-ends-connect.pkt",              // tcp_v4_err(): an ICMP error ends a connect
            "fin-wait-1-fin-ack-straight-to-time-wait.pkt",        // FIN+ACK in FIN-WAIT-1 goes straight to TIME-WAIT
            "time-wait-retransmitted-fin-restarts-2msl.pkt",       // a retransmitted FIN is re-ACKed and restarts 2MSL
            "passive-close-close-wait-last-ack.pkt",               // CLOSE-WAIT, read = 0, LAST-ACK -> CLOSED
            "close-wait-pile-up-when-server-never-closes.pkt",     // a server that never closes piles up CLOSE-WAIT
            "simultaneous-close-through-closing.pkt",              // simultaneous close through CLOSING
            "simultaneous-open.pkt",                               // simultaneous open
            "abortive-close-linger-zero.pkt",                      // SO_LINGER {on, 0}: RST, no TIME-WAIT
            "close-with-unread-data-sends-rst.pkt",                // close with unread data sends RST
            "listener-close-resets-unaccepted.pkt",                // closing a listener resets connections not accepted
            "half-close-shutdown-write-keeps-reading.pkt",         // shutdown output while still reading
            "keepalive-dead-peer-detected.pkt",                    // idle / interval / count; dead after idle + interval x count
            "keepalive-rebooted-peer-answers-rst.pkt",             // a rebooted peer answers with RST
            "write-after-peer-reset.pkt",                          // writing after the peer reset: connection reset
            "time-wait-pile-up-on-the-closing-side.pkt",           // TIME-WAIT piles up on the side that closes first
            "time-wait-port-reuse-and-newer-syn.pkt",              // SO_REUSEADDR port reuse; a higher SYN accepted in TIME-WAIT
            "time-wait-cap-skips-time-wait.pkt",                   // a cap on TIME-WAIT entries
            "old-duplicate-syn-ack-reset-by-client.pkt",           // an old duplicate SYN reset by the three-way handshake (A)
            "old-duplicate-syn-reset-back-to-listen.pkt",          // the same from B's side
            "orphaned-fin-wait-2-reclaimed.pkt");                  // orphaned FIN-WAIT-2 reclaimed after its timeout

    /** Further rules, checked the same way. */
    private static final List<String> RULES = List.of(
            "blocking-connect-and-accept.pkt",
            "time-wait-fin-without-ack-is-answered.pkt",          // Linux, not RFC 9293's fifth check (the kernel agrees)
            "time-wait-rfc793-syn-in-window-resets.pkt",
            "time-wait-rst-only-at-rcv-nxt-closes.pkt",           // Linux: no challenge ACK in TIME-WAIT (the kernel agrees)
            "time-wait-answers-throttled-per-entry.pkt",          // tcp_timewait_check_oow_rate_limit() (the kernel agrees)
            "tcp-info-traffic-counts-and-delayed-fin-ack.pkt",    // tcp_get_info()'s counts, tcp_fin()'s ACK (the kernel agrees)
            "time-wait-rfc793-rst-in-window-closes.pkt",
            "nagle-holds-small-segment-until-ack.pkt",             // RFC 9293 §3.7.4 with Minshall's refinement
            "nodelay-sends-small-segments-at-once.pkt",            // TCP_NODELAY
            "ecn-ce-echoed-until-cwr.pkt",                         // RFC 3168 §6.1: ECN-setup, ECT(0), ECE until CWR, CWR once
            "notsent-lowat-and-cork-set-by-setsockopt.pkt",        // TCP_CORK and TCP_NOTSENT_LOWAT reach the connection
            "reno-duplicate-acks-count-as-delivered.pkt",          // tcp_remove_reno_sacks(), tcp_reset_reno_sack() (the kernel agrees)
            "paws-one-tick-window.pkt",                            // tcp_paws_discard(): TCP_PAWS_WINDOW (the kernel agrees)
            "md5-keys-sign-and-drop-unsigned.pkt",                 // RFC 2385 as tcp_inbound_md5_hash() (the kernel agrees)
            "md5-listener-key-added-during-handshake.pkt",         // the request checked with the listener's keys (the kernel agrees)
            "mss-bounded-by-half-the-peer-window.pkt",             // tcp_bound_to_half_wnd(), PSH per GSO packet (the kernel agrees)
            "window-opening-after-zero-pushes-gso-packet.pkt",     // max_window from the handshake's ACK (the kernel agrees)
            "window-scale-sized-for-a-locked-receive-buffer.pkt",  // tcp_connect_init() with SOCK_RCVBUF_LOCK (the kernel agrees)
            "listener-receive-buffer-sizes-the-syn-ack-window.pkt"); // tcp_openreq_init_rwin() (the kernel agrees)

    @Test
    void everyScenarioOfDesignSection13HasAScript_andEveryScriptIsListed() {
        Set<String> all = new TreeSet<>(SCENARIOS);
        all.addAll(RULES);
        assertEquals(all, new TreeSet<>(scriptsOnDisk()));
    }

    @TestFactory
    Stream<DynamicTest> ownScripts_passExactly_withNothingSkipped() {
        return Stream.concat(SCENARIOS.stream(), RULES.stream()).map(name -> DynamicTest.dynamicTest(name, () -> {
            RunResult r = ScriptRunner.run(name, read(name), Set.of(), RunOptions.of(TcpProfile.linux()));
            assertTrue(r.passed(), () -> name + ": " + r.failure().format());
            assertEquals(List.of(), r.skipped(), name + ": skipped lines");
        }));
    }

    static String read(String name) {
        try (InputStream in = OwnScriptsTest.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + DIR + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> scriptsOnDisk() {
        URL url = OwnScriptsTest.class.getResource(DIR);
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".pkt")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
