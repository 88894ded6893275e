package io.usertcp.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.socket.TcpSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The minimal HTTP/1.1 server (RFC 9110, RFC 9112) on our stack, a raw client on a second stack. */
@Timeout(30)
class HttpServerTest {
    static final int PORT = 8080;

    /** A parsed response: status code, headers (names lower case), body. */
    record Response(int status, Map<String, String> headers, byte[] body) {
        String header(String name) {
            return headers.get(name);
        }
    }

    @Test
    void getBytes_servesTheGeneratedBody_withContentLength() throws Exception {
        try (TwoRunners net = new TwoRunners(); HttpServer http = new HttpServer(net.server, PORT, 4);
             TcpSocket s = net.connect(PORT)) {
            send(s, "GET /bytes/100000 HTTP/1.1\r\nHost: 198.18.0.2\r\nConnection: close\r\n\r\n");
            Response r = readResponse(s.getInputStream(), false);
            assertEquals(200, r.status);
            assertEquals("100000", r.header("content-length"));
            assertEquals("application/octet-stream", r.header("content-type"));
            assertEquals("close", r.header("connection"));
            byte[] expected = new byte[100_000];
            GeneratedBytes.fill(0, expected, 0, expected.length);
            assertArrayEquals(expected, r.body);
            assertEquals(-1, s.getInputStream().read(), "RFC 9112 §9.6: the server closes after Connection: close");
        }
    }

    @Test
    void getIndex_andEmptyBody_onOnePersistentConnection() throws Exception {
        try (TwoRunners net = new TwoRunners(); HttpServer http = new HttpServer(net.server, PORT, 4);
             TcpSocket s = net.connect(PORT)) {
            send(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            Response index = readResponse(s.getInputStream(), false);
            assertEquals(200, index.status);
            assertEquals("keep-alive", index.header("connection"), "RFC 9112 §9.3: HTTP/1.1 persists by default");
            assertEquals(HttpServer.indexText(), new String(index.body, StandardCharsets.US_ASCII));

            send(s, "GET /bytes/0 HTTP/1.1\r\nHost: x\r\n\r\n");
            Response empty = readResponse(s.getInputStream(), false);
            assertEquals(200, empty.status);
            assertEquals("0", empty.header("content-length"));
            assertEquals(0, empty.body.length);
            assertEquals(1, http.connectionsAccepted(), "both requests on one connection");
        }
    }

    @Test
    void pipelinedRequests_areAnsweredInOrder_headHasNoBody() throws Exception {
        try (TwoRunners net = new TwoRunners(); HttpServer http = new HttpServer(net.server, PORT, 4);
             TcpSocket s = net.connect(PORT)) {
            send(s, "HEAD /bytes/5000 HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes/7 HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: close\r\n\r\n");
            Response head = readResponse(s.getInputStream(), true);
            assertEquals(200, head.status);
            assertEquals("5000", head.header("content-length"), "RFC 9110 §9.3.2: HEAD carries GET's headers");
            Response get = readResponse(s.getInputStream(), false);
            assertEquals(200, get.status);
            byte[] expected = new byte[7];
            GeneratedBytes.fill(0, expected, 0, 7);
            assertArrayEquals(expected, get.body);
            assertEquals(-1, s.getInputStream().read());
        }
    }

    @Test
    void http10_closesAfterTheResponse() throws Exception {
        try (TwoRunners net = new TwoRunners(); HttpServer http = new HttpServer(net.server, PORT, 4);
             TcpSocket s = net.connect(PORT)) {
            send(s, "GET /bytes/10 HTTP/1.0\r\n\r\n");
            Response r = readResponse(s.getInputStream(), false);
            assertEquals(200, r.status);
            assertEquals("close", r.header("connection"), "RFC 9112 §9.3: HTTP/1.0 does not persist by default");
            assertEquals(-1, s.getInputStream().read());
        }
    }

    @Test
    void errors_getTheirStatus_andCloseTheConnection() throws Exception {
        assertError("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", 404);
        assertError("GET /bytes/12x HTTP/1.1\r\nHost: x\r\n\r\n", 404);
        assertError("GET /bytes/" + (HttpServer.MAX_BODY_BYTES + 1) + " HTTP/1.1\r\nHost: x\r\n\r\n", 404);
        assertError("POST /bytes/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 405);
        assertError("GARBAGE\r\n\r\n", 400);
        assertError("GET / HTTP/1.1\r\nNoColonHere\r\n\r\n", 400);
        assertError("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
        assertError("GET / HTTP/1.1\r\nX-Long: " + "a".repeat(HttpServer.MAX_HEAD_BYTES) + "\r\n\r\n", 431);
    }

    @Test
    void methodNotAllowed_saysWhichAreAllowed() throws Exception {
        try (TwoRunners net = new TwoRunners(); HttpServer http = new HttpServer(net.server, PORT, 4);
             TcpSocket s = net.connect(PORT)) {
            send(s, "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n");
            Response r = readResponse(s.getInputStream(), false);
            assertEquals(405, r.status);
            assertEquals("GET, HEAD", r.header("allow"), "RFC 9110 §15.5.6: a 405 lists the allowed methods");
        }
    }

    @Test
    void idleConnection_isClosedAfterTheIdleTimeout() throws Exception {
        try (TwoRunners net = new TwoRunners(); HttpServer http = new HttpServer(net.server, PORT, 4, 200);
             TcpSocket s = net.connect(PORT)) {
            long start = System.nanoTime();
            assertEquals(-1, s.getInputStream().read(), "the server closes an idle connection");
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(elapsedMillis >= 150, "closed after " + elapsedMillis + " ms (idle timeout 200 ms)");
            assertEquals(1, http.connectionsCompleted());
        }
    }

    private static void assertError(String request, int status) throws Exception {
        try (TwoRunners net = new TwoRunners(); HttpServer http = new HttpServer(net.server, PORT, 4);
             TcpSocket s = net.connect(PORT)) {
            send(s, request);
            Response r = readResponse(s.getInputStream(), false);
            assertEquals(status, r.status, request.length() > 80 ? request.substring(0, 80) : request);
            assertEquals("close", r.header("connection"));
            assertEquals(Long.toString(r.body.length), r.header("content-length"));
            assertEquals(-1, s.getInputStream().read(), "RFC 9112 §9.6: the server half-closes after an error");
        }
    }

    static void send(TcpSocket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads one response: status line, headers to the empty line, then Content-Length bytes (none for HEAD). */
    static Response readResponse(InputStream in, boolean head) throws IOException {
        String statusLine = readLine(in);
        String[] parts = statusLine.split(" ", 3);
        assertEquals("HTTP/1.1", parts[0], statusLine);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
            int colon = line.indexOf(':');
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        int length = head ? 0 : Integer.parseInt(headers.get("content-length"));
        byte[] body = in.readNBytes(length);
        assertEquals(length, body.length, "body ended early");
        return new Response(Integer.parseInt(parts[1]), headers, body);
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b < 0) {
                throw new IOException("end of stream inside a line: " + line);
            }
            line.write(b);
        }
        String s = line.toString(StandardCharsets.ISO_8859_1);
        assertTrue(s.endsWith("\r"), "lines end with CRLF: " + s);
        return s.substring(0, s.length() - 1);
    }
}
