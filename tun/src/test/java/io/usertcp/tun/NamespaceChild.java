package io.usertcp.tun;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM for {@link NetworkNamespaceTest}: creates a namespace, prints its name, and then
 * either exits without deleting it ({@code exit}: the shutdown hook must) or waits to be killed
 * ({@code wait}, at most 30 s: the next {@code create} in another JVM must delete the orphan).
 */
public final class NamespaceChild {
    private NamespaceChild() {}

    public static void main(String[] args) throws InterruptedException {
        NetworkNamespace ns = NetworkNamespace.create("usertcp-nschild");
        System.out.println(ns.name());
        System.out.flush();
        if (args.length > 0 && args[0].equals("wait")) {
            new CountDownLatch(1).await(30, TimeUnit.SECONDS);
        }
        System.exit(0);
    }
}
