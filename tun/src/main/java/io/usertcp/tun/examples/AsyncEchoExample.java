package io.usertcp.tun.examples;

import io.usertcp.socket.AsyncTcpConnection;
import io.usertcp.socket.AsyncTcpServer;
import io.usertcp.tun.TunStackHost;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The asynchronous API: an echo server made of CompletableFutures, no thread of its own; the
 * namespace's kernel is the client.
 */
public final class AsyncEchoExample {
    private AsyncEchoExample() {
    }

    public static void main(String[] args) throws Exception {
        System.out.print(run("hello, asynchronously\n"));
    }

    // README:begin
    /** Writes back what it reads until the end of the stream, then closes: each step when the last completes. */
    static CompletableFuture<Void> echo(AsyncTcpConnection c) {
        return c.read().thenCompose(bytes -> bytes == null
                ? c.close().thenApply(reason -> null)
                : c.write(bytes).thenCompose(done -> echo(c)));
    }

    /** Returns what the kernel's client read back. */
    public static String run(String line) throws Exception {
        try (TunStackHost host = TunStackHost.start("usertcp-example");
             AsyncTcpServer server = AsyncTcpServer.listen(host.runner(), 7, 128, AsyncEchoExample::echo)) {
            return host.kernel(() -> {
                try (Socket client = new Socket(host.stackAddress().toString(), 7)) {
                    client.getOutputStream().write(line.getBytes(StandardCharsets.UTF_8));
                    client.shutdownOutput();
                    return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                }
            });
        }
    }
    // README:end
}
