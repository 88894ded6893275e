package io.usertcp.tun.examples;

import io.usertcp.socket.TcpServerSocket;
import io.usertcp.socket.TcpSocket;
import io.usertcp.tun.TunStackHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An echo server on our stack, blocking sockets as java.net's: the namespace's kernel connects,
 * sends a line, and reads it back.
 */
public final class EchoServerExample {
    private EchoServerExample() {
    }

    public static void main(String[] args) throws Exception {
        System.out.print(run("hello from the kernel\n"));
    }

    /** Returns what the kernel's client read back. */
    public static String run(String line) throws Exception {
        // README:begin
        try (TunStackHost host = TunStackHost.start("usertcp-example"); // a namespace, a TUN device, our stack on it
             TcpServerSocket server = new TcpServerSocket(host.runner(), 7, 128)) {
            Thread echo = new Thread(() -> {
                try (TcpSocket s = server.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream()); // until the client's FIN
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            echo.start();
            String reply = host.kernel(() -> { // java.net on a thread inside the namespace: the kernel's client
                try (Socket client = new Socket(host.stackAddress().toString(), 7)) {
                    client.getOutputStream().write(line.getBytes(StandardCharsets.UTF_8));
                    client.shutdownOutput();
                    return new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                }
            });
            echo.join();
            return reply;
        } // the stack stops, the namespace and its device are deleted
        // README:end
    }
}
