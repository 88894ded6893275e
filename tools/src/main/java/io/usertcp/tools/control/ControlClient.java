package io.usertcp.tools.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Talks to the {@link ControlServer} of a running stack: finds them, asks for ss, stats and info. */
public final class ControlClient {
    /** Answers are at most this long (a table of a few thousand connections). */
    private static final int MAX_ANSWER_BYTES = 64 << 20;
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
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteBuffer in = ByteBuffer.allocate(64 * 1024);
            java.io.ByteArrayOutputStream answer = new java.io.ByteArrayOutputStream();
            while (channel.read(in) >= 0) {
                in.flip();
                answer.write(in.array(), 0, in.limit());
                in.clear();
                if (answer.size() > MAX_ANSWER_BYTES) {
                    throw new IOException("answer from " + socket + " longer than " + MAX_ANSWER_BYTES + " bytes");
                }
            }
            String[] lines = answer.toString(StandardCharsets.UTF_8).split("\n");
            if (lines.length == 0 || !lines[0].equals(ControlProtocol.OK)) {
                throw new IOException(socket.getFileName() + " answered: " + (lines.length == 0 ? "nothing" : lines[0]));
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

    public static List<SsRow> ss(Path socket) throws IOException {
        return request(socket, ControlProtocol.SS).stream().map(SsRow::parse).toList();
    }

    public static Map<String, Long> stats(Path socket) throws IOException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String row : request(socket, ControlProtocol.STATS)) {
            String[] f = row.split("\t");
            out.put(f[0], Long.parseLong(f[1]));
        }
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
