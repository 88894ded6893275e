package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.control.ControlClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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

    /** With two shards the hook kills the last one: serve watches every shard's thread, not only the first. */
    @ParameterizedTest(name = "{0} shard(s)")
    @ValueSource(ints = {1, 2})
    void stackThreadKilled_serveReportsIt_andExitsNonZeroWithinASecond(int shards, @TempDir Path dir) throws Exception {
        Path control = dir.resolve("control");
        List<String> command = new ArrayList<>(ChildUsertcp.javaCommand("-D" + ServeCommand.KILL_STACK_PROPERTY + "=1000"));
        command.addAll(List.of("serve", "--app", "echo", "--shards", Integer.toString(shards), "--duration", "60", "--quiet",
                "--no-color", "--control-dir", control.toString()));
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
            assertTrue(ToolsTunSupport.namespacesOf(serve.pid()).isEmpty(), "the namespace is deleted: "
                    + ToolsTunSupport.namespacesOf(serve.pid()));
        } finally {
            serve.close();
            ToolsTunSupport.deleteNamespacesOf(serve.pid()); // DESIGN.md §10: deleted even on failure
        }
    }
}
