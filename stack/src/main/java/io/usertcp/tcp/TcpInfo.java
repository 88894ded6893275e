package io.usertcp.tcp;

/**
 * The fields of Linux's {@code struct tcp_info} that a {@link ConnectionSnapshot} does not carry,
 * as this stack can fill them truthfully (the packetdrill runner's {@code %{ }%} blocks read them
 * by their {@code tcpi_} names).
 *
 * @param caState          {@code tcpi_ca_state}: Linux's congestion-avoidance state
 *                         ({@link #CA_OPEN} .. {@link #CA_LOSS})
 * @param advmss           {@code tcpi_advmss}: the MSS we announced
 * @param unacked          {@code tcpi_unacked}: segments in flight (Linux packets_out), from the
 *                         bytes in flight at the send MSS
 * @param reordering       {@code tcpi_reordering}: Linux tp->reordering, 3 until reordering is seen
 *                         (RACK connections raise it as Linux tcp_check_sack_reordering() does)
 * @param lastDataRecvMillis {@code tcpi_last_data_recv}: milliseconds since data last arrived
 *                         (since the handshake completed when none has, as Linux stamps it)
 * @param sacked           {@code tcpi_sacked}: segments in flight that the peer SACKed (Linux sacked_out)
 * @param lost             {@code tcpi_lost}: segments judged lost (Linux lost_out)
 * @param retrans          {@code tcpi_retrans}: retransmissions in flight (Linux retrans_out)
 * @param reordSeen        {@code tcpi_reord_seen}: reordering events seen (Linux reord_seen)
 * @param synDataAcked     {@code TCPI_OPT_SYN_DATA} in {@code tcpi_options}: TCP Fast Open data of
 *                         the SYN exchange was accepted whole (Linux syn_data_acked)
 * @param delivered        {@code tcpi_delivered}: segments the peer acknowledged, our SYN or SYN,ACK
 *                         included, in segments of SND.MSS (Linux tp->delivered counts its skbs')
 * @param busyMicros       {@code tcpi_busy_time}: microseconds with data queued or in flight
 *                         (Linux's chronographs, SendChrono)
 * @param rwndLimitedMicros {@code tcpi_rwnd_limited}: of those, the time the peer's window held data back
 * @param sndbufLimitedMicros {@code tcpi_sndbuf_limited}: of those, the time the application waited
 *                         for send-buffer room with everything sent
 * @param traffic          the segment and byte counts and the last-event times
 */
public record TcpInfo(int caState, int advmss, int unacked, int reordering, long lastDataRecvMillis, int sacked,
                      int lost, int retrans, int reordSeen, boolean synDataAcked, long delivered, long busyMicros,
                      long rwndLimitedMicros, long sndbufLimitedMicros, Traffic traffic) {

    /**
     * What went out and came in (Linux tcp_get_info(), RFC 4898's names).
     *
     * @param bytesSent        {@code tcpi_bytes_sent}: data bytes sent, resent ones included
     * @param bytesRetrans     {@code tcpi_bytes_retrans}: data bytes sent again
     * @param bytesAcked       {@code tcpi_bytes_acked}: sequence space the peer acknowledged (our SYN and FIN count one)
     * @param bytesReceived    {@code tcpi_bytes_received}: sequence space received in order (the peer's FIN counts one)
     * @param segsOut          {@code tcpi_segs_out}: segments sent, pure ACKs and retransmissions included
     * @param segsIn           {@code tcpi_segs_in}: segments that reached the connection
     * @param dataSegsOut      {@code tcpi_data_segs_out}: of those sent, the ones with data
     * @param dataSegsIn       {@code tcpi_data_segs_in}: of those received, the ones with data
     * @param totalRetrans     {@code tcpi_total_retrans}: segments sent again over the connection's life
     * @param lastDataSentMillis {@code tcpi_last_data_sent}: milliseconds since data last went out
     * @param lastAckRecvMillis {@code tcpi_last_ack_recv}: milliseconds since an ACK last came
     * @param rcvMss           {@code tcpi_rcv_mss}: the peer's segment size as measured
     * @param minRttMicros     {@code tcpi_min_rtt}: the smallest RTT sample, 0 before any
     * @param notSentBytes     {@code tcpi_notsent_bytes}: bytes written and not sent yet
     * @param backoff          {@code tcpi_backoff}: RTO backoffs since the last valid sample
     */
    public record Traffic(long bytesSent, long bytesRetrans, long bytesAcked, long bytesReceived, long segsOut,
                          long segsIn, long dataSegsOut, long dataSegsIn, long totalRetrans, long lastDataSentMillis,
                          long lastAckRecvMillis, int rcvMss, long minRttMicros, int notSentBytes, int backoff) {
    }

    /** Linux TCP_CA_Open: no loss or ECN signal being handled. */
    public static final int CA_OPEN = 0;
    /** TCP_CA_Disorder: duplicate ACKs or SACKs seen, no recovery yet. */
    public static final int CA_DISORDER = 1;
    /** TCP_CA_CWR: cwnd reduced for an ECN echo. */
    public static final int CA_CWR = 2;
    /** TCP_CA_Recovery: fast recovery. */
    public static final int CA_RECOVERY = 3;
    /** TCP_CA_Loss: recovery after a retransmission timeout. */
    public static final int CA_LOSS = 4;
}
