package io.usertcp.apps;

import io.usertcp.runtime.StackRunner;
import io.usertcp.socket.TcpSocket;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 server (RFC 9112) for curl and load generators: {@code GET /bytes/N} answers
 * with N bytes of {@link GeneratedBytes} ({@code application/octet-stream}), {@code GET /} with a
 * short index in plain text. {@code HEAD} works on both. Anything else gets 404, 405, 400, 431 or
 * 501 and the connection is closed.
 *
 * <p>Connections are persistent in HTTP/1.1 unless the client sends {@code Connection: close};
 * HTTP/1.0 connections close after the response unless the client asks for {@code keep-alive}.
 * Pipelined requests are answered in order. A connection idle for {@code idleTimeoutMillis}
 * between requests is closed. Request bodies (Content-Length) are read and ignored; chunked request
 * bodies are not supported (501).
 */
public final class HttpServer extends SocketServer {
    /** The largest body {@code /bytes/N} serves: 16 GiB. */
    public static final long MAX_BODY_BYTES = 1L << 34;
    /** Request line and headers together may not exceed this. */
    public static final int MAX_HEAD_BYTES = 8 * 1024;
    /** The default idle time after which a persistent connection is closed. */
    public static final int DEFAULT_IDLE_TIMEOUT_MILLIS = 10_000;
    /** The longest a closing connection waits for the client to close (RFC 9112 §9.6 lingering close). */
    public static final long LINGER_MILLIS = 2_000;
    private static final long LINGER_MAX_BYTES = 1 << 20;
    private static final int BODY_CHUNK_BYTES = 64 * 1024;
    private static final String BYTES_PATH = "/bytes/";

    private final int idleTimeoutMillis;

    /** A server with the default idle timeout. */
    public HttpServer(StackRunner runner, int port, int maxConnections) throws BindException {
        this(runner, port, maxConnections, DEFAULT_IDLE_TIMEOUT_MILLIS);
    }

    /**
     * @param maxConnections    connections served at once (one thread each), 1..4096
     * @param idleTimeoutMillis how long a connection may wait for its next request, > 0
     */
    public HttpServer(StackRunner runner, int port, int maxConnections, int idleTimeoutMillis) throws BindException {
        this(runner, port, new SocketServerConfig(maxConnections, idleTimeoutMillis));
    }

    /**
     * A server with the given limits; {@link SocketServerConfig#idleTimeoutMillis()} is how long a
     * connection may send nothing, between requests or within one.
     */
    public HttpServer(StackRunner runner, int port, SocketServerConfig config) throws BindException {
        this(List.of(runner), port, config);
    }

    /**
     * A server on every shard of a stack ({@code TunStackHost.runners()}), each connection on the
     * thread of the shard that owns it; the limits hold over all shards.
     */
    public HttpServer(List<StackRunner> shards, int port, SocketServerConfig config) throws BindException {
        super(shards, port, config, "http");
        this.idleTimeoutMillis = config.idleTimeoutMillis();
    }

    /** The index page's text. */
    public static String indexText() {
        return "usertcp HttpServer\n"
                + "GET /bytes/N  N bytes of io.usertcp.apps.GeneratedBytes (0 <= N <= " + MAX_BODY_BYTES + ")\n";
    }

    @Override
    protected void serve(TcpSocket socket) throws IOException {
        socket.setSoTimeout(idleTimeoutMillis);
        RequestReader reader = new RequestReader(this, socket);
        while (true) {
            Request request;
            try {
                request = reader.next();
            } catch (SocketTimeoutException e) {
                return; // idle: close
            } catch (BadRequest e) {
                respondError(socket, e.status, e.reason, e.getMessage(), "");
                lingeringClose(socket);
                return;
            }
            if (request == null) {
                return; // the client closed between requests
            }
            if (!respond(socket, request)) {
                lingeringClose(socket);
                return;
            }
        }
    }

