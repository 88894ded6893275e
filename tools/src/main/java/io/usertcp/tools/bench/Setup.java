package io.usertcp.tools.bench;

import io.usertcp.tun.ExecResult;
import io.usertcp.tun.NetworkNamespace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where one side of a comparison runs: a server, ours on a TUN device ({@link TunSetup}) or the
 * kernel's across a veth pair ({@link VethSetup}), and the namespace whose kernel runs the client.
 * The client is the same {@code java.net} program in both, so the server is the only difference.
 */
interface Setup extends AutoCloseable {
    /** {@code "usertcp"} or {@code "kernel"}. */
    String side();

    /** Where the kernel client runs (threads inside it open {@code java.net} sockets there). */
    NetworkNamespace clientNamespace();

    /** The server's address, as the client dials it. */
    String serverAddress();

    /**
     * A listener on {@code port} of the server.
     *
     * @param timeoutMillis accept and read timeout of the sockets it hands out
     */
    Acceptor listen(int port, int backlog, int timeoutMillis) throws Exception;

    /** How many data segments the injected loss dropped so far (0 without loss, -1 unknown). */
    long lossDropped();

    /** The loss-recovery counters whose names both stacks share (nstat's), for the details. */
    List<String> RECOVERY_COUNTERS = List.of("TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPFastRetrans",
            "TcpExtTCPSackRecovery", "TcpExtTCPLossProbes", "TcpExtTCPLostRetransmit", "TcpExtTCPDSACKRecv",
            "TcpExtTCPSpuriousRTOs", "TcpExtTCPOFOQueue", "TcpExtTCPDSACKOldSent");

    /**
     * The server's {@link #RECOVERY_COUNTERS} now: our stack's, or the kernel's in the server's
     * namespace ({@code nstat}); a counter one side does not keep is left out.
     */
    Map<String, Long> serverCounters();

    /**
     * The client's {@link #RECOVERY_COUNTERS} now: always a kernel's, the sender's kernel -> usertcp,
     * so that a row shows both ends' loss recovery.
     */
    default Map<String, Long> clientCounters() {
        return kernelCounters(clientNamespace());
    }

    /**
     * {@code nstat -asz NAMES} in {@code namespace}: absolute values, nstat's history untouched;
     * empty when nstat is missing (the details go without).
     */
    static Map<String, Long> kernelCounters(NetworkNamespace namespace) {
        List<String> command = new ArrayList<>(List.of("nstat", "-asz"));
        command.addAll(RECOVERY_COUNTERS);
        ExecResult r = namespace.exec(command.toArray(String[]::new));
        Map<String, Long> counters = new LinkedHashMap<>();
        if (!r.succeeded()) {
            return counters;
        }
        for (String line : r.output().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && RECOVERY_COUNTERS.contains(f[0])) {
                counters.put(f[0], Long.parseLong(f[1]));
            }
        }
        return counters;
    }

    /** Deletes everything made for this side. Idempotent. */
    @Override
    void close();

    /** Where the loss case drops data segments: at the ingress of the side that receives them. */
    enum LossAt {
        NONE, SERVER_INGRESS, CLIENT_INGRESS
    }

    /** Injected loss: where, and the share of data segments (null for none). */
    record Loss(LossAt at, LossRate rate) {
        static final Loss NONE = new Loss(LossAt.NONE, null);

        public Loss {
            if (at == null || (at == LossAt.NONE) != (rate == null)) {
                throw new IllegalArgumentException("loss: " + at + " " + rate + " (expected: NONE without a rate, or a place and a rate)");
            }
        }
    }
}
