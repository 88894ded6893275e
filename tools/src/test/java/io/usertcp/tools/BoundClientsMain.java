package io.usertcp.tools;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Kernel clients of an echo server, each from a source port of the caller's choosing, for
 * {@link ServeShardsTest}: run in the serve's namespace ({@code ip netns exec}), it opens a
 * connection from each port in turn, sends a line and reads it back, prints {@code open N} and
 * holds every connection open until its standard input ends; then it closes them and exits 0.
 *
 * <p>Arguments: the server's address and port, the client's address, then the source ports.
 */
public final class BoundClientsMain {
    private BoundClientsMain() {}

    public static void main(String[] args) throws IOException {
        InetSocketAddress server = new InetSocketAddress(InetAddress.getByName(args[0]), Integer.parseInt(args[1]));
        InetAddress local = InetAddress.getByName(args[2]);
        List<Socket> open = new ArrayList<>();
        try {
            for (String port : Arrays.asList(args).subList(3, args.length)) {
                Socket s = new Socket();
                open.add(s);
                s.setReuseAddress(true);
                s.setSoTimeout(10_000);
                s.bind(new InetSocketAddress(local, Integer.parseInt(port)));
                s.connect(server, 10_000);
                byte[] line = ("hello from " + port + "\n").getBytes(StandardCharsets.US_ASCII);
                s.getOutputStream().write(line);
                byte[] echoed = s.getInputStream().readNBytes(line.length);
                if (!Arrays.equals(line, echoed)) {
                    throw new IOException("port " + port + ": echoed '" + new String(echoed, StandardCharsets.US_ASCII) + "'");
                }
            }
            System.out.println("open " + open.size());
            System.out.flush();
            InputStream in = System.in;
            while (in.read() >= 0) {
                // held open until the test closes our standard input
            }
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
