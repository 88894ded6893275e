package io.usertcp.tcp;

/** The eleven connection states of RFC 9293 §3.3.2. */
public enum TcpState {
    CLOSED,
    LISTEN,
    SYN_SENT,
    SYN_RECEIVED,
    ESTABLISHED,
    FIN_WAIT_1,
    FIN_WAIT_2,
    CLOSE_WAIT,
    CLOSING,
    LAST_ACK,
    TIME_WAIT;

    /** Synchronized states (RFC 9293 §3.5.2): both sides' sequence numbers are known and agreed. */
    public boolean isSynchronized() {
        return switch (this) {
            case CLOSED, LISTEN, SYN_SENT, SYN_RECEIVED -> false;
            case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT -> true;
        };
    }

    /** Whether the application may still queue data to send (RFC 9293 §3.10.2, SEND). */
    public boolean canSend() {
        return switch (this) {
            case SYN_SENT, SYN_RECEIVED, ESTABLISHED, CLOSE_WAIT -> true;
            case CLOSED, LISTEN, FIN_WAIT_1, FIN_WAIT_2, CLOSING, LAST_ACK, TIME_WAIT -> false;
        };
    }

    /** Whether the peer may still send us data: its FIN has not been received. */
    public boolean peerMaySend() {
        return switch (this) {
            case SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2 -> true;
            case CLOSED, LISTEN, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT -> false;
        };
    }


    /** The name Linux's {@code ss} prints: {@code ESTAB}, {@code FIN-WAIT-1}, ... */
    public String ssName() {
        return switch (this) {
            case CLOSED -> "UNCONN";
            case LISTEN -> "LISTEN";
            case SYN_SENT -> "SYN-SENT";
            case SYN_RECEIVED -> "SYN-RECV";
            case ESTABLISHED -> "ESTAB";
            case FIN_WAIT_1 -> "FIN-WAIT-1";
            case FIN_WAIT_2 -> "FIN-WAIT-2";
            case CLOSE_WAIT -> "CLOSE-WAIT";
            case CLOSING -> "CLOSING";
            case LAST_ACK -> "LAST-ACK";
            case TIME_WAIT -> "TIME-WAIT";
        };
    }

    /** RFC 9293's spelling: {@code SYN-RECEIVED}, {@code FIN-WAIT-1}, ... */
    public String rfcName() {
        return name().replace('_', '-');
    }
}
