package io.usertcp.tools;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;

/** Runs a {@code usertcp} command in this JVM with its output captured through picocli, and writes test scripts. */
final class CapturedCommand {
    private CapturedCommand() {}

    /** Runs {@code args}; what the command prints goes to {@code out} and {@code err}. Returns the exit code. */
    static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cl = UsertcpMain.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    /** Writes {@code text} to {@code dir/name}, creating its directories. */
    static Path script(Path dir, String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }
}
