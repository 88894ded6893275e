package io.usertcp.tun.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.usertcp.tun.TunTestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The library examples, run as a user would run them: each over a real TUN device against the kernel. */
class ExamplesTest {

    @BeforeAll
    static void requireTun() {
        TunTestSupport.requireTun();
    }

    @AfterEach
    void nothingLeft() {
        TunTestSupport.assertNothingLeftInRootNamespace();
        assertEquals(java.util.List.of(), TunTestSupport.ourNamespaces(), "the examples delete their namespaces");
    }

    @Test
    void echoServer_theKernelsClientReadsItsLineBack() throws Exception {
        assertEquals("hello from the kernel\n", EchoServerExample.run("hello from the kernel\n"));
    }

    @Test
    void client_readsTheKernelServersGreeting() throws Exception {
        assertEquals("hello from the kernel", ClientExample.run());
    }

    @Test
    void asyncEcho_theKernelsClientReadsItsLineBack() throws Exception {
        String big = "x".repeat(100_000) + "\n"; // more than one read's worth: the chain of futures goes round
        assertEquals(big, AsyncEchoExample.run(big));
    }

    @Test
    void loopEcho_theKernelsClientReadsItsLineBack() throws Exception {
        String big = "y".repeat(3_000_000) + "\n"; // more than the send buffer: the handler waits for room
        assertEquals(big, LoopEchoExample.run(big));
    }

    @Test
    void nettyHttpServer_curlInTheNamespaceGetsTheResponse() throws Exception {
        TunTestSupport.requireCommand("curl", "curl"); // CI fails without it; scripts/test.sh installs it
        assertEquals("hello from Netty over usertcp: /hello\n", NettyHttpServerExample.run("/hello", true));
    }

    @Test
    void nettyHttpServer_javaNetHttpClientInTheNamespaceGetsTheResponse() throws Exception {
        assertEquals("hello from Netty over usertcp: /java\n", NettyHttpServerExample.run("/java", false));
    }

    @Test
    void nettyEchoClient_readsItsLineBackFromTheKernelsEchoServer() throws Exception {
        String big = "z".repeat(1_000_000) + "\n"; // more than a window's worth: many reads and writes both ways
        assertEquals(big, NettyEchoClientExample.run(big));
    }
}
