package io.usertcp.tun.examples;

import io.usertcp.socket.TcpSocket;
import io.usertcp.tun.TunStackHost;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** A client on our stack: it connects to a kernel server in the namespace, which greets it. */
public final class ClientExample {
    private ClientExample() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println(run());
    }

    /** Returns the kernel server's greeting as our client read it. */
    public static String run() throws Exception {
        // README:begin
        try (TunStackHost host = TunStackHost.start("usertcp-example")) {
            // a kernel listener, made inside the namespace so that it is the namespace's
            ServerSocket listener = host.kernel(() -> new ServerSocket(8080, 16, InetAddress.getByName(host.kernelAddress().toString())));
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (listener; Socket s = listener.accept()) {
                    s.getOutputStream().write("hello from the kernel".getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (TcpSocket client = TcpSocket.connect(host.runner(), host.kernelAddress(), 8080, 2000)) {
                String greeting = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                served.join();
                return greeting;
            }
        }
        // README:end
    }
}
