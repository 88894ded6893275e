package io.usertcp.tcp.receive;

import io.usertcp.tcp.TcpProfile;
import io.usertcp.wire.SeqNum;

/**
 * Linux's receive-buffer autotuning, "dynamic right-sizing" (tcp_input.c: tcp_rcv_space_adjust(),
 * tcp_rcv_rtt_measure(), tcp_rcv_rtt_measure_ts(), tcp_rcv_rtt_update(); net.ipv4.tcp_moderate_rcvbuf).
 *
 * <p>The receiver estimates the round-trip time on its own: from the timestamp echo of full-sized
 * segments, else from how long a window's worth of data takes to arrive. Once per estimated round
 * trip, a read looks at how many bytes the application took in that round trip. If it took more
 * than in the last one, the sender is growing its rate, and the buffer grows so that the window can
 * hold twice that, plus room for the sender to grow as fast again (slow start doubles per round
 * trip): {@code rcvwin = 2·copied + 16·advmss}, increased by twice its growth ratio, made a buffer
 * by tcp_space_from_win() and capped at tcp_rmem[2]. The buffer never shrinks.
 *
 * <p>This follows Linux 5.x–6.15. Linux 6.16 and later (tcp_rcvbuf_grow()) drop the 16·advmss term
 * and add the out-of-order span; the receive window there also grows gradually within the buffer
 * (rcv_ssthresh, tcp_grow_window()), which this stack does not model: its window offers the whole
 * free space at once.
 *
 * <p>Pure state on the connection's thread; times are the injected clock's nanoseconds.
 */
final class ReceiveAutotuning {
    private final TcpProfile profile;
    private final int maxBufferBytes;
    /** rcvq_space.space: the most bytes read in one round trip so far (at first the initial window's worth). */
    private long space;
    /** rcvq_space.seq: bytes read when the current measurement began. */
    private long measureStartRead;
    /** rcvq_space.time. */
    private long measureStartNanos;
    /** rcv_rtt_est.rtt_us as Linux keeps it: eight times the estimate (nanoseconds); 0 before any sample. */
    private long rtt8Nanos;
    /** rcv_rtt_est.seq: the window-based sample ends when RCV.NXT reaches this. */
    private int rttSeq;
    /** rcv_rtt_est.time: when the window-based sample began; 0 when none is running. */
    private long rttStartNanos;
    private boolean rttRunning;
    /** rcv_rtt_last_tsecr. */
    private int lastTsEcr;

    ReceiveAutotuning(TcpProfile profile, int maxBufferBytes) {
        this.profile = profile;
        this.maxBufferBytes = maxBufferBytes;
    }

    /** Whether {@link #start} ran: measuring has begun. */
    boolean started() {
        return space > 0;
    }

    /** The connection is established: measuring starts (Linux tcp_init_buffer_space()). */
    void start(long nowNanos, long bytesRead, int initialSpace) {
        space = Math.max(1, initialSpace);
        measureStartRead = bytesRead;
        measureStartNanos = nowNanos;
    }

    /** The receiver's RTT estimate in nanoseconds; 0 before the first sample. */
    long rttNanos() {
        return rtt8Nanos >> 3;
    }

    /**
     * In-order data arrived with RCV.NXT now at {@code rcvNxt}. Takes the samples Linux does: a
     * window-based one (tcp_rcv_rtt_measure(): the time since RCV.NXT + RCV.WND was noted, once
     * RCV.NXT gets there; only ever lowers the estimate) and, for a full-sized segment with a new
     * echo, a timestamp-based one (tcp_rcv_rtt_measure_ts(), smoothed).
     */
    void measure(long nowNanos, int rcvNxt, long window, boolean fullSized, int tsEcr, int echoMillis) {
        if (!rttRunning) {
            newWindowMeasure(nowNanos, rcvNxt, window);
        } else if (SeqNum.ge(rcvNxt, rttSeq)) {
            update(Math.max(1, nowNanos - rttStartNanos), true);
            newWindowMeasure(nowNanos, rcvNxt, window);
        }
        if (echoMillis >= 0 && tsEcr != lastTsEcr) {
            lastTsEcr = tsEcr;
            if (fullSized && echoMillis > 0) {
                update(echoMillis * 1_000_000L, false);
            }
        }
    }

    private void newWindowMeasure(long nowNanos, int rcvNxt, long window) {
        rttSeq = rcvNxt + (int) window;
        rttStartNanos = nowNanos;
        rttRunning = true;
    }

    /**
     * tcp_rcv_rtt_update(): a lower sample replaces the estimate; a higher one is ignored when it
     * is window-based ({@code windowDependent}: those overestimate when the sender is idle) and
     * averaged in with gain 1/8 otherwise.
     */
    private void update(long sampleNanos, boolean windowDependent) {
        long m = sampleNanos << 3;
        if (rtt8Nanos == 0 || m < rtt8Nanos) {
            rtt8Nanos = m;
        } else if (!windowDependent) {
            rtt8Nanos = rtt8Nanos - (rtt8Nanos >> 3) + sampleNanos;
        }
    }

    /**
     * The application read, bringing its total to {@code bytesRead}: once a round trip has passed
     * since the measurement began, the buffer Linux's tcp_rcv_space_adjust() would set.
     *
     * @return the new buffer size, or {@code bufferBytes} when it stays
     */
    int adjust(long nowNanos, long bytesRead, int bufferBytes, int advmss, int scalingRatio) {
        if (!started()) {
            throw new IllegalStateException("autotuning adjusted before it started: rcvq_space.space would divide by zero");
        }
        long rtt = rttNanos();
        if (rtt == 0 || nowNanos - measureStartNanos < rtt) {
            return bufferBytes;
        }
        long copied = bytesRead - measureStartRead;
        int result = bufferBytes;
        if (copied > space) {
            long rcvwin = (copied << 1) + 16L * advmss;
            long grow = rcvwin * (copied - space) / space; // room for the sender's rate to grow (slow start)
            rcvwin += grow << 1;
            long buffer = Math.min(profile.receiveBufferForWindow(rcvwin, scalingRatio), maxBufferBytes);
            if (buffer > bufferBytes) {
                result = (int) buffer;
            }
            space = copied;
        }
        measureStartRead = bytesRead;
        measureStartNanos = nowNanos;
        return result;
    }
}
