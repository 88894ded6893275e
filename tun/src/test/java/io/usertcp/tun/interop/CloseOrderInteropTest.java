package io.usertcp.tun.interop;

import static io.usertcp.tun.interop.InteropSupport.awaitKernelState;
import static io.usertcp.tun.interop.InteropSupport.eventually;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.usertcp.apps.GeneratedBytes;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.socket.TcpServerSocket;
import io.usertcp.tcp.CloseReason;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpState;
import io.usertcp.tun.TunStackHost;
import io.usertcp.tun.interop.InteropSupport.Received;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;

/**
 * Every order of closing a connection between our stack and the kernel, with the states each side
 * passes through: ours from the stack's own record, the kernel's from {@code ss -tan} in the
 * namespace (DESIGN.md §13, the close stories). Each runs once per behaviour profile of our stack
 * (linux, rfc, freebsd) against the same kernel, with that profile's own numbers unchanged: what
 * these wait for on our side is at most a retransmission of our FIN or a delayed ACK, which every
 * profile bounds well inside {@link #WAIT} (the longest: rfc's RTO min of 1 s), and TIME-WAIT is
 * only seen entered, never left, so its length (60 s, or rfc's 240 s) does not matter.
 */
@Tag("tun")
@Timeout(60)
class CloseOrderInteropTest {
    static final Duration WAIT = InteropSupport.WAIT;

    TransitionLog log;
    TunStackHost host;

    @BeforeAll
    static void needTun() {
        InteropSupport.requireTun();
    }

    /** Our stack in {@code profile}, with that profile's numbers, recording its state changes. */
    void start(TcpProfile.Reference profile) {
        log = new TransitionLog();
        host = TunStackHost.start("usertcp-interop-close", TunStackHost.DEFAULT_MTU,
                c -> c.withTcp(InteropSupport.tcp(profile)).withObserver(log));
        assertEquals(InteropSupport.profile(profile), host.runner().call(now -> host.stack().profile()));
    }

    @AfterEach
    void stop() {
        if (host != null) {
            host.close();
        }
        InteropSupport.assertNothingLeftInRootNamespace();
    }

