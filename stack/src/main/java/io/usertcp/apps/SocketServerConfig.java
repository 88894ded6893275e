package io.usertcp.apps;

/**
 * How a {@link SocketServer} bounds its connections.
 *
 * @param maxConnections    connections served at once (one thread each), 1..4096; also the
 *                          listener's backlog. Reaching it never stops accepting while some
 *                          connection is idle: the one idle the longest is closed to make room.
 * @param idleTimeoutMillis how long a connection may send nothing while the server waits for it
 *                          before it is closed, 1..{@link Integer#MAX_VALUE}
 */
public record SocketServerConfig(int maxConnections, int idleTimeoutMillis) {
    /** The idle timeout unless told otherwise: 30 s. */
    public static final int DEFAULT_IDLE_TIMEOUT_MILLIS = 30_000;
    /** The largest {@link #maxConnections()}. */
    public static final int MAX_CONNECTIONS = 4096;

    public SocketServerConfig {
        if (maxConnections < 1 || maxConnections > MAX_CONNECTIONS) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: 1.." + MAX_CONNECTIONS + ")");
        }
        if (idleTimeoutMillis < 1) {
            throw new IllegalArgumentException("idleTimeoutMillis: " + idleTimeoutMillis + " (expected: 1.."
                    + Integer.MAX_VALUE + ")");
        }
    }

    /** {@code maxConnections} at once, with the {@link #DEFAULT_IDLE_TIMEOUT_MILLIS default idle timeout}. */
    public static SocketServerConfig of(int maxConnections) {
        return new SocketServerConfig(maxConnections, DEFAULT_IDLE_TIMEOUT_MILLIS);
    }

    public SocketServerConfig withIdleTimeoutMillis(int millis) {
        return new SocketServerConfig(maxConnections, millis);
    }
}
