package io.usertcp.tcp;

import io.usertcp.wire.Ipv4Address;
import java.util.Arrays;

/**
 * One TCP MD5 signature key (RFC 2385), as Linux's {@code setsockopt(TCP_MD5SIG)} takes it in
 * {@code struct tcp_md5sig}: the peers it is for (an address, and with TCP_MD5SIG_EXT and
 * TCP_MD5SIG_FLAG_PREFIX a prefix length; 32 otherwise) and the key itself, at most 80 bytes
 * (TCP_MD5SIG_MAXKEYLEN). An empty key is a removal, as {@code tcpm_keylen} 0 is (Linux
 * tcp_v4_parse_md5_keys() calls tcp_md5_do_del()).
 *
 * @param address      the peer's address (its bits beyond the prefix are kept, and ignored when matching)
 * @param prefixLength 0..32
 * @param key          the shared secret; copied
 */
public record TcpMd5Key(int address, int prefixLength, byte[] key) {
    /** Linux TCP_MD5SIG_MAXKEYLEN. */
    public static final int MAX_KEY_LENGTH = 80;

    public TcpMd5Key {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefixLength: " + prefixLength + " (expected: 0..32)");
        }
        if (key == null || key.length > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key: " + (key == null ? "null" : key.length + " bytes")
                    + " (expected: 0.." + MAX_KEY_LENGTH + " bytes; 0 removes the key)");
        }
        key = key.clone();
    }

    /** A key for one peer (prefix 32), as plain TCP_MD5SIG sets it. */
    public static TcpMd5Key forPeer(Ipv4Address peer, byte[] key) {
        return new TcpMd5Key(peer.bits(), 32, key);
    }

    @Override
    public byte[] key() {
        return key.clone();
    }

    /** The key without a copy, for the signer; never modified. */
    byte[] keyBytes() {
        return key;
    }

    /** Whether this is a removal (tcpm_keylen 0). */
    public boolean removes() {
        return key.length == 0;
    }

    /** Whether {@code peer} is within the prefix (Linux __tcp_md5_do_lookup(): the address compared under the mask). */
    public boolean matches(int peer) {
        return Ipv4Address.inPrefix(peer, address, prefixLength);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TcpMd5Key k && k.address == address && k.prefixLength == prefixLength && Arrays.equals(k.key, key);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * address + prefixLength) + Arrays.hashCode(key);
    }

    /** The key's bytes are left out, so that a log line never shows a secret. */
    @Override
    public String toString() {
        return "TcpMd5Key[" + Ipv4Address.format(address) + "/" + prefixLength + ", " + key.length + " bytes]";
    }
}
