package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18: ss, stats and capture refuse a control directory that is not private with one line and
 * exit code 3 (something they need is missing), as they do for a missing stack; they never read a
 * socket someone else could have planted. No TUN needed: they refuse before looking for a stack.
 */
class ControlDirectoryCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aSymlinkedControlDir_isRefused_byEveryReader() throws Exception {
        Path target = Files.createDirectory(tmp.resolve("elsewhere"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path link = Files.createSymbolicLink(tmp.resolve("control"), target);
        for (String command : new String[] {"ss", "stats", "capture"}) {
            InJvmCommand.Printed p = command.equals("capture")
                    ? InJvmCommand.run(command, "--control-dir", link.toString(), "-w", tmp.resolve("x.pcap").toString())
                    : InJvmCommand.run(command, "--control-dir", link.toString());
            assertEquals(UsertcpMain.EXIT_MISSING, p.exit(), command + ": " + p.err());
            assertEquals(1, p.err().lines().count(), "one line: " + p.err());
            assertTrue(p.err().startsWith("usertcp " + command + ": refusing the control directory " + link
                    + ": it is a symbolic link"), p.err());
        }
    }

    @Test
    void aWorldWritableControlDir_isRefused() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("control"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        InJvmCommand.Printed p = InJvmCommand.run("ss", "--control-dir", dir.toString());
        assertEquals(UsertcpMain.EXIT_MISSING, p.exit(), p.err());
        assertEquals("usertcp ss: refusing the control directory " + dir + ": its mode is rwxrwxrwx, writable by",
                p.err().substring(0, p.err().indexOf(" by ") + 3), p.err());
    }
}
