package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.control.ControlClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, "a stack that cannot die silently": a serve whose stack thread is killed on purpose
 * (the {@link ServeCommand#KILL_STACK_PROPERTY} test hook: a virtual-machine error on the stack
 * thread) reports it and exits non-zero within a second, and deletes its namespace. It used to
 * serve nothing until its --duration ran out, and exit 0.
 */
@Tag("tun")
@Timeout(60)
class ServeStackDeathTest {
    private static final Pattern KILLED_AT = Pattern.compile("killing the stack thread at (\\d+) ms since the epoch");

    @BeforeAll
    static void needTun() {
        ToolsTunSupport.requireTun();
    }

    @Test
    void stackThreadKilled_serveReportsIt_andExitsNonZeroWithinASecond(@TempDir Path dir) throws Exception {
        Path control = dir.resolve("control");
        List<String> command = new ArrayList<>(ChildUsertcp.javaCommand("-D" + ServeCommand.KILL_STACK_PROPERTY + "=1000"));
        command.addAll(List.of("serve", "--app", "echo", "--duration", "60", "--quiet", "--no-color",
                "--control-dir", control.toString()));
        ChildUsertcp serve = ChildUsertcp.start(dir, "serve", command);
        try {
            assertTrue(serve.exitsWithin(TimeUnit.SECONDS.toNanos(30)), "serve still runs 30 s on: " + serve.describe());
            long exitedAtMillis = System.currentTimeMillis();
            String err = serve.err();
            assertEquals(UsertcpMain.EXIT_FAILED, serve.awaitExit(0), serve.describe());
            Matcher killed = KILLED_AT.matcher(err);
            assertTrue(killed.find(), serve.describe());
            long tookMillis = exitedAtMillis - Long.parseLong(killed.group(1));
            System.out.println("serve exited " + tookMillis + " ms after its stack thread was killed");
            assertTrue(tookMillis < 1000, "serve exited " + tookMillis + " ms after its stack thread was killed: " + serve.describe());
            assertTrue(err.contains("usertcp serve: the stack thread died (java.lang.InternalError: killed on purpose by "
                    + ServeCommand.KILL_STACK_PROPERTY + "); stopping"), serve.describe());
            assertTrue(ControlClient.discover(control).isEmpty(), "the control socket is deleted");
            assertTrue(namespacesOf(serve).isEmpty(), "the namespace is deleted: " + namespacesOf(serve));
        } finally {
            serve.close();
            // DESIGN.md §10: deleted even on failure (a killed child leaves its namespace)
            for (String ns : namespacesOf(serve)) {
                new ProcessBuilder("ip", "netns", "delete", ns).start().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The namespaces the child created ({@code ...-pPID-nSEQ}). */
    private static List<String> namespacesOf(ChildUsertcp child) throws Exception {
        Path netns = Path.of("/run/netns");
        if (!Files.isDirectory(netns)) {
            return List.of();
        }
        String marker = "-p" + child.pid() + "-n";
        try (var entries = Files.list(netns)) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.contains(marker)).sorted().toList();
        }
    }
}
