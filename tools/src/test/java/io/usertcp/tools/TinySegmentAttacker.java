package io.usertcp.tools;

import io.usertcp.apps.GeneratedBytes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Issue 18's first attack, as a program run inside a serve's namespace ({@code ip netns exec}):
 * {@code ATTACKERS} kernel connections to an echo server send one byte per write (TCP_NODELAY) and
 * never read, so the echo server stalls on them and its receive buffers fill with tiny segments.
 * It stops when no connection could take a byte for a second (every window closed) or after
 * {@code SECONDS}, prints {@code stalled written=N}; then echoes 1 MiB on a fresh connection and
 * prints {@code echo ok} or {@code echo wrong}; then holds its connections open until its standard
 * input ends (at most {@code SECONDS} more), so that the test can read the server's counters.
 *
 * <p>Arguments: {@code ADDRESS PORT ATTACKERS SECONDS}. Bounded in count (16 MiB per connection)
 * and time.
 */
public final class TinySegmentAttacker {
    private static final int MAX_BYTES_EACH = 16 << 20;
    private static final int ECHO_BYTES = 1 << 20;

    private TinySegmentAttacker() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress target = new InetSocketAddress(args[0], Integer.parseInt(args[1]));
        int attackers = Integer.parseInt(args[2]);
        long limitNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(args[3]));
        List<SocketChannel> channels = new ArrayList<>();
        try {
            for (int i = 0; i < attackers; i++) {
                SocketChannel ch = SocketChannel.open();
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096); // a small window for the echo: the server stalls sooner
                ch.connect(target);
                channels.add(ch);
            }
            long written = flood(channels, System.nanoTime() + limitNanos);
            System.out.println("stalled written=" + written);
            System.out.println(echo(target) ? "echo ok" : "echo wrong");
            System.out.flush();
            long deadline = System.nanoTime() + limitNanos;
            InputStream in = System.in;
            while (System.nanoTime() < deadline && in.read() >= 0) {
                // the test closes our standard input when it has read the server's counters
            }
        } finally {
            for (SocketChannel ch : channels) {
                ch.close();
            }
        }
    }

    /** One byte per write to each channel that takes it, until none has for a second, or the deadline. */
    private static long flood(List<SocketChannel> channels, long deadlineNanos) throws IOException {
        try (Selector selector = Selector.open()) {
            for (SocketChannel ch : channels) {
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_WRITE, new long[1]);
            }
            ByteBuffer one = ByteBuffer.allocate(1);
            long total = 0;
            while (System.nanoTime() < deadlineNanos && !selector.keys().isEmpty()) {
                if (selector.select(1000) == 0) {
                    break; // a second without room anywhere: every window is closed
                }
                for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    long[] count = (long[]) key.attachment();
                    one.clear().put(0, (byte) 'x');
                    int n = ((SocketChannel) key.channel()).write(one);
                    count[0] += n;
                    total += n;
                    if (count[0] >= MAX_BYTES_EACH) {
                        key.cancel();
                    }
                }
            }
            return total;
        }
    }

    private static boolean echo(InetSocketAddress target) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(target, 5000);
            s.setSoTimeout(20_000);
            Thread writer = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (int done = 0; done < ECHO_BYTES; done += chunk.length) {
                        GeneratedBytes.fill(done, chunk, 0, chunk.length);
                        out.write(chunk);
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    System.out.println("echo write failed: " + e);
                }
            });
            writer.start();
            MessageDigest digest = GeneratedBytes.newSha256();
            byte[] buf = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = s.getInputStream().read(buf)) >= 0) {
                digest.update(buf, 0, n);
                total += n;
            }
            writer.join(20_000);
            return total == ECHO_BYTES && Arrays.equals(digest.digest(), GeneratedBytes.sha256(ECHO_BYTES));
        }
    }
}
