package io.usertcp.tcp.cc;

/**
 * Makes a {@link CongestionControl} for a new connection. {@link CongestionAlgorithm} holds the
 * built-in ones; any other algorithm plugs in as an implementation (a lambda will do) placed in
 * {@link CongestionConfig#algorithm()}. Implementations must be stateless or immutable: one factory
 * serves every connection of a stack.
 */
@FunctionalInterface
public interface CongestionControlFactory {

    /**
     * @param smssBytes the sender MSS the connection starts with, 1..65535
     * @param config    the settings the controller follows (initial window, idle restart, ...)
     * @return a new controller owned by one connection
     */
    CongestionControl create(int smssBytes, CongestionConfig config);
}
