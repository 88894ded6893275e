package io.usertcp.tcp;

/**
 * A connection's traffic as Linux's TCP_INFO counts it (RFC 4898's tcpEStats as tcp_get_info()
 * reports them; ss -i prints them): segments and data out and in, bytes sent and resent, and when
 * the last ACK came. Pure state on the connection's thread.
 */
final class SegmentCounts {
    /** tcpi_segs_out: every segment sent, retransmissions and pure ACKs included. */
    long segsOut;
    /** tcpi_data_segs_out: segments that carried data. */
    long dataSegsOut;
    /** tcpi_bytes_sent: data bytes sent, retransmissions included. */
    long bytesSent;
    /** tcpi_bytes_retrans: data bytes sent again. */
    long bytesRetrans;
    /** tcpi_total_retrans: segments sent again (Linux total_retrans). */
    long retransSegs;
    /** tcpi_segs_in: every segment that reached the connection. */
    long segsIn;
    /** tcpi_data_segs_in: those that carried data. */
    long dataSegsIn;
    /** When an ACK last arrived that was not older than SND.UNA (Linux rcv_tstamp, tcpi_last_ack_recv). */
    long lastAckNanos;

    /** A segment with {@code payloadBytes} of data went out; {@code again}: data sent before. */
    void sent(int payloadBytes, boolean again) {
        segsOut++;
        if (payloadBytes > 0) {
            dataSegsOut++;
            bytesSent += payloadBytes;
            if (again) {
                bytesRetrans += payloadBytes;
                retransSegs++;
            }
        }
    }

    /** A segment with {@code payloadBytes} of data reached the connection (Linux tcp_segs_in()). */
    void received(int payloadBytes) {
        segsIn++;
        if (payloadBytes > 0) {
            dataSegsIn++;
        }
    }
}
