/**
 * Links: the boundary through which IPv4 datagrams enter and leave a stack, and the in-memory
 * links that connect stacks in tests and simulations.
 *
 * <p>Pure (DESIGN.md §2): in-memory links use no clock, thread or randomness of their own.
 * Ownership: {@link io.usertcp.link.Link#receive()} hands the caller a buffer it must release;
 * {@link io.usertcp.link.Link#transmit} takes the buffer. Not thread-safe.
 */
package io.usertcp.link;
