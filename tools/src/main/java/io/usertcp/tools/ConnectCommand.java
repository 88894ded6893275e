package io.usertcp.tools;

import io.usertcp.socket.TcpSocket;
import io.usertcp.tcp.ConnectionId;
import io.usertcp.tcp.TcpProfile;
import io.usertcp.tcp.TcpState;
import io.usertcp.tools.demo.ConnectionLogSink;
import io.usertcp.tools.demo.KernelListener;
import io.usertcp.tools.demo.Narrator;
import io.usertcp.tools.demo.StackSession;
import io.usertcp.tun.BenchmarkRange;
import io.usertcp.tun.TunStackHost;
import io.usertcp.wire.Ipv4Address;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code usertcp connect ADDR PORT}: our stack as the client of a kernel listener in a new namespace. */
@Command(name = "connect", mixinStandardHelpOptions = true,
        description = {"Starts our stack in a new namespace and connects from it to ADDR:PORT, a listener of the "
            + "namespace's kernel (at 198.18.0.1): sends a request, prints the answer, both sides' states and the "
            + "connection's ladder diagram, closes. --kernel-listen starts that listener for you. --dev and the "
            + "address options name the TUN device and pick other addresses in 198.18.0.0/15; --profile chooses "
            + "how our stack behaves. Needs root."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:connected, exchanged data and closed", "1:the connection failed (refused, reset, timed out)",
            "2:bad usage (a bad --dev name, address or --profile, say)", "3:something it needs is missing (root, TUN, python3, libpcap for --pcap)"})
public final class ConnectCommand implements Callable<Integer> {
    /** Bytes of the answer shown at most. */
    static final int MAX_SHOWN_BYTES = 4096;
    static final int MAX_READ_BYTES = 1 << 20;

    enum KernelApp { echo, http }

    @Parameters(index = "0", paramLabel = "ADDR", description = "The kernel's address (198.18.0.1 unless --kernel-addr; only 198.18.0.0/15 is allowed).")
    String address;

    @Parameters(index = "1", paramLabel = "PORT", description = "The port to connect to.")
    int port;

    @Option(names = "--kernel-listen", description = "Start a kernel listener on PORT first: echo (java.net) or http (python3 -m http.server).")
    KernelApp kernelListen;

    @Option(names = "--send", description = "What to send (default: an HTTP GET for port 80 or --kernel-listen http, else a line of text).")
    String send;

    @Option(names = "--timeout-ms", defaultValue = "5000", description = "Connect and read time limit (default: ${DEFAULT-VALUE}).")
    int timeoutMillis;

    @Option(names = "--netns-prefix", defaultValue = "usertcp-connect", description = "Namespace name prefix (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--no-color", description = "Plain text, no colours (also: NO_COLOR=1).")
    boolean noColor;

    @Mixin
    DeviceOptions device;

    @Mixin
    ProfileOption profile;

    @Mixin
    PcapOption pcap;

    @Override
    public Integer call() {
        Ipv4Address target;
        try {
            target = new Ipv4Address(BenchmarkRange.requireAddress(address));
        } catch (IllegalArgumentException e) {
            System.err.println("usertcp connect: " + e.getMessage());
            return UsertcpMain.EXIT_USAGE;
        }
        if (port < 1 || port > 65535 || timeoutMillis < 1 || timeoutMillis > 600_000) {
            System.err.println("usertcp connect: port " + port + ", timeout " + timeoutMillis + " ms (expected: 1..65535, 1..600000)");
            return UsertcpMain.EXIT_USAGE;
        }
        TunStackHost.Layout layout;
        TcpProfile tcpProfile;
        try {
            layout = device.layout();
            tcpProfile = profile.profile();
        } catch (IllegalArgumentException e) {
            return CommandSupport.usage("connect", e.getMessage());
        }
        return CommandSupport.runWithStack("connect", pcap, () -> connect(target, layout, tcpProfile));
    }

