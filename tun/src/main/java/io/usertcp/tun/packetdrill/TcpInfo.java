package io.usertcp.tun.packetdrill;

import io.usertcp.tcp.TcpState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * Linux's {@code struct tcp_info} (include/uapi/linux/tcp.h) as the {@code tcpi_*} fields a
 * script's {@code %{ }%} block reads: a value, read once. Fields past the length the kernel
 * returned are absent (null), never guessed.
 *
 * @param state  tcpi_state as a {@link TcpState} (null for a state the stack has no name for)
 * @param fields every field the kernel filled, by name
 */
record TcpInfo(TcpState state, Map<String, Long> fields) {
    /** Room for the whole struct as Linux 6.x fills it. */
    static final int SIZE = 256;

    /** The u32 fields from offset 8 on, in order, then the later ones at their offsets. */
    private static final String[] U32_FROM_8 = {"rto", "ato", "snd_mss", "rcv_mss", "unacked", "sacked", "lost", "retrans",
        "fackets", "last_data_sent", "last_ack_sent", "last_data_recv", "last_ack_recv", "pmtu", "rcv_ssthresh", "rtt",
        "rttvar", "snd_ssthresh", "snd_cwnd", "advmss", "reordering", "rcv_rtt", "rcv_space", "total_retrans"};
    private static final Object[][] LATER = {
        {"pacing_rate", 104, 8}, {"max_pacing_rate", 112, 8}, {"bytes_acked", 120, 8}, {"bytes_received", 128, 8},
        {"segs_out", 136, 4}, {"segs_in", 140, 4}, {"notsent_bytes", 144, 4}, {"min_rtt", 148, 4},
        {"data_segs_in", 152, 4}, {"data_segs_out", 156, 4}, {"delivery_rate", 160, 8}, {"busy_time", 168, 8},
        {"rwnd_limited", 176, 8}, {"sndbuf_limited", 184, 8}, {"delivered", 192, 4}, {"delivered_ce", 196, 4},
        {"bytes_sent", 200, 8}, {"bytes_retrans", 208, 8}, {"dsack_dups", 216, 4}, {"reord_seen", 220, 4},
        {"rcv_ooopack", 224, 4}, {"snd_wnd", 228, 4}, {"rcv_wnd", 232, 4}, {"rehash", 236, 4},
        {"total_rto", 240, 2}, {"total_rto_recoveries", 242, 2}, {"total_rto_time", 244, 4}};
    /** Linux's TCP states (include/net/tcp_states.h), 1-based. */
    private static final TcpState[] STATES = {null, TcpState.ESTABLISHED, TcpState.SYN_SENT, TcpState.SYN_RECEIVED,
        TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2, TcpState.TIME_WAIT, TcpState.CLOSED, TcpState.CLOSE_WAIT,
        TcpState.LAST_ACK, TcpState.LISTEN, TcpState.CLOSING, TcpState.SYN_RECEIVED};

    /**
     * Linux's names for tcpi_ca_state values (include/uapi/linux/tcp.h, enum tcp_ca_state) and the
     * tcpi_options bits the stack's assertions do not define (TCPI_OPT_ECN_SEEN, TCPI_OPT_SYN_DATA).
     */
    private static final Map<String, Long> CONSTANTS = Map.of("TCP_CA_Open", 0L, "TCP_CA_Disorder", 1L, "TCP_CA_CWR", 2L,
            "TCP_CA_Recovery", 3L, "TCP_CA_Loss", 4L, "TCPI_OPT_ECN_SEEN", 16L, "TCPI_OPT_SYN_DATA", 32L);

    /** A {@code tcpi_*} field of this reading, or one of Linux's constants; null when neither. */
    Long value(String name) {
        Long v = fields.get(name);
        return v != null ? v : CONSTANTS.get(name);
    }

    /** A constant by name when there is no reading (no socket). */
    static Long constant(String name) {
        return CONSTANTS.get(name);
    }

    /** Parses the bytes getsockopt(TCP_INFO) returned (host order, little-endian on x86-64 and AArch64). */
    static TcpInfo parse(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        Map<String, Long> f = new HashMap<>();
        if (bytes.length < 8) {
            return new TcpInfo(null, f);
        }
        int state = b.get(0) & 0xFF;
        f.put("tcpi_ca_state", (long) (b.get(1) & 0xFF));
        f.put("tcpi_retransmits", (long) (b.get(2) & 0xFF));
        f.put("tcpi_probes", (long) (b.get(3) & 0xFF));
        f.put("tcpi_backoff", (long) (b.get(4) & 0xFF));
        f.put("tcpi_options", (long) (b.get(5) & 0xFF));
        f.put("tcpi_snd_wscale", (long) (b.get(6) & 0x0F)); // u8 tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4
        f.put("tcpi_rcv_wscale", (long) ((b.get(6) >> 4) & 0x0F));
        f.put("tcpi_delivery_rate_app_limited", (long) (b.get(7) & 0x1));
        f.put("tcpi_fastopen_client_fail", (long) ((b.get(7) >> 1) & 0x3));
        for (int i = 0; i < U32_FROM_8.length && 8 + 4 * i + 4 <= bytes.length; i++) {
            f.put("tcpi_" + U32_FROM_8[i], b.getInt(8 + 4 * i) & 0xFFFF_FFFFL);
        }
        for (Object[] field : LATER) {
            int offset = (Integer) field[1];
            int size = (Integer) field[2];
            if (offset + size <= bytes.length) {
                long v = size == 8 ? b.getLong(offset) : size == 4 ? b.getInt(offset) & 0xFFFF_FFFFL : b.getShort(offset) & 0xFFFF;
                f.put("tcpi_" + field[0], v);
            }
        }
        f.put("tcpi_state", (long) state);
        return new TcpInfo(state < STATES.length ? STATES[state] : null, f);
    }
}
