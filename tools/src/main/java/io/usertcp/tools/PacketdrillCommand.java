package io.usertcp.tools;

import io.usertcp.packetdrill.Comparison;
import io.usertcp.packetdrill.RunOptions;
import io.usertcp.packetdrill.RunResult;
import io.usertcp.packetdrill.ScriptRunner;
import io.usertcp.tcp.TcpProfile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code usertcp packetdrill [--profile linux|rfc|freebsd] [--compare exact|rfc] [-D NAME]... FILE|DIR...}:
 * plays packetdrill scripts against the stack, in-process on virtual time, and prints PASS or FAIL
 * per script with the first mismatch as expected-vs-actual lines. {@code --profile} is the
 * behaviour the stack runs, with that reference's numbers ({@link RunOptions#of(TcpProfile, Comparison)});
 * {@code --compare} how strictly its segments are compared with the script's, by default
 * {@link Comparison#defaultFor} the profile. A directory means every {@code .pkt} file under it.
 * Exit status: 0 all passed, 1 some failed, 2 usage error (unknown profile or comparison, missing file).
 */
@Command(name = "packetdrill", mixinStandardHelpOptions = true,
        description = {"Run packetdrill scripts against the stack, in-process on virtual time.",
            "The stack is 198.18.0.1, the script's remote side 198.18.0.2; nothing touches a network.",
            "--profile chooses how the stack behaves (and its timers and buffers), --compare how strictly",
            "what it sends is compared with the script."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every script passed", "1:a script failed", "2:bad usage (unknown --profile or --compare, no such file)"},
        footer = {"", "Examples:",
            "  usertcp packetdrill my-scripts/                    (linux profile, exact comparison)",
            "  usertcp packetdrill --profile rfc -D STANDARD ../shared/conformance/freebsd-tcp-testsuite/",
            "  usertcp packetdrill --profile freebsd -D FreeBSD ../shared/conformance/freebsd-tcp-testsuite/"})
public final class PacketdrillCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--profile", paramLabel = "linux|rfc|freebsd", defaultValue = "linux",
            description = "How the stack behaves, with that reference's timers and buffers: linux (a Linux 6.x kernel),"
                    + " rfc (the RFCs' letter) or freebsd. Default: ${DEFAULT-VALUE}.")
    private String profile;

    @Option(names = "--compare", paramLabel = "exact|rfc",
            description = "How strictly outbound segments are compared: exact (everything the script writes, options"
                    + " byte for byte) or rfc (windows, window-scale shifts and buffer sizes not compared, options as a"
                    + " set). Default: exact for --profile linux, rfc for rfc and freebsd.")
    private String compare;

    @Option(names = "-D", paramLabel = "NAME", description = "Define NAME for #ifdef (the FreeBSD suite: -D STANDARD).")
    private List<String> defines = new ArrayList<>();

    @Option(names = {"-v", "--verbose"}, description = "Also print what was skipped and the settings applied.")
    private boolean verbose;

    @Parameters(arity = "1..*", paramLabel = "FILE|DIR", description = "Scripts, or directories searched for .pkt files.")
    private List<Path> paths = new ArrayList<>();

    @Override
    public Integer call() {
        TcpProfile p;
        Comparison c;
        try {
            p = ProfileOption.parse(profile);
            c = compare == null ? Comparison.defaultFor(p) : comparison(compare);
        } catch (IllegalArgumentException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("usertcp packetdrill: " + e.getMessage());
            err.flush();
            return UsertcpMain.EXIT_USAGE;
        }
        List<Path> scripts = scripts();
        PrintWriter out = spec.commandLine().getOut();
        RunOptions options = RunOptions.of(p, c);
        Set<String> names = Set.copyOf(defines);
        int failed = 0;
        for (Path script : scripts) {
            RunResult r = ScriptRunner.run(script.toString(), read(script), names, options);
            if (r.passed()) {
                out.println("PASS " + script);
            } else {
                failed++;
                out.println("FAIL " + script);
                for (String line : r.failure().format().split("\n")) {
                    out.println("  " + line.strip());
                }
            }
            if (verbose) {
                r.skipped().forEach(s -> out.println("  skipped: " + s));
                r.notes().forEach(n -> out.println("  note: " + n));
            }
        }
        out.println((scripts.size() - failed) + " passed, " + failed + " failed (" + options.profile().name() + " profile, "
                + c.name().toLowerCase(Locale.ROOT) + " comparison" + (names.isEmpty() ? "" : ", defined: " + String.join(" ", defines)) + ")");
        out.flush();
        return failed == 0 ? UsertcpMain.EXIT_OK : UsertcpMain.EXIT_FAILED;
    }

    /** {@code --compare}'s value; the message names the option and what it takes. */
    private static Comparison comparison(String name) {
        try {
            return Comparison.of(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--compare " + name + ": expected exact or rfc");
        }
    }

    /** The files named, directories expanded to their .pkt files in path order. */
    private List<Path> scripts() {
        Set<Path> out = new LinkedHashSet<>();
        for (Path path : paths) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> files = Files.walk(path)) {
                    files.filter(f -> f.toString().endsWith(".pkt") && Files.isRegularFile(f)).sorted().forEach(out::add);
                } catch (IOException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), path + ": cannot list: " + e.getMessage());
                }
            } else if (Files.isRegularFile(path)) {
                out.add(path);
            } else {
                throw new CommandLine.ParameterException(spec.commandLine(), path + ": no such file or directory");
            }
        }
        if (out.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no .pkt scripts in " + paths);
        }
        return new ArrayList<>(out);
    }

    private String read(Path script) {
        try {
            return Files.readString(script, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), script + ": cannot read: " + e.getMessage());
        }
    }
}
