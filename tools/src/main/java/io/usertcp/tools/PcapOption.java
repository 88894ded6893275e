package io.usertcp.tools;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --pcap FILE}, shared by every command that runs a stack (a picocli mixin): every segment
 * the stack sends and receives, written as it happens with its time on the stack clock, in a file
 * tcpdump and Wireshark read. The file is complete and closed when the command ends, fails, or is
 * stopped with Ctrl-C ({@link io.usertcp.tools.demo.StackSession} closes it after the stack's last segment).
 */
public final class PcapOption {
    @Option(names = "--pcap", paramLabel = "FILE",
            description = "Also write every segment our stack sends and receives to FILE (pcap; tcpdump -r and Wireshark read it).")
    Path file;

    /** The file, or null when the option was not given. */
    Path file() {
        return file;
    }

    /**
     * Why {@code file} cannot be written, or null when it can (or was not asked for): checked before
     * anything starts, so that a typo costs one line and no namespace.
     */
    String problem() {
        if (file == null) {
            return null;
        }
        if (file.toString().equals("-")) {
            return "--pcap -: standard output is for the narration; name a file (usertcp capture -w - streams to standard output)";
        }
        String problem = unwritable(file);
        return problem == null ? null : "--pcap " + file + ": " + problem;
    }

    /** Why {@code file} cannot be created or overwritten, or null when it can. */
    static String unwritable(Path file) {
        if (Files.isDirectory(file)) {
            return "is a directory (expected: a file to write)";
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return "no such directory " + parent;
        }
        if (!Files.isWritable(parent) || (Files.exists(file) && !Files.isWritable(file))) {
            return "permission denied";
        }
        return null;
    }
}
