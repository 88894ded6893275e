package io.usertcp.tools.demo;

import io.usertcp.tcp.ConnectionId;

/**
 * The kernel's socket for a connection changed state, as polling {@code /proc/net/tcp} saw it.
 * States are {@code ss}'s names; {@link KernelWatcher#NEW} is the {@code from} of a socket seen
 * for the first time and {@link KernelWatcher#GONE} the {@code to} of one that disappeared.
 * Polling can miss a state that lasts less than one poll interval.
 *
 * @param id the connection as our stack names it (local = our side), so it joins our events
 */
public record KernelStateChange(long nanos, ConnectionId id, String from, String to, KernelSocket socket) {}
