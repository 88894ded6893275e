package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.usertcp.tools.demo.Programs;
import io.usertcp.tun.TunSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * What the tools' kernel tests share, as the tun module's TunTestSupport does: under {@code CI=true}
 * a missing piece (root, TUN, a program) fails the test with its reason; elsewhere it is skipped
 * with it. And the check that nothing of ours is left behind.
 */
public final class ToolsTunSupport {
    private ToolsTunSupport() {}

    /** Fails (CI) or skips (elsewhere) unless namespaces with TUN devices work here. */
    public static void requireTun() {
        unavailable(TunSupport.probe());
    }

    /** Fails (CI) or skips (elsewhere) unless {@code command} is installed. */
    public static void requireCommand(String command, String debianPackage) {
        unavailable(Programs.missing(command, debianPackage, "this test"));
    }

    private static void unavailable(String reason) {
        if (reason == null) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("the TUN tests must run under CI=true, but cannot: " + reason);
        }
        Assumptions.abort(reason);
    }

    /** The namespaces in /run/netns that this JVM created ({@code ...-pPID-nSEQ}). */
    public static List<String> ourNamespaces() {
        return namespacesOf(ProcessHandle.current().pid());
    }

    /** The namespaces in /run/netns that the process {@code pid} created ({@code ...-pPID-nSEQ}): a child usertcp's. */
    public static List<String> namespacesOf(long pid) {
        String marker = "-p" + pid + "-n";
        Path dir = Path.of("/run/netns");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.contains(marker)).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError("cannot list " + dir, e);
        }
    }

    /** DESIGN.md §10, even on failure: deletes what {@link #namespacesOf} finds (a killed child leaves its namespace). */
    public static void deleteNamespacesOf(long pid) throws IOException, InterruptedException {
        for (String ns : namespacesOf(pid)) {
            new ProcessBuilder("ip", "netns", "delete", ns).start().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** DESIGN.md §10: no namespace of this JVM left. */
    public static void assertNoNamespaceLeft() {
        assertTrue(ourNamespaces().isEmpty(), () -> "namespaces of this JVM left: " + ourNamespaces());
    }
}
