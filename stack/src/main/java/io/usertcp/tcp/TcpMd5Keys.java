package io.usertcp.tcp;

import java.util.ArrayList;
import java.util.List;

/**
 * The TCP MD5 keys of one socket (RFC 2385), as Linux keeps them in {@code tcp_md5sig_info}: at
 * most one key per address and prefix length; the key for a peer is the matching one with the
 * longest prefix (Linux __tcp_md5_do_lookup()). A listener keeps one per peer it serves; a
 * connection uses the one that matches its peer, and a child of a listener inherits that one
 * (Linux tcp_v4_syn_recv_sock() copies it as a /32 key). Not thread-safe: each owner's thread.
 */
public final class TcpMd5Keys {
    private final List<TcpMd5Key> keys = new ArrayList<>(1);

    /**
     * Adds {@code key}, replacing the key for the same address and prefix length (Linux
     * tcp_md5_do_add(): an existing key's bytes are replaced), or removes that key when
     * {@code key} is a removal (tcpm_keylen 0, Linux tcp_md5_do_del()).
     *
     * @return false for a removal of a key that is not there (Linux: ENOENT), true otherwise
     */
    public boolean set(TcpMd5Key key) {
        for (int i = 0; i < keys.size(); i++) {
            TcpMd5Key k = keys.get(i);
            if (k.address() == key.address() && k.prefixLength() == key.prefixLength()) {
                if (key.removes()) {
                    keys.remove(i);
                } else {
                    keys.set(i, key);
                }
                return true;
            }
        }
        if (key.removes()) {
            return false;
        }
        keys.add(key);
        return true;
    }

    /** The key for {@code peer}: the matching one with the longest prefix, or null (Linux __tcp_md5_do_lookup()). */
    public TcpMd5Key lookup(int peer) {
        TcpMd5Key best = null;
        for (int i = 0; i < keys.size(); i++) {
            TcpMd5Key k = keys.get(i);
            if (k.matches(peer) && (best == null || k.prefixLength() > best.prefixLength())) {
                best = k;
            }
        }
        return best;
    }

    public boolean isEmpty() {
        return keys.isEmpty();
    }

    /** The keys, in the order they were added. */
    public List<TcpMd5Key> all() {
        return List.copyOf(keys);
    }
}
