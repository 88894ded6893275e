package io.usertcp.tcp.cc;

/**
 * NewReno: RFC 5681 slow start and congestion avoidance, with the window changes of RFC 6582 fast
 * recovery. Congestion avoidance counts bytes (RFC 3465 §2.1, the method RFC 5681 §3.1
 * recommends): one SMSS more per cwnd bytes acknowledged, so about one segment per RTT whether or
 * not the receiver delays its ACKs.
 */
final class NewReno extends LossBasedCongestionControl {
    /** RFC 3465 bytes_acked: bytes acknowledged in congestion avoidance since cwnd last grew. */
    private long bytesAcked;

    NewReno(int smssBytes, CongestionConfig config) {
        super(smssBytes, config);
    }

    @Override
    public String name() {
        return CongestionAlgorithm.NEW_RENO.algorithmName();
    }

    @Override
    void congestionAvoidance(long nowNanos, long ackedBytes, long srttNanos) {
        // RFC 3465 §2.1: when bytes_acked reaches cwnd, subtract cwnd and grow cwnd by SMSS
        bytesAcked += ackedBytes;
        if (bytesAcked >= cwnd) {
            bytesAcked -= cwnd;
            cwnd = Math.min(cwnd + smss, MAX_WINDOW_BYTES);
        }
    }

    @Override
    void reduceOnLoss(long nowNanos, long flightSizeBytes) {
        // RFC 5681 §3.2 step 2 (eq. 4): ssthresh = max(FlightSize / 2, 2·SMSS);
        // RFC 6675 §5 step 4.2: cwnd = ssthresh (RFC 5681's +3·SMSS inflation is the sender's)
        ssthresh = ssthreshAtLeastTwoSegments(flightSizeBytes / 2);
        cwnd = ssthresh;
        bytesAcked = 0;
    }

    @Override
    void reduceOnTimeout(long nowNanos, long flightSizeBytes, boolean firstTimeout) {
        if (firstTimeout) {
            ssthresh = ssthreshAtLeastTwoSegments(flightSizeBytes / 2); // RFC 5681 §3.1 eq. 4
        }
        bytesAcked = 0;
    }
}