    // RFC 9293 §3.6 (case 1) and Figure 5: the side that closes first holds TIME-WAIT
    @EachProfile
    void weCloseFirst_weHoldTimeWait_kernelPassesCloseWaitAndLastAck(TcpProfile.Reference profile) throws Exception {
        start(profile);
        try (Connected c = Connected.ourClient(host)) {
            exchange(c);
            c.ours.close();
            log.awaitState(c.id(), TcpState.FIN_WAIT_2, WAIT);
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "CLOSE-WAIT");

            assertEquals(-1, c.kernel.getInputStream().read(), "the kernel reads end of stream at our FIN");
            c.kernel.close();
            log.awaitState(c.id(), TcpState.TIME_WAIT, WAIT);
            awaitKernelState(host, c.kernelPort(), c.stackPort(), null); // LAST-ACK, then CLOSED at our ACK
            assertEquals(List.of(TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.TIME_WAIT),
                    tail(log.path(c.id()), 4));
            assertEquals(1, (int) host.runner().call(now -> host.stack().timeWaitCount()), "our TIME-WAIT entry");
            assertEquals(0, (int) host.runner().call(now -> host.stack().connectionCount()));
        }
    }

    // RFC 9293 §3.6 (case 2): the kernel closes first and holds TIME-WAIT; we pass CLOSE-WAIT and LAST-ACK
    @EachProfile
    void kernelClosesFirst_kernelHoldsTimeWait_wePassCloseWaitAndLastAck(TcpProfile.Reference profile) throws Exception {
        start(profile);
        try (Connected c = Connected.ourClient(host)) {
            exchange(c);
            c.kernel.close();
            assertEquals(-1, c.ours.getInputStream().read(), "we read end of stream at the kernel's FIN");
            assertEquals(TcpState.CLOSE_WAIT, c.ourState());
            c.ours.close();
            log.awaitState(c.id(), TcpState.CLOSED, WAIT);
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "TIME-WAIT");
            assertEquals(List.of(TcpState.ESTABLISHED, TcpState.CLOSE_WAIT, TcpState.LAST_ACK, TcpState.CLOSED),
                    tail(log.path(c.id()), 4));
            assertEquals(CloseReason.NORMAL, c.ours.closeReason());
            assertEquals(0, (int) host.runner().call(now -> host.stack().timeWaitCount()), "no TIME-WAIT on our side");
            assertEquals(0, (int) host.runner().call(now -> host.stack().connectionCount()));
        }
    }

    // DESIGN.md §13 passive close: a server that does not close sits in CLOSE-WAIT, its peer in FIN-WAIT-2
    @EachProfile
    void kernelFinWait2_whileOurApplicationHoldsCloseWait_thenOurCloseLeavesKernelInTimeWait(TcpProfile.Reference profile) throws Exception {
        start(profile);
        try (Connected c = Connected.kernelClient(host)) {
            exchange(c);
            c.kernel.close();
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "FIN-WAIT-2");
            log.awaitState(c.id(), TcpState.CLOSE_WAIT, WAIT);
            assertEquals(TcpState.CLOSE_WAIT, c.ourState(), "our application has not closed: CLOSE-WAIT");
            assertEquals("FIN-WAIT-2", c.kernelState(host), "and the kernel waits for our FIN");

            assertEquals(-1, c.ours.getInputStream().read(), "end of stream is the signal to close");
            c.ours.close();
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "TIME-WAIT");
            log.awaitState(c.id(), TcpState.CLOSED, WAIT);
            assertEquals(List.of(TcpState.CLOSE_WAIT, TcpState.LAST_ACK, TcpState.CLOSED), tail(log.path(c.id()), 3));
        }
    }

    /**
     * RFC 9293 §3.6 Figure 6 (simultaneous close). Both FINs are made to cross: nftables in the
     * namespace drops the kernel's FINs on their way out and ours on their way in, both sides close,
     * then the kernel's FIN is let through first: we get it in FIN-WAIT-1, before our FIN is acked,
     * and pass CLOSING; both sides end in TIME-WAIT.
     */
    @EachProfile
    void simultaneousClose_bothSidesEndInTimeWait_wePassClosing(TcpProfile.Reference profile) throws Exception {
        start(profile);
        try (Connected c = Connected.ourClient(host)) {
            exchange(c);
            Nft.add(host.namespace(), "kfin", Nft.Hook.OUTPUT, "ip", "daddr", InteropSupport.STACK,
                    "tcp", "flags", "&", "fin", "==", "fin", "drop");
            Nft.add(host.namespace(), "ourfin", Nft.Hook.INPUT, "ip", "saddr", InteropSupport.STACK,
                    "tcp", "flags", "&", "fin", "==", "fin", "drop");
            c.kernel.close();
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "FIN-WAIT-1");
            c.ours.close();
            log.awaitState(c.id(), TcpState.FIN_WAIT_1, WAIT);
            assertEquals("FIN-WAIT-1", c.kernelState(host), "neither FIN has arrived: both in FIN-WAIT-1");

            Nft.remove(host.namespace(), "kfin");
            log.awaitState(c.id(), TcpState.CLOSING, WAIT); // the kernel's retransmitted FIN, without the ACK of ours
            Nft.remove(host.namespace(), "ourfin");
            log.awaitState(c.id(), TcpState.TIME_WAIT, WAIT);
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "TIME-WAIT");
            assertEquals(List.of(TcpState.ESTABLISHED, TcpState.FIN_WAIT_1, TcpState.CLOSING, TcpState.TIME_WAIT),
                    tail(log.path(c.id()), 4));
            assertEquals(1, (int) host.runner().call(now -> host.stack().timeWaitCount()));
        }
    }

    // RFC 9293 §3.10.5 ABORT, SO_LINGER {on, 0}: RST, no TIME-WAIT; Linux reports ECONNRESET to the peer
    @EachProfile
    void weAbortWithLingerZero_kernelSeesConnectionReset_nobodyHoldsTimeWait(TcpProfile.Reference profile) throws Exception {
        start(profile);
        try (Connected c = Connected.kernelClient(host)) {
            exchange(c);
            c.ours.setSoLinger(true, 0);
            c.ours.close();
            SocketException e = assertThrows(SocketException.class, () -> c.kernel.getInputStream().read());
            assertEquals("Connection reset", e.getMessage());
            assertEquals(CloseReason.ABORTED, c.ours.closeReason());
            assertEquals(List.of(TcpState.ESTABLISHED, TcpState.CLOSED), tail(log.path(c.id()), 2));
            awaitKernelState(host, c.kernelPort(), c.stackPort(), null);
            assertEquals(0, (int) host.runner().call(now -> host.stack().timeWaitCount()));
            assertEquals(1L, (long) host.runner().call(now -> host.stack().stats().get(Counter.TcpExtTCPAbortOnLinger)));
        }
    }

    // RFC 9293 §3.10.7.4 (second check, RST in a synchronized state): the user gets "connection reset"
    @EachProfile
    void kernelAbortsWithLingerZero_weSeeConnectionReset(TcpProfile.Reference profile) throws Exception {
        start(profile);
        try (Connected c = Connected.ourClient(host)) {
            exchange(c);
            c.kernel.setSoLinger(true, 0);
            c.kernel.close();
            SocketException e = assertThrows(SocketException.class, () -> c.ours.getInputStream().read());
            assertEquals("Connection reset", e.getMessage());
            assertEquals(CloseReason.RESET, c.ours.closeReason());
            assertEquals(TcpState.CLOSED, c.ourState());
            SocketException write = assertThrows(SocketException.class, () -> c.ours.getOutputStream().write(1));
            assertEquals("Connection reset", write.getMessage(), "writing after the peer's reset");
            assertEquals(0, (int) host.runner().call(now -> host.stack().connectionCount()));
            assertEquals(0, (int) host.runner().call(now -> host.stack().timeWaitCount()));
        }
    }

    /**
     * RFC 2525 §2.17 / RFC 9293 §3.10.4: closing with unread data resets. As between two Linux
     * hosts, what the closing side wrote before closing still arrives first: the kernel reads the
     * reply, then gets "Connection reset". Twenty times, because whether the write's segment leaves
     * before the close's RST once depended on how the stack thread's turns fell.
     */
    @EachProfile
    void weCloseWithUnreadData_kernelReadsTheReplyThenConnectionReset(TcpProfile.Reference profile) throws Exception {
        start(profile);
        for (int i = 0; i < 20; i++) {
            try (Connected c = Connected.kernelClient(host)) {
                c.kernel.getOutputStream().write("request with more bytes than the server reads".getBytes(StandardCharsets.US_ASCII));
                byte[] start = c.ours.getInputStream().readNBytes(7);
                assertEquals("request", new String(start, StandardCharsets.US_ASCII));
                c.ours.getOutputStream().write("reply".getBytes(StandardCharsets.US_ASCII));
                c.ours.close();
                assertEquals(CloseReason.ABORTED_UNREAD_DATA, c.ours.closeReason());
                InputStream in = c.kernel.getInputStream();
                assertEquals("reply", new String(in.readNBytes(5), StandardCharsets.US_ASCII), "connection " + i);
                SocketException e = assertThrows(SocketException.class, in::read);
                assertEquals("Connection reset", e.getMessage());
            }
        }
    }

    // The same the other way: Linux tcp_close with unread data sends RST; we read what came before it, then the reset
    @EachProfile
    void kernelClosesWithUnreadData_weReadTheReplyThenConnectionReset(TcpProfile.Reference profile) throws Exception {
        start(profile);
        try (Connected c = Connected.ourClient(host)) {
            c.ours.getOutputStream().write("request with more bytes than the server reads".getBytes(StandardCharsets.US_ASCII));
            byte[] start = c.kernel.getInputStream().readNBytes(7);
            assertEquals("request", new String(start, StandardCharsets.US_ASCII));
            c.kernel.getOutputStream().write("reply".getBytes(StandardCharsets.US_ASCII));
            c.kernel.close();
            InputStream in = c.ours.getInputStream();
            assertEquals("reply", new String(in.readNBytes(5), StandardCharsets.US_ASCII));
            SocketException e = assertThrows(SocketException.class, in::read);
            assertEquals("Connection reset", e.getMessage());
            assertEquals(CloseReason.RESET, c.ours.closeReason());
        }
    }

    // RFC 9293 §3.6 half close: after our FIN we keep receiving until the kernel's FIN
    @EachProfile
    void weShutdownOutput_kernelReadsEndOfStream_andKeepsSendingToUs(TcpProfile.Reference profile) throws Exception {
        start(profile);
        int length = 300_000;
        try (Connected c = Connected.ourClient(host)) {
            c.ours.shutdownOutput();
            assertEquals(-1, c.kernel.getInputStream().read(), "the kernel reads end of stream");
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "CLOSE-WAIT");
            log.awaitState(c.id(), TcpState.FIN_WAIT_2, WAIT);

            CompletableFuture<Void> kernelSends = CompletableFuture.runAsync(() -> {
                try {
                    InteropSupport.sendGenerated(c.kernel.getOutputStream(), length);
                    c.kernel.close();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Received r = InteropSupport.receiveAndHash(c.ours.getInputStream());
            kernelSends.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(length, r.bytes());
            assertArrayEquals(GeneratedBytes.sha256(length), r.sha256());
            log.awaitState(c.id(), TcpState.TIME_WAIT, WAIT);
            awaitKernelState(host, c.kernelPort(), c.stackPort(), null);
        }
    }

    // RFC 9293 §3.6 half close, the other way: in CLOSE-WAIT we may still send (§3.10.2 SEND in CLOSE-WAIT)
    @EachProfile
    void kernelShutsDownOutput_weReadEndOfStream_andKeepSendingToIt(TcpProfile.Reference profile) throws Exception {
        start(profile);
        int length = 300_000;
        try (Connected c = Connected.kernelClient(host)) {
            c.kernel.shutdownOutput();
            assertEquals(-1, c.ours.getInputStream().read(), "we read end of stream");
            assertEquals(TcpState.CLOSE_WAIT, c.ourState());
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "FIN-WAIT-2");

            CompletableFuture<Void> weSend = CompletableFuture.runAsync(() -> {
                try {
                    InteropSupport.sendGenerated(c.ours.getOutputStream(), length);
                    c.ours.close();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            Received r = InteropSupport.receiveAndHash(c.kernel.getInputStream());
            weSend.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertEquals(length, r.bytes());
            assertArrayEquals(GeneratedBytes.sha256(length), r.sha256());
            awaitKernelState(host, c.kernelPort(), c.stackPort(), "TIME-WAIT");
            log.awaitState(c.id(), TcpState.CLOSED, WAIT);
            assertEquals(List.of(TcpState.CLOSE_WAIT, TcpState.LAST_ACK, TcpState.CLOSED), tail(log.path(c.id()), 3));
        }
    }

    // DESIGN.md §13: closing a listener resets the connections not yet accepted (Linux inet_csk_listen_stop)
    @EachProfile
    void closingOurListener_resetsAConnectionNotYetAccepted(TcpProfile.Reference profile) throws Exception {
        start(profile);
        TcpServerSocket listener = new TcpServerSocket(host.runner(), Connected.PORT, 8);
        Future<Socket> kernel = host.namespace().submitInside(() -> {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(InteropSupport.STACK, Connected.PORT), Peers.CONNECT_TIMEOUT_MILLIS);
            s.setSoTimeout(Connected.READ_TIMEOUT_MILLIS);
            return s;
        });
        try (Socket s = Peers.get(kernel)) {
            eventually(WAIT, () -> host.runner().call(now -> host.stack().connectionCount()) == 1,
                    () -> "the handshake completed on our side");
            listener.close();
            SocketException e = assertThrows(SocketException.class, () -> s.getInputStream().read());
            assertEquals("Connection reset", e.getMessage());
            assertEquals(0, (int) host.runner().call(now -> host.stack().connectionCount()));
        }
    }

    // ---------------------------------------------------------------- helpers

    /** One byte each way, so both sides have seen the connection established and carry data. */
    private static void exchange(Connected c) throws IOException {
        c.ours.getOutputStream().write('q');
        assertEquals('q', c.kernel.getInputStream().read());
        c.kernel.getOutputStream().write('a');
        assertEquals('a', c.ours.getInputStream().read());
    }

    private static <T> List<T> tail(List<T> list, int n) {
        return list.subList(Math.max(0, list.size() - n), list.size());
    }
}
