package io.usertcp.runtime;

import org.junit.jupiter.api.AfterEach;

/**
 * Two stacks on two {@link StackRunner}s over one in-memory wire, real threads and real time:
 * what the runner tests share. Each test starts the runners it needs; both stop after it, and
 * whatever is still on the wire is released.
 */
abstract class TwoRunners {
    final ConcurrentLinkPair wire = new ConcurrentLinkPair(1500);
    StackRunner client;
    StackRunner server;

    @AfterEach
    void stopRunners() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        wire.clear();
    }
}
