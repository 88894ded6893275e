package io.usertcp.tun;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Our stack on a TUN device, the Linux kernel as its peer, in a namespace of their own. */
@Tag("tun")
@Timeout(60)
class TunStackHostTest {

    @BeforeAll
    static void needTun() {
        TunTestSupport.requireTun();
        TunTestSupport.requireCommand("ping", "iputils-ping");
    }

    @Test
    void kernelClient_talksToOurServer_andPingIsAnswered() throws Exception {
        try (TunStackHost host = TunStackHost.start("usertcp-hosttest")) {
            var ping = host.namespace().exec("ping", "-c", "1", "-W", "2", TunStackHost.STACK_ADDRESS.toString());
            assertEquals(0, ping.exitCode(), ping.output());

            try (TcpServerSocket server = new TcpServerSocket(host.runner(), 7, 8)) {
                CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
                    try (TcpSocket s = server.accept()) {
                        byte[] buf = new byte[4096];
                        int n;
                        while ((n = s.read(buf, 0, buf.length)) > 0) {
                            s.write(buf, 0, n);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                byte[] reply = host.kernel(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(TunStackHost.STACK_ADDRESS.toString(), 7), 2000);
                        s.setSoTimeout(5000);
                        OutputStream out = s.getOutputStream();
                        out.write("hello from the kernel".getBytes(StandardCharsets.US_ASCII));
                        s.shutdownOutput();
                        InputStream in = s.getInputStream();
                        return in.readAllBytes();
                    }
                });
                assertArrayEquals("hello from the kernel".getBytes(StandardCharsets.US_ASCII), reply);
                echo.get(10, TimeUnit.SECONDS);
            }
            assertTrue(host.kernelSockets().contains("State"), "ss -tan runs inside the namespace");
        }
        TunTestSupport.assertNothingLeftInRootNamespace();
    }
}
