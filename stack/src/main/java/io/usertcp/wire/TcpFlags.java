package io.usertcp.wire;

/**
 * The TCP control bits (RFC 9293 §3.1, RFC 3168 §6.1 for ECE and CWR) as a value. The hot path
 * uses the {@code int} constants directly; the record is for tests, logs and snapshots.
 *
 * @param bits the low 8 bits of TCP header byte 13
 */
public record TcpFlags(int bits) {
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    /** tcpdump's letters, in tcpdump's order; ACK is '.'. */
    private static final int[] PRINT_ORDER = {FIN, SYN, RST, PSH, ACK, URG, ECE, CWR};
    private static final char[] PRINT_LETTER = {'F', 'S', 'R', 'P', '.', 'U', 'E', 'W'};

    public TcpFlags {
        Fields.checkUnsigned("flags", bits, 8);
    }

    public static TcpFlags of(int... flags) {
        int bits = 0;
        for (int flag : flags) {
            bits |= flag;
        }
        return new TcpFlags(bits);
    }

    public boolean has(int flag) {
        return (bits & flag) == flag;
    }

    public boolean fin() {
        return has(FIN);
    }

    public boolean syn() {
        return has(SYN);
    }

    public boolean rst() {
        return has(RST);
    }

    public boolean psh() {
        return has(PSH);
    }

    public boolean ack() {
        return has(ACK);
    }

    public boolean urg() {
        return has(URG);
    }

    /** tcpdump's notation without brackets: {@code S}, {@code S.}, {@code FP.}, or {@code none}. */
    public static String format(int bits) {
        StringBuilder sb = new StringBuilder(8);
        for (int i = 0; i < PRINT_ORDER.length; i++) {
            if ((bits & PRINT_ORDER[i]) != 0) {
                sb.append(PRINT_LETTER[i]);
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    @Override
    public String toString() {
        return "[" + format(bits) + "]";
    }
}