    /**
     * RFC 9112 §9.6: close in stages. Half-close, then read and drop what the client still sends
     * until it closes (at most {@link #LINGER_MILLIS} and {@link #LINGER_MAX_BYTES}). Closing at once
     * with unread request bytes would reset the connection, and the reset may reach the client
     * before it has read the response.
     */
    private void lingeringClose(TcpSocket socket) throws IOException {
        socket.shutdownOutput();
        socket.setSoTimeout((int) LINGER_MILLIS);
        long deadline = System.nanoTime() + LINGER_MILLIS * 1_000_000L;
        byte[] drain = new byte[8192];
        long drained = 0;
        try {
            int n;
            while (drained < LINGER_MAX_BYTES && System.nanoTime() < deadline
                    && (n = read(socket, drain, 0, drain.length)) >= 0) {
                drained += n;
            }
        } catch (SocketTimeoutException e) {
            // the client neither closed nor sent anything more: close now
        }
    }

    /** Answers one request; returns whether the connection stays open. */
    private boolean respond(TcpSocket socket, Request request) throws IOException {
        boolean head = request.method.equals("HEAD");
        if (!head && !request.method.equals("GET")) {
            respondError(socket, 405, "Method Not Allowed", "method not allowed: " + request.method, "Allow: GET, HEAD\r\n");
            return false;
        }
        String path = request.target;
        int query = path.indexOf('?');
        if (query >= 0) {
            path = path.substring(0, query);
        }
        if (path.equals("/") || path.equals("/index.html")) {
            byte[] body = indexText().getBytes(StandardCharsets.US_ASCII);
            // Head and a small body in one write, so Nagle does not hold the body back for an ACK.
            writeResponse(socket, head(200, "OK", "text/plain; charset=us-ascii", body.length, request.keepAlive, ""),
                    head ? new byte[0] : body);
            return request.keepAlive;
        }
        long length = path.startsWith(BYTES_PATH) ? parseLength(path.substring(BYTES_PATH.length())) : -1;
        if (length < 0) {
            respondError(socket, 404, "Not Found", "no such resource: " + path, "");
            return false;
        }
        writeGenerated(socket, head(200, "OK", "application/octet-stream", length, request.keepAlive, ""), head ? 0 : length);
        return request.keepAlive;
    }

    /** N of {@code /bytes/N}, or -1 when it is not a decimal number in range. */
    private static long parseLength(String digits) {
        if (digits.isEmpty() || digits.length() > 12) {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < digits.length(); i++) {
            char ch = digits.charAt(i);
            if (ch < '0' || ch > '9') {
                return -1;
            }
            n = n * 10 + (ch - '0');
        }
        return n <= MAX_BODY_BYTES ? n : -1;
    }

    /** Writes the head and {@code length} generated bytes, the head sharing the first write with the body. */
    private void writeGenerated(TcpSocket socket, byte[] head, long length) throws IOException {
        byte[] chunk = new byte[(int) Math.min(BODY_CHUNK_BYTES, head.length + length)];
        System.arraycopy(head, 0, chunk, 0, head.length);
        int filled = head.length;
        for (long done = 0; filled > 0 || done < length; filled = 0) {
            int n = (int) Math.min(chunk.length - filled, length - done);
            GeneratedBytes.fill(done, chunk, filled, n);
            write(socket, chunk, 0, filled + n);
            done += n;
        }
    }

