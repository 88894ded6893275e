package io.usertcp.wire;

/** TCP option kinds this stack understands, with the lengths their RFCs define. */
public final class TcpOptionKind {
    private TcpOptionKind() {}

    /** End of option list (RFC 9293 §3.2), one byte. */
    public static final int EOL = 0;
    /** No-operation (RFC 9293 §3.2), one byte. */
    public static final int NOP = 1;
    /** Maximum segment size (RFC 9293 §3.7.1), length 4. */
    public static final int MSS = 2;
    /** Window scale (RFC 7323 §2.2), length 3. */
    public static final int WINDOW_SCALE = 3;
    /** SACK permitted (RFC 2018 §2), length 2. */
    public static final int SACK_PERMITTED = 4;
    /** SACK blocks (RFC 2018 §3), length 2 + 8n. */
    public static final int SACK = 5;
    /** Timestamps (RFC 7323 §3.2), length 10. */
    public static final int TIMESTAMPS = 8;
    /** TCP MD5 signature (RFC 2385 §3.0), length 18: kind, length and a 16-byte MD5 digest. */
    public static final int MD5_SIGNATURE = 19;
    /** TCP Fast Open cookie (RFC 7413 §4.1.1). */
    public static final int FAST_OPEN = 34;
    /** Experimental option (RFC 6994), which carried Fast Open before kind 34 with {@link #FAST_OPEN_MAGIC}. */
    public static final int EXPERIMENTAL = 254;
    /** The experiment identifier of Fast Open in option 254 (Linux TCPOPT_FASTOPEN_MAGIC). */
    public static final int FAST_OPEN_MAGIC = 0xF989;
    /** Cookie sizes RFC 7413 §4.1.1 allows (Linux TCP_FASTOPEN_COOKIE_MIN / _MAX). */
    public static final int FAST_OPEN_COOKIE_MIN = 4;
    public static final int FAST_OPEN_COOKIE_MAX = 16;

    public static final int MSS_LENGTH = 4;
    public static final int WINDOW_SCALE_LENGTH = 3;
    public static final int SACK_PERMITTED_LENGTH = 2;
    public static final int TIMESTAMPS_LENGTH = 10;
    public static final int SACK_BLOCK_LENGTH = 8;
    public static final int MD5_SIGNATURE_LENGTH = 18;
    /** The MD5 digest the signature option carries (RFC 2385 §3.0). */
    public static final int MD5_DIGEST_LENGTH = 16;
    /** The signature with the two NOPs that align it, as Linux writes it (TCPOLEN_MD5SIG_ALIGNED). */
    public static final int MD5_SIGNATURE_ALIGNED_LENGTH = 20;
    /** 40 bytes of option space hold at most 4 SACK blocks (2 + 4·8 = 34). */
    public static final int MAX_SACK_BLOCKS = 4;
    /** The most option bytes a TCP header can hold (data offset 15 words). */
    public static final int MAX_OPTIONS_LENGTH = 40;
}
