package io.usertcp.tun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** DESIGN.md §7: whatever is missing is said in one line, with how to get it. Pure. */
class TunSupportTest {
    private static final long ALL_CAPS = (1L << TunSupport.CAP_NET_ADMIN) | (1L << TunSupport.CAP_SYS_ADMIN);

    @Test
    void reason_nothingMissing_isNull() {
        assertNull(TunSupport.reason("Linux", "amd64", ALL_CAPS, true, "/usr/sbin/ip", null));
        assertNull(TunSupport.reason("Linux", "aarch64", -1L, true, "/sbin/ip", null));
    }

    @Test
    void reason_notRoot_namesBothCapabilitiesAndHowToGetThem() {
        assertEquals("TUN unavailable: missing CAP_NET_ADMIN and CAP_SYS_ADMIN (not root?): run as root (sudo), "
                + "or start the container with --cap-add NET_ADMIN --cap-add SYS_ADMIN",
                TunSupport.reason("Linux", "amd64", 0, true, "/usr/sbin/ip", null));
        String onlyNetAdmin = TunSupport.reason("Linux", "amd64", 1L << TunSupport.CAP_NET_ADMIN, true, "/usr/sbin/ip", null);
        assertTrue(onlyNetAdmin.startsWith("TUN unavailable: missing CAP_SYS_ADMIN (not root?)"), onlyNetAdmin);
    }

    @Test
    void reason_noDevNetTun_saysModprobeOrDevice() {
        assertEquals("TUN unavailable: no /dev/net/tun: load the module (modprobe tun), "
                + "or start the container with --device /dev/net/tun",
                TunSupport.reason("Linux", "amd64", ALL_CAPS, false, "/usr/sbin/ip", null));
    }

    @Test
    void reason_noIpCommand_saysInstallIproute2() {
        assertEquals("TUN unavailable: no 'ip' command (needed for network namespaces): install iproute2 "
                + "(apt-get install iproute2)", TunSupport.reason("Linux", "amd64", ALL_CAPS, true, null, null));
    }

    @Test
    void reason_notLinuxOrOtherArch_orNoJna_isOneLine() {
        String mac = TunSupport.reason("Mac OS X", "aarch64", ALL_CAPS, true, "/usr/sbin/ip", null);
        assertTrue(mac.startsWith("TUN unavailable: os.name is Mac OS X (expected: Linux"), mac);
        String riscv = TunSupport.reason("Linux", "riscv64", ALL_CAPS, true, "/usr/sbin/ip", null);
        assertTrue(riscv.startsWith("TUN unavailable: os.arch is riscv64"), riscv);
        String jna = TunSupport.reason("Linux", "amd64", ALL_CAPS, true, "/usr/sbin/ip", new UnsatisfiedLinkError("no jnidispatch"));
        assertTrue(jna.startsWith("TUN unavailable: JNA could not bind libc (java.lang.UnsatisfiedLinkError: no jnidispatch)"), jna);
        for (String reason : new String[] {mac, riscv, jna}) {
            assertEquals(1, reason.lines().count());
        }
    }

    @Test
    void reason_firstMissingPieceFirst() {
        String reason = TunSupport.reason("Linux", "amd64", 0, false, null, null);
        assertTrue(reason.contains("CAP_NET_ADMIN"), reason);
    }
}
