package io.usertcp.tools.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.usertcp.core.RandomSource;
import io.usertcp.runtime.ConcurrentLinkPair;
import io.usertcp.runtime.StackRunner;
import io.usertcp.tcp.StackConfig;
import io.usertcp.tcp.TcpStack;
import io.usertcp.wire.Ipv4Address;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: control sockets live only in a private directory. One that is a symlink, writable by
 * others or owned by someone else is refused, never used or repaired; there is no fallback into a
 * shared temporary directory.
 */
class ControlDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void createPrivate_makesTheDirectoryMode0700() throws Exception {
        Path dir = tmp.resolve("control");
        ControlDirectory.createPrivate(dir);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
        ControlDirectory.createPrivate(dir); // an existing private directory is fine
    }

    @Test
    void aPlantedSymlink_isRefused_andNotFollowed() throws Exception {
        Path target = Files.createDirectory(tmp.resolve("elsewhere"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path link = Files.createSymbolicLink(tmp.resolve("control"), target);
        ControlDirectory.RefusedException e = assertThrows(ControlDirectory.RefusedException.class,
                () -> ControlDirectory.createPrivate(link));
        assertEquals("refusing the control directory " + link + ": it is a symbolic link (anyone who can write there"
                + " could plant a fake stack); use a directory of yours with mode 0700, or name one with --control-dir DIR"
                + " or --socket PATH", e.getMessage());
    }

    @Test
    void aGroupOrOtherWritableDirectory_isRefused_andLeftAsItWas() throws Exception {
        for (String mode : new String[] {"rwxrwx---", "rwx---rwx", "rwxrwxrwx"}) {
            Path dir = Files.createDirectory(tmp.resolve("control-" + mode));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
            ControlDirectory.RefusedException e = assertThrows(ControlDirectory.RefusedException.class,
                    () -> ControlDirectory.createPrivate(dir));
            assertTrue(e.getMessage().contains(": its mode is " + mode + ", writable by"), e.getMessage());
            assertEquals(mode, PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)), "not repaired behind its owner's back");
        }
    }

    @Test
    void aDirectoryOwnedBySomeoneElse_isRefused() throws Exception {
        assumeTrue(ControlDirectory.currentUid() == 0, "only root can give a directory away");
        Path dir = Files.createDirectory(tmp.resolve("control"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setAttribute(dir, "unix:uid", 65534, LinkOption.NOFOLLOW_LINKS);
        ControlDirectory.RefusedException e = assertThrows(ControlDirectory.RefusedException.class,
                () -> ControlDirectory.requirePrivate(dir));
        assertTrue(e.getMessage().contains(": it is owned by uid 65534 "), e.getMessage());
        assertTrue(e.getMessage().contains("not by this user (uid 0)"), e.getMessage());
    }

    @Test
    void theServer_refusesAForeignModeDirectory_andBindsNothingThere() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("control"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        ConcurrentLinkPair wire = new ConcurrentLinkPair(1500);
        StackConfig config = StackConfig.of(Ipv4Address.of("198.18.0.2"), RandomSource.seeded(1))
                .withAllocator(PooledByteBufAllocator.DEFAULT);
        StackRunner runner = new StackRunner(new TcpStack(config), wire.a(), "usertcp-dir-test").start();
        try {
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> ControlServer.start(dir, "usertcp-dir-test", runner, Map.of()));
            assertTrue(e.getMessage().startsWith("refusing the control directory " + dir + ": its mode is rwxrwxrwx"),
                    e.getMessage());
            try (var files = Files.list(dir)) {
                assertEquals(0, files.count(), "no socket bound there");
            }
        } finally {
            runner.close();
            wire.clear();
        }
    }

    @Test
    void choose_noRunDirectoryAndNoXdgRuntimeDir_refusesAndNamesTheOptions_neverTheTempDir() {
        ControlDirectory.RefusedException e = assertThrows(ControlDirectory.RefusedException.class,
                () -> ControlDirectory.choose(Map.of(), false));
        assertTrue(e.getMessage().contains("--control-dir DIR"), e.getMessage());
        assertTrue(e.getMessage().contains("--socket PATH"), e.getMessage());
        assertFalse(e.getMessage().contains(System.getProperty("java.io.tmpdir")), e.getMessage());
    }

    @Test
    void choose_prefersTheEnvironment_thenRun_thenAPrivateXdgRuntimeDir() throws Exception {
        assertEquals(Path.of("/somewhere"), ControlDirectory.choose(Map.of(ControlDirectory.DIRECTORY_ENV, "/somewhere"), false));
        assertEquals(ControlDirectory.RUN_DIRECTORY, ControlDirectory.choose(Map.of(), true));
        Path runtime = Files.createDirectory(tmp.resolve("runtime"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        assertEquals(runtime.resolve("usertcp"),
                ControlDirectory.choose(Map.of(ControlDirectory.XDG_RUNTIME_DIR, runtime.toString()), false));
    }

    @Test
    void choose_anXdgRuntimeDirThatIsNotPrivate_isRefused() throws Exception {
        Path runtime = Files.createDirectory(tmp.resolve("runtime"));
        Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwxrwxrwx"));
        ControlDirectory.RefusedException e = assertThrows(ControlDirectory.RefusedException.class,
                () -> ControlDirectory.choose(Map.of(ControlDirectory.XDG_RUNTIME_DIR, runtime.toString()), false));
        assertTrue(e.getMessage().startsWith("$XDG_RUNTIME_DIR " + runtime + " is not private (its mode is rwxrwxrwx"),
                e.getMessage());
    }
}
