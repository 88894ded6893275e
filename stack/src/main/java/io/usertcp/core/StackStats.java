package io.usertcp.core;

import io.usertcp.wire.DropReason;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counters named like Linux's {@code nstat} (DESIGN.md §8), plus one count per {@link DropReason}.
 * Incremented on the stack thread; read a consistent copy with {@link #snapshot()} through the
 * stack's task queue.
 */
public final class StackStats {

    /** The counters, with Linux's names ({@code nstat -az} spells them the same way). */
    public enum Counter {
        TcpActiveOpens, TcpPassiveOpens, TcpAttemptFails, TcpEstabResets, TcpInSegs, TcpOutSegs,
        TcpRetransSegs, TcpInErrs, TcpOutRsts,
        TcpExtTW, TcpExtTWRecycled, TcpExtTCPTimeWaitOverflow,
        TcpExtListenOverflows, TcpExtListenDrops,
        TcpExtSyncookiesSent, TcpExtSyncookiesRecv, TcpExtSyncookiesFailed,
        TcpExtTCPChallengeACK, TcpExtTCPSYNChallenge, TcpExtTCPACKSkippedChallenge,
        /**
         * ACKs not sent because the connection answered an unacceptable segment less than
         * tcp_invalid_ratelimit ago (Linux tcp_oow_rate_limited()): in SYN-RECEIVED, after a PAWS
         * rejection, for a sequence number outside the window.
         */
        TcpExtTCPACKSkippedSynRecv, TcpExtTCPACKSkippedPAWS, TcpExtTCPACKSkippedSeq, TcpExtTCPACKSkippedTimeWait,
        TcpExtTCPAbortOnData, TcpExtTCPAbortOnClose, TcpExtTCPAbortOnLinger, TcpExtTCPAbortOnTimeout,
        TcpExtTCPAbortOnMemory, TcpExtTCPTimeouts, TcpExtTCPSynRetrans, TcpExtPAWSEstab, TcpExtPAWSActive,
        TcpExtTCPKeepAlive, TcpExtTCPRcvQDrop, TcpExtTCPOFODrop, TcpExtTCPOFOQueue, TcpExtOfoPruned, TcpExtRcvPruned,
        TcpExtTCPSACKReorder,
        TcpExtTCPFastRetrans, TcpExtTCPLossProbes, TcpExtTCPSackRecovery, TcpExtTCPRenoRecovery,
        TcpExtTCPDSACKOldSent, TcpExtTCPDSACKOfoSent,
        /**
         * The sender's loss recovery (Linux tcp_input.c, tcp_recovery.c, tcp_output.c): loss probes sent and the
         * losses they repaired (RFC 8985 §7), retransmissions found lost again (RACK, RFC 8985 §6.2), D-SACKs
         * received (RFC 2883), and recoveries undone: wholly at the full ACK, by D-SACKs, after a timeout
         * (TcpExtTCPLossUndo; F-RTO's spurious timeouts, RFC 5682, also count TcpExtTCPSpuriousRTOs), or on a
         * partial ACK (TcpExtTCPPartialUndo, timestamps only).
         */
        TcpExtTCPLossProbeRecovery, TcpExtTCPLostRetransmit, TcpExtTCPDSACKRecv, TcpExtTCPDSACKUndo,
        TcpExtTCPFullUndo, TcpExtTCPPartialUndo, TcpExtTCPLossUndo, TcpExtTCPSpuriousRTOs,
        /**
         * TCP Fast Open (RFC 7413), as Linux counts it: SYN-data fully acknowledged (Active) or not
         * (ActiveFail); children created from SYN-data (Passive); SYNs whose cookie was invalid or
         * whose child could not be made (PassiveFail); SYNs refused for a full Fast Open queue
         * (ListenOverflow); cookie requests received (CookieReqd).
         */
        TcpExtTCPFastOpenActive, TcpExtTCPFastOpenActiveFail, TcpExtTCPFastOpenPassive, TcpExtTCPFastOpenPassiveFail,
        TcpExtTCPFastOpenListenOverflow, TcpExtTCPFastOpenCookieReqd,
        /**
         * TCP MD5 signatures (RFC 2385), as Linux tcp_inbound_hash() and tcp_inbound_md5_hash() count the
         * segments they drop: no signature where a key is configured for the peer (NotFound), a signature
         * that does not verify (Failure), a signature where no key is (Unexpected).
         */
        TcpExtTCPMD5NotFound, TcpExtTCPMD5Unexpected, TcpExtTCPMD5Failure,
        IcmpInMsgs, IcmpInErrors, IcmpInDestUnreachs, IcmpInTimeExcds, IcmpInParmProbs, IcmpInEchos, IcmpOutMsgs,
        IcmpOutEchoReps, TcpExtOutOfWindowIcmps,
        IpInReceives, IpInDelivers, IpOutRequests,
        /**
         * RFC 3168: received IPv4 datagrams by the ECN field of their header (Linux ip_rcv_core
         * counts them once the header's version and length are sane, before any other check), and
         * data segments whose delivery an ACK with ECE reported (Linux tcp_count_delivered()).
         */
        IpExtInNoECTPkts, IpExtInECT1Pkts, IpExtInECT0Pkts, IpExtInCEPkts, TcpExtTCPDeliveredCE,
        /**
         * Ours, in nstat's form (no Linux counterpart): unexpected exceptions the runner contained
         * while the stack handled a packet, a timer round or a task; connections aborted because a
         * fault was pinned on them; packets dropped because direct memory ran out.
         */
        UsertcpStackFaults, UsertcpFaultAborts, UsertcpNoMemDrops,
        /** Ours: Fast Open options of a length no cookie has (odd, or even outside 4..16 bytes), ignored. */
        UsertcpFastOpenOptionIgnored
    }

    private final long[] counters = new long[Counter.values().length];
    private final long[] drops = new long[DropReason.values().length];
    private long currentEstablished;

    public void increment(Counter counter) {
        counters[counter.ordinal()]++;
    }

    public void add(Counter counter, long n) {
        counters[counter.ordinal()] += n;
    }

    public long get(Counter counter) {
        return counters[counter.ordinal()];
    }

    public void drop(DropReason reason) {
        drops[reason.ordinal()]++;
    }

    public long drops(DropReason reason) {
        return drops[reason.ordinal()];
    }

    /** TcpCurrEstab: connections now in ESTABLISHED or CLOSE-WAIT (RFC 4022 tcpCurrEstab). */
    public void establishedDelta(int delta) {
        currentEstablished += delta;
    }

    public long currentEstablished() {
        return currentEstablished;
    }

    /** All non-zero values by name, counters first then {@code Drop<Reason>}, as an nstat table. */
    public Map<String, Long> snapshot() {
        return snapshot(false);
    }

    /** Every value by name, zeros included ({@code nstat -z}), counters first then {@code Drop<Reason>}. */
    public Map<String, Long> snapshotWithZeros() {
        return snapshot(true);
    }

    private Map<String, Long> snapshot(boolean zeros) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Counter c : Counter.values()) {
            if (zeros || counters[c.ordinal()] != 0) {
                out.put(c.name(), counters[c.ordinal()]);
            }
        }
        out.put("TcpCurrEstab", currentEstablished);
        for (DropReason r : DropReason.values()) {
            if (zeros || drops[r.ordinal()] != 0) {
                out.put("Drop" + r.name(), drops[r.ordinal()]);
            }
        }
        return out;
    }

    /** Drop counts per reason, including zeros. */
    public Map<DropReason, Long> dropCounts() {
        Map<DropReason, Long> out = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            out.put(r, drops[r.ordinal()]);
        }
        return out;
    }
}
