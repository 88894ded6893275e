package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.core.Shard;
import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.tools.control.ControlClient;
import io.usertcp.tools.control.ControlServer;
import io.usertcp.tools.control.SsRow;
import io.usertcp.wire.Ipv4Address;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: ss and stats show the stack's health, and a stack whose thread died still answers its
 * control socket at once (it used to leave ss waiting 30 s). A stack on an in-memory wire: no TUN.
 */
class ControlServerHealthTest {
    @TempDir
    Path dir;
    ConcurrentLinkPair wire;
    StackRunner runner;
    ControlServer control;

    @BeforeEach
    void start() {
        wire = new ConcurrentLinkPair(1500);
        StackConfig config = StackConfig.of(Ipv4Address.of("198.18.0.2"), RandomSource.seeded(1))
                .withAllocator(PooledByteBufAllocator.DEFAULT);
        runner = new StackRunner(new TcpStack(config), wire.a(), "usertcp-health-test").start();
        control = ControlServer.start(dir, "usertcp-health-test", runner, Map.of("app", "nothing"));
    }

    @AfterEach
    void stop() {
        control.close();
        runner.close();
        wire.clear();
    }

    @Test
    void aLiveStack_saysAlive_andItsHeaderIsUnchanged() throws Exception {
        assertEquals("alive", ControlClient.info(control.path()).get(ControlServer.HEALTH));
        InJvmCommand.Printed ss = InJvmCommand.run("ss", "--socket", control.path().toString());
        assertEquals(UsertcpMain.EXIT_OK, ss.exit(), ss.err());
        assertTrue(ss.out().lines().findFirst().orElse("").endsWith(", profile linux)"), ss.out());
    }

    @Test
    void aDeadStack_answersAtOnce_withItsCause_andSsAndStatsSaySoAndFail() throws Exception {
        runner.execute(() -> {
            throw new InternalError("killed on purpose by the test");
        });
        assertTrue(runner.awaitTermination(1, TimeUnit.SECONDS));
        long start = System.nanoTime();

        Map<String, String> info = ControlClient.info(control.path());
        assertEquals("dead: java.lang.InternalError: killed on purpose by the test", info.get(ControlServer.HEALTH));
        assertEquals("linux", info.get(ControlServer.PROFILE), "the profile is still known");
        IOException ssFailure = assertThrows(IOException.class, () -> ControlClient.ss(control.path()));
        assertTrue(ssFailure.getMessage().contains("died (java.lang.InternalError: killed on purpose by the test)"),
                ssFailure.getMessage());

        for (String command : new String[] {"ss", "stats"}) {
            InJvmCommand.Printed p = InJvmCommand.run(command, "--socket", control.path().toString());
            assertEquals(UsertcpMain.EXIT_FAILED, p.exit(), p.out() + p.err());
            assertTrue(p.out().lines().findFirst().orElse("")
                    .endsWith(", profile linux, stack thread dead: java.lang.InternalError: killed on purpose by the test)"), p.out());
            assertTrue(p.err().contains("the stack is not serving (dead: java.lang.InternalError: killed on purpose by the test)"),
                    p.err());
        }
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "answered at once, not after a 30 s timeout");
    }

    /**
     * Two shards, each on its own runner (and wire): ss and stats answer both, read on each one's
     * thread; when one dies, info names it and ss and stats fail at once, saying so.
     */
    @Test
    void aStackOfTwoShards_answersForBoth_andOneDead_isNamedByItsShard() throws Exception {
        ConcurrentLinkPair secondWire = new ConcurrentLinkPair(1500);
        StackConfig config = StackConfig.of(Ipv4Address.of("198.18.0.2"), RandomSource.seeded(2))
                .withAllocator(PooledByteBufAllocator.DEFAULT).withShard(new Shard(1, 2));
        StackRunner second = new StackRunner(new TcpStack(config), secondWire.a(), "usertcp-health-test-shard1").start();
        ControlServer both = ControlServer.start(dir.resolve("two"), "usertcp-health-shards", List.of(runner, second),
                Map.of("app", "nothing"), null);
        try {
            for (StackRunner r : List.of(runner, second)) {
                r.call(now -> r.stack().listen(now, 80, 16));
            }
            assertEquals("2", ControlClient.info(both.path()).get(ControlServer.SHARDS));
            assertEquals(List.of(0, 1), ControlClient.ss(both.path()).stream().map(SsRow::shard).toList(), "a listener each");
            assertTrue(ControlClient.statsPerShard(both.path()).values().stream().allMatch(v -> v.length == 2), "a value each");

            second.execute(() -> {
                throw new InternalError("killed on purpose by the test");
            });
            assertTrue(second.awaitTermination(1, TimeUnit.SECONDS));
            String health = "dead: shard 1: java.lang.InternalError: killed on purpose by the test";
            assertEquals(health, ControlClient.info(both.path()).get(ControlServer.HEALTH));
            for (String command : new String[] {"ss", "stats"}) {
                InJvmCommand.Printed p = InJvmCommand.run(command, "--socket", both.path().toString());
                assertEquals(UsertcpMain.EXIT_FAILED, p.exit(), p.out() + p.err());
                assertTrue(p.out().lines().findFirst().orElse("").endsWith(", 2 shards, stack thread " + health + ")"), p.out());
            }
        } finally {
            both.close();
            second.close();
            secondWire.clear();
        }
    }
}