    private void respondError(TcpSocket socket, int status, String reason, String message, String extraHeaders)
            throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.ISO_8859_1);
        writeResponse(socket, head(status, reason, "text/plain; charset=iso-8859-1", body.length, false, extraHeaders), body);
    }

    private void writeResponse(TcpSocket socket, byte[] head, byte[] body) throws IOException {
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        write(socket, all, 0, all.length);
    }

    private static byte[] head(int status, String reason, String contentType, long contentLength,
                               boolean keepAlive, String extraHeaders) {
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Server: usertcp\r\n"
                + "Content-Type: " + contentType + "\r\n"
                + "Content-Length: " + contentLength + "\r\n"
                + "Connection: " + (keepAlive ? "keep-alive" : "close") + "\r\n"
                + extraHeaders
                + "\r\n";
        return head.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** One parsed request head. */
    private record Request(String method, String target, boolean keepAlive) {}

    /** A request the server answers with an error status, then closes. */
    private static final class BadRequest extends IOException {
        final int status;
        final String reason;

        BadRequest(int status, String reason, String message) {
            super(message);
            this.status = status;
            this.reason = reason;
        }
    }

    /** Reads request heads from a connection, keeping bytes that belong to the next (pipelined) request. */
    private static final class RequestReader {
        private final SocketServer server;
        private final TcpSocket socket;
        private final byte[] buffer = new byte[MAX_HEAD_BYTES];
        private int start;
        private int end;

        RequestReader(SocketServer server, TcpSocket socket) {
            this.server = server;
            this.socket = socket;
        }

        /** The next request, or null when the client closed before sending one. */
        Request next() throws IOException {
            int headEnd;
            while ((headEnd = findHeadEnd()) < 0) {
                if (start > 0) {
                    System.arraycopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.length) {
                    throw new BadRequest(431, "Request Header Fields Too Large",
                            "request head over " + MAX_HEAD_BYTES + " bytes");
                }
                int n = server.read(socket, buffer, end, buffer.length - end);
                if (n < 0) {
                    if (end > start) {
                        throw new BadRequest(400, "Bad Request", "connection closed inside a request head");
                    }
                    return null;
                }
                end += n;
            }
            String head = new String(buffer, start, headEnd - start, StandardCharsets.ISO_8859_1);
            start = headEnd + 4;
            Request request = parse(head);
            skipBody(head);
            return request;
        }

        /** Index of the CRLF CRLF that ends the head, or -1. */
        private int findHeadEnd() {
            for (int i = start; i + 3 < end; i++) {
                if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n') {
                    return i;
                }
            }
            return -1;
        }

        private static Request parse(String head) throws BadRequest {
            String[] lines = head.split("\r\n", -1);
            String[] requestLine = lines[0].split(" ", -1);
            if (requestLine.length != 3 || requestLine[0].isEmpty() || !requestLine[1].startsWith("/")
                    || !requestLine[2].matches("HTTP/1\\.[01]")) {
                throw new BadRequest(400, "Bad Request", "malformed request line: " + lines[0]);
            }
            boolean http11 = requestLine[2].equals("HTTP/1.1");
            String connection = header(lines, "connection");
            String transferEncoding = header(lines, "transfer-encoding");
            if (transferEncoding != null) {
                throw new BadRequest(501, "Not Implemented", "Transfer-Encoding is not supported: " + transferEncoding);
            }
            boolean keepAlive;
            if (connection != null && connection.toLowerCase(Locale.ROOT).contains("close")) {
                keepAlive = false;
            } else if (http11) {
                keepAlive = true;
            } else {
                keepAlive = connection != null && connection.toLowerCase(Locale.ROOT).contains("keep-alive");
            }
            return new Request(requestLine[0], requestLine[1], keepAlive);
        }

        /** The value of the first header called {@code name} (lower case), or null. */
        private static String header(String[] lines, String name) throws BadRequest {
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon <= 0) {
                    throw new BadRequest(400, "Bad Request", "malformed header line: " + lines[i]);
                }
                if (lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                    return lines[i].substring(colon + 1).trim();
                }
            }
            return null;
        }

        /** Reads and drops a Content-Length request body. */
        private void skipBody(String head) throws IOException {
            String value = header(head.split("\r\n", -1), "content-length");
            if (value == null) {
                return;
            }
            long left;
            try {
                left = Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new BadRequest(400, "Bad Request", "malformed Content-Length: " + value);
            }
            if (left < 0) {
                throw new BadRequest(400, "Bad Request", "negative Content-Length: " + value);
            }
            while (left > 0) {
                if (start == end) {
                    start = 0;
                    end = server.read(socket, buffer, 0, buffer.length);
                    if (end < 0) {
                        end = 0;
                        throw new BadRequest(400, "Bad Request", "connection closed inside a request body");
                    }
                }
                int n = (int) Math.min(left, end - start);
                start += n;
                left -= n;
            }
        }
    }
}
