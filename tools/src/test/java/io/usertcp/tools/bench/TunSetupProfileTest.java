package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.TcpConfig;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.socket.StreamEndpoint;
import io.usertcp.tools.ToolsTunSupport;
import io.usertcp.tools.bench.Setup.Loss;
import io.usertcp.tools.bench.Setup.LossAt;
import io.usertcp.tun.NetworkNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code usertcp bench --profile}: our side of every case runs the chosen profile with its
 * reference's numbers, with and without the loss at our ingress (two ways of assembling the
 * stack), and what a case changes on top stays changed; every kernel in it runs Linux's default
 * congestion control, as our stack.
 */
@Tag("tun")
@Timeout(60)
class TunSetupProfileTest {

    @BeforeAll
    static void needTun() {
        ToolsTunSupport.requireTun();
    }

    @AfterEach
    void nothingLeft() {
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    @ParameterizedTest
    @EnumSource(TcpProfile.Reference.class)
    void ourStack_runsTheProfile_withItsReferenceNumbers(TcpProfile.Reference reference) {
        TcpProfile profile = TcpProfile.of(reference.label());
        try (TunSetup s = TunSetup.start(profile, 1500, Loss.NONE)) {
            assertEquals(TcpConfig.forProfile(profile), s.runner().call(now -> s.runner().stack().config()));
            assertEquals(profile, s.runner().call(now -> s.runner().stack().profile()));
        }
        try (TunSetup s = TunSetup.start(profile, 1500, new Loss(LossAt.SERVER_INGRESS, new LossRate(10)))) {
            assertEquals(TcpConfig.forProfile(profile), s.runner().call(now -> s.runner().stack().config()),
                    "the stack behind the lossy link too");
        }
    }

    @Test
    void aCasesChanges_applyOnTopOfTheProfilesNumbers() {
        long hour = 3_600_000_000_000L;
        try (TunSetup s = TunSetup.start(TcpProfile.rfc(), 1500, Loss.NONE, c -> c.toBuilder().timeWaitNanos(hour).build(), true)) {
            TcpConfig ran = s.runner().call(now -> s.runner().stack().config());
            assertEquals(TcpConfig.rfc().toBuilder().timeWaitNanos(hour).build(), ran);
            assertEquals(TcpConfig.rfc().rtoMinNanos(), ran.rtoMinNanos(), "the rfc profile's RTO min, 1 s");
        }
    }

    /**
     * The kernels of both sides run cubic, as our stack, whatever this machine chose (its image sets
     * bbr): a connection's kernel end says so in {@code ss -ti}.
     */
    @Test
    void everyKernelOfTheBench_runsCubic() throws Exception {
        try (TunSetup s = TunSetup.start(TcpProfile.linux(), 1500, Loss.NONE)) {
            assertKernelEndsRunCubic(s, s.clientNamespace(), "the kernel client of our stack");
        }
        try (TunSetup s = TunSetup.start(TcpProfile.linux(), 1500, new Loss(LossAt.SERVER_INGRESS, new LossRate(10)))) {
            assertKernelEndsRunCubic(s, s.clientNamespace(), "the kernel client, beside the lossy link");
        }
        try (TunSetup s = TunSetup.sharded(TcpProfile.linux(), 1500, true, 2)) {
            // (its listener would be on one shard: a flow hashed to the other would be refused)
            String routes = s.clientNamespace().exec("ip", "-o", "-4", "route", "show", "table", "main").output();
            assertFalse(routes.isBlank(), "the namespace has routes");
            for (String route : routes.strip().split("\n")) {
                assertTrue(route.contains(" congctl cubic"), "beside the shards, each route: " + route);
            }
        }
        try (VethSetup s = VethSetup.start(1500, Loss.NONE)) {
            assertKernelEndsRunCubic(s, s.clientNamespace(), "the kernel client");
            assertKernelEndsRunCubic(s, s.serverNamespace(), "the kernel server");
        }
    }

    /** One connection client to server; the kernel sockets in {@code ns} show their congestion control. */
    private static void assertKernelEndsRunCubic(Setup s, NetworkNamespace ns, String what) throws Exception {
        try (Acceptor a = s.listen(5201, 4, 5_000);
             StreamEndpoint client = s.clientNamespace().runInside(() -> Workloads.connectKernel(s.serverAddress(), 5201, 5_000));
             StreamEndpoint server = a.accept()) {
            String ss = ns.exec("ss", "-tin", "state", "established").output();
            assertTrue(ss.contains(" cubic "), what + ":\n" + ss);
            assertFalse(ss.contains(" bbr "), what + ":\n" + ss);
        }
    }
}