    private int connect(Ipv4Address target, TunStackHost.Layout layout, TcpProfile tcpProfile) throws Exception {
        Narrator n = new Narrator(System.out, !noColor && Narrator.colorByDefault());
        StackSession.Options options = StackSession.Options.of(prefix, 60_000L + timeoutMillis * 3L)
                .withLayout(layout).withPcap(pcap.file()).withProfile(tcpProfile);
        List<ConnectionLogSink> sinks = DemoCommand.sinks(true);
        try (StackSession session = StackSession.start(options, n)) {
            for (ConnectionLogSink sink : sinks) {
                sink.attach(session);
            }
            n.title("usertcp connect " + target + ":" + port + " from our stack (" + layout.stackAddress() + " on TUN device "
                    + layout.device() + ", profile " + session.stack().profile().name() + ")");
            if (!target.equals(layout.kernelAddress())) {
                n.warn("the namespace's kernel is " + layout.kernelAddress() + "; nothing else answers there");
            }
            try (KernelListener listener = startListener(session)) {
                if (listener != null) {
                    n.ok("the kernel runs " + listener.description());
                }
                return exchange(session, n, target, sinks);
            }
        }
    }

    private KernelListener startListener(StackSession session) throws Exception {
        if (kernelListen == null) {
            return null;
        }
        return switch (kernelListen) {
            case echo -> KernelListener.echo(session.namespace(), session.host().kernelAddress(), port);
            case http -> KernelListener.http(session.namespace(), ipCommand(), session.host().kernelAddress(), port);
        };
    }

    private int exchange(StackSession session, Narrator n, Ipv4Address target, List<ConnectionLogSink> sinks)
            throws InterruptedException {
        boolean http = kernelListen == KernelApp.http || (kernelListen == null && port == 80);
        String request = send != null ? send + "\n"
                : http ? "GET / HTTP/1.0\r\nHost: " + target + "\r\n\r\n" : "hello from usertcp\n";
        n.step("Connecting: SYN, SYN-ACK, ACK");
        ConnectionId id = null;
        try (TcpSocket socket = TcpSocket.connect(session.runner(), target, port, timeoutMillis)) {
            id = socket.id();
            session.labels().describe(id, "our client → " + target + ":" + port);
            socket.setSoTimeout(timeoutMillis);
            n.step("Sending " + request.length() + " bytes, then shutdownOutput (FIN): the server answers until it sees it");
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.shutdownOutput();
            byte[] answer = readAll(socket);
            n.say("answer (" + answer.length + " bytes):");
            n.block(new String(answer, 0, Math.min(answer.length, MAX_SHOWN_BYTES), StandardCharsets.UTF_8)
                    + (answer.length > MAX_SHOWN_BYTES ? "\n..." : ""));
        } catch (ConnectException e) {
            n.fail("connection refused: nothing listens on " + target + ":" + port
                    + " in the namespace (--kernel-listen echo|http starts something)");
            return UsertcpMain.EXIT_FAILED;
        } catch (IOException e) {
            Throwable death = session.runner().deathCause();
            if (death != null) {
                System.err.println("usertcp connect: the stack thread died (" + death + ")");
            }
            n.fail("the connection failed: " + e);
            return UsertcpMain.EXIT_FAILED;
        }
        if (session.runner().deathCause() != null) {
            System.err.println("usertcp connect: the stack thread died (" + session.runner().deathCause() + ")");
            return UsertcpMain.EXIT_FAILED;
        }
        n.step("Closed; waiting for both sides to finish");
        boolean done = session.recorder().awaitState(id, TcpState.TIME_WAIT, timeoutMillis)
                || session.recorder().awaitState(id, TcpState.CLOSED, 1);
        ConnectionId closing = id;
        session.kernel().await(table -> !table.containsKey(closing) || table.get(closing).state().equals("TIME-WAIT"), timeoutMillis);
        session.live().enable(false);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8)) {
            for (ConnectionLogSink sink : sinks) {
                sink.draw(session.log(id), out);
            }
        }
        n.line(text.toString(StandardCharsets.UTF_8));
        return done ? UsertcpMain.EXIT_OK : UsertcpMain.EXIT_FAILED;
    }

    private static byte[] readAll(TcpSocket socket) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16 * 1024];
        int r;
        while (out.size() < MAX_READ_BYTES && (r = socket.read(buf, 0, buf.length)) > 0) {
            out.write(buf, 0, r);
        }
        return out.toByteArray();
    }

    private static String ipCommand() {
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, "ip"))) {
                return dir + "/ip";
            }
        }
        return "ip";
    }
}
