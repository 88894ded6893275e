package io.usertcp.tools.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Talks to the {@link ControlServer} of a running stack: finds them, asks for ss, stats and info. */
public final class ControlClient {
    /** Answers are at most this long (a table of a few thousand connections). */
    private static final int MAX_ANSWER_BYTES = 64 << 20;
    /**
     * The longest {@link #request} waits for a whole answer. Longer than the server's own limit
     * ({@link ControlServer#REQUEST_MILLIS}), so a stack that is slow says so itself first.
     */
    public static final long ANSWER_MILLIS = ControlServer.REQUEST_MILLIS + 1_000;
    private static final Pattern PID_IN_NAME = Pattern.compile(".*-p([0-9]+)-n[0-9]+");

    private ControlClient() {}

    /**
     * The control sockets in {@code directory}, by name; socket files left by processes that are
     * gone are deleted on the way.
     */
    public static List<Path> discover(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!name.endsWith(ControlProtocol.SUFFIX)) {
                    continue;
                }
                Matcher m = PID_IN_NAME.matcher(name.substring(0, name.length() - ControlProtocol.SUFFIX.length()));
                if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    Files.deleteIfExists(p); // its stack is gone
                    continue;
                }
                found.add(p);
            }
        }
        return found;
    }

    /**
     * Sends one request and returns the answer's rows.
     *
     * @throws IOException when the stack does not answer, or answers {@code ERR}
     */
    public static List<String> request(Path socket, String command) throws IOException {
        return request(socket, command, ANSWER_MILLIS);
    }

    /** {@link #request(Path, String)} waiting at most {@code timeoutMillis} for the whole answer. */
    static List<String> request(Path socket, String command, long timeoutMillis) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
            String answer = exchange(channel, command, timeoutMillis, socket);
            String[] lines = answer.split("\n");
            if (lines.length == 0 || !lines[0].equals(ControlProtocol.OK)) {
                throw new IOException(socket.getFileName() + " answered: " + (lines.length == 0 || lines[0].isEmpty()
                        ? "nothing (it closed the connection)" : lines[0]));
            }
            List<String> rows = new ArrayList<>();
            for (int i = 1; i < lines.length; i++) {
                if (!lines[i].isEmpty()) {
                    rows.add(lines[i]);
                }
            }
            return rows;
        }
    }

    /** Sends the request line and reads until the server closes, all within {@code timeoutMillis}. */
    private static String exchange(SocketChannel channel, String command, long timeoutMillis, Path socket) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
        ByteBuffer in = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        try (Selector selector = Selector.open()) {
            SelectionKey key = channel.register(selector, SelectionKey.OP_WRITE | SelectionKey.OP_READ);
            while (true) {
                if (out.hasRemaining()) {
                    try {
                        channel.write(out);
                    } catch (IOException e) {
                        out.position(out.limit()); // refused before it read the request: its line says why
                    }
                    key.interestOps(out.hasRemaining() ? SelectionKey.OP_WRITE | SelectionKey.OP_READ : SelectionKey.OP_READ);
                }
                int n;
                try {
                    n = channel.read(in);
                } catch (IOException e) {
                    if (answer.size() == 0 && in.position() == 0) {
                        throw e;
                    }
                    n = -1; // a server that closes with our request unread resets the connection after its line
                }
                if (n < 0) {
                    in.flip();
                    answer.write(in.array(), 0, in.limit());
                    return answer.toString(StandardCharsets.UTF_8);
                }
                in.flip();
                answer.write(in.array(), 0, in.limit());
                in.clear();
                if (answer.size() > MAX_ANSWER_BYTES) {
                    throw new IOException("answer from " + socket + " longer than " + MAX_ANSWER_BYTES + " bytes");
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new IOException("no answer to '" + command + "' within " + timeoutMillis
                            + " ms: the stack is stuck or too busy (is it still running?)");
                }
                if (n == 0) {
                    selector.select(left);
                    selector.selectedKeys().clear();
                }
            }
        }
    }

    public static List<SsRow> ss(Path socket) throws IOException {
        return request(socket, ControlProtocol.SS).stream().map(SsRow::parse).toList();
    }

    /** The stack's counters: over all its shards, summed, as nstat shows one kernel's. */
    public static Map<String, Long> stats(Path socket) throws IOException {
        return sum(statsPerShard(socket));
    }

    /** Each counter's value on each shard, shard {@code i}'s at index {@code i} (one value for a stack of one). */
    public static Map<String, long[]> statsPerShard(Path socket) throws IOException {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String row : request(socket, ControlProtocol.STATS)) {
            String[] f = row.split("\t");
            if (f.length < 2) {
                throw new IOException(socket.getFileName() + " answered a stats row without a value: " + row);
            }
            long[] values = new long[f.length - 1];
            for (int i = 0; i < values.length; i++) {
                values[i] = Long.parseLong(f[i + 1]);
            }
            out.put(f[0], values);
        }
        return out;
    }

    /** Each counter summed over the shards. */
    public static Map<String, Long> sum(Map<String, long[]> perShard) {
        Map<String, Long> out = new LinkedHashMap<>();
        perShard.forEach((name, values) -> out.put(name, java.util.Arrays.stream(values).sum()));
        return out;
    }

    public static Map<String, String> info(Path socket) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String row : request(socket, ControlProtocol.INFO)) {
            String[] f = row.split("\t", 2);
            out.put(f[0], f.length > 1 ? f[1] : "");
        }
        return out;
    }
}
