package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.Packet;
import org.pcap4j.packet.TcpPacket;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * Reads the pcap files our commands write with two readers that owe nothing to our code: pcap4j
 * (libpcap, with pcap4j's own IPv4 and TCP decoders) and {@code tcpdump -r}.
 */
public final class PcapChecks {
    private PcapChecks() {}

    /** One TCP segment as pcap4j decoded it. */
    public record Seg(long epochMicros, String source, int sourcePort, String destination, int destinationPort,
                      boolean syn, boolean ack, boolean fin, boolean rst, int payloadLength, int ipLength) {
        /** {@code S}, {@code S.}, {@code F.}, {@code .}, {@code R}: tcpdump's notation. */
        public String flags() {
            String f = (syn ? "S" : "") + (fin ? "F" : "") + (rst ? "R" : "") + (payloadLength > 0 ? "P" : "");
            return ack ? f + "." : f;
        }

        public boolean from(String address) {
            return source.equals(address);
        }
    }

    /** Every record of {@code file} through pcap4j; fails unless each is an IPv4 TCP segment. */
    public static List<Seg> readWithPcap4j(Path file) throws Exception {
        return readWithPcap4j(file, Integer.MAX_VALUE);
    }

    /** The first {@code limit} records of {@code file} through pcap4j, decoded. */
    public static List<Seg> readWithPcap4j(Path file, int limit) throws Exception {
        List<Seg> out = new ArrayList<>();
        PcapHandle handle = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.MICRO);
        try {
            assertEquals(DataLinkType.RAW, handle.getDlt(), "link type");
            while (out.size() < limit) {
                Packet p;
                try {
                    p = handle.getNextPacketEx();
                } catch (EOFException end) {
                    return out;
                }
                IpV4Packet ip = p.get(IpV4Packet.class);
                TcpPacket tcp = p.get(TcpPacket.class);
                assertTrue(ip != null && tcp != null, "record " + out.size() + " is not IPv4/TCP: " + p);
                java.sql.Timestamp ts = handle.getTimestamp();
                TcpPacket.TcpHeader h = tcp.getHeader();
                out.add(new Seg(ts.getTime() / 1000 * 1_000_000L + ts.getNanos() / 1000,
                        ip.getHeader().getSrcAddr().getHostAddress(), h.getSrcPort().valueAsInt(),
                        ip.getHeader().getDstAddr().getHostAddress(), h.getDstPort().valueAsInt(),
                        h.getSyn(), h.getAck(), h.getFin(), h.getRst(),
                        tcp.getPayload() == null ? 0 : tcp.getPayload().length(), ip.getHeader().getTotalLengthAsInt()));
            }
        } finally {
            handle.close();
        }
        return out;
    }

    /** How many records pcap4j (libpcap) reads from {@code file}, without decoding them. */
    public static int countWithPcap4j(Path file) throws Exception {
        PcapHandle handle = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.MICRO);
        try {
            int n = 0;
            while (true) {
                try {
                    handle.getNextRawPacketEx();
                    n++;
                } catch (EOFException end) {
                    return n;
                }
            }
        } finally {
            handle.close();
        }
    }

    /** {@code tcpdump -n -r FILE}'s lines (its "reading from file" note goes to stderr and is left out). */
    public static List<String> tcpdump(Path file) throws Exception {
        Process p = new ProcessBuilder(tcpdumpCommand(), "-n", "-r", file.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "tcpdump did not finish");
        assertEquals(0, p.exitValue(), "tcpdump -r " + file + ": " + new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8).lines().toList();
    }

    /** tcpdump on PATH, or where Debian puts it. */
    public static String tcpdumpCommand() {
        for (String d : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin")) {
            if (Files.isExecutable(Path.of(d, "tcpdump"))) {
                return d + "/tcpdump";
            }
        }
        return "tcpdump";
    }

    /**
     * The connection opened by {@code client} to {@code server}: it starts with the three-way
     * handshake (SYN, SYN-ACK, ACK) and both sides send a FIN (RFC 9293 §3.5, §3.6).
     *
     * @return the segments of that connection, in file order
     */
    public static List<Seg> assertOpenedAndClosed(List<Seg> segs, String client, String server, int serverPort) {
        List<Seg> conn = new ArrayList<>();
        int clientPort = -1;
        for (Seg s : segs) {
            if (clientPort < 0 && s.syn() && !s.ack() && s.from(client) && s.destinationPort() == serverPort) {
                clientPort = s.sourcePort();
            }
            boolean out = s.from(client) && s.sourcePort() == clientPort && s.destination().equals(server) && s.destinationPort() == serverPort;
            boolean back = s.from(server) && s.sourcePort() == serverPort && s.destination().equals(client) && s.destinationPort() == clientPort;
            if (clientPort >= 0 && (out || back)) {
                conn.add(s);
            }
        }
        assertTrue(conn.size() >= 5, "a connection " + client + " > " + server + ":" + serverPort + " in " + segs);
        assertEquals(List.of("S", "S.", "."), conn.subList(0, 3).stream().map(Seg::flags).toList(), conn.toString());
        assertTrue(conn.get(1).from(server), "the SYN-ACK comes from " + server);
        assertTrue(conn.stream().anyMatch(s -> s.fin() && s.from(client)), "FIN from " + client + ": " + conn);
        assertTrue(conn.stream().anyMatch(s -> s.fin() && s.from(server)), "FIN from " + server + ": " + conn);
        return conn;
    }
}
