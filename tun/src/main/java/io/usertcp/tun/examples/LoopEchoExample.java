package io.usertcp.tun.examples;

import io.netty.buffer.ByteBuf;
import io.usertcp.socket.LoopConnection;
import io.usertcp.socket.LoopHandler;
import io.usertcp.socket.LoopServer;
import io.usertcp.socket.StackLoop;
import io.usertcp.tun.TunStackHost;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The event-loop API: an echo server whose handler runs on the stack's own thread, written back
 * as each segment's bytes arrive, with no thread of its own and no handoff; the namespace's kernel
 * is the client.
 */
public final class LoopEchoExample {
    private LoopEchoExample() {
    }

    public static void main(String[] args) throws Exception {
        System.out.print(run("hello from the loop\n"));
    }

    // README:begin
    /** Writes back what arrives; waits for room when the peer reads slowly; closes after the peer's FIN. */
    static final class Echo implements LoopHandler {
        private ByteBuf unsent;

        @Override
        public void onData(LoopConnection c, ByteBuf data) throws IOException {
            c.write(data);
            if (data.isReadable()) { // the send buffer is full: keep the rest, stop reading until there is room
                unsent = data.copy();
                c.setAutoRead(false);
            }
        }

        @Override
        public void onWritable(LoopConnection c) throws IOException {
            c.write(unsent);
            if (!unsent.isReadable()) {
                unsent.release();
                unsent = null;
                c.setAutoRead(true);
            }
        }

        @Override
        public void onEndOfStream(LoopConnection c) {
            c.close();
        }

        @Override
        public void onClose(LoopConnection c, IOException error) {
            if (unsent != null) {
                unsent.release();
            }
        }
    }

    /** Returns what the kernel's client read back. */
    public static String run(String line) throws Exception {
        try (TunStackHost host = TunStackHost.start("usertcp-example");
             LoopServer server = new StackLoop(host.runner()).listen(7, 128, Echo::new)) {
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
