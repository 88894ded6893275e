package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Short names for connections, {@code conn 1}, {@code conn 2}, ..., in the order they first show
 * up on either side, and an optional description ("curl → http") set by whoever started them.
 * Thread-safe.
 */
public final class ConnectionLabels {
    private final Map<ConnectionId, Integer> numbers = new LinkedHashMap<>();
    private final Map<ConnectionId, String> descriptions = new LinkedHashMap<>();

    /** {@code conn N} for a connection, numbering it if it is new; listeners are {@code :PORT}. */
    public synchronized String label(ConnectionId id) {
        if (id.remotePort() == 0) {
            return "listen:" + id.localPort();
        }
        return "conn " + numbers.computeIfAbsent(id, k -> numbers.size() + 1);
    }

    public synchronized boolean isKnown(ConnectionId id) {
        return numbers.containsKey(id);
    }

    public synchronized void describe(ConnectionId id, String description) {
        label(id);
        descriptions.put(id, description);
    }

    /** The description, or the four-tuple when none was given. */
    public synchronized String description(ConnectionId id) {
        return descriptions.getOrDefault(id, tuple(id));
    }

    /** {@code kernel 198.18.0.1:41234 ⇄ ours 198.18.0.2:80} */
    public static String tuple(ConnectionId id) {
        return "kernel " + id.remote() + ":" + id.remotePort() + " ⇄ ours " + id.local() + ":" + id.localPort();
    }
}
