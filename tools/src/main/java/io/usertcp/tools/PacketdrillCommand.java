package io.usertcp.tools;

import io.usertcp.packetdrill.Comparison;
import io.usertcp.packetdrill.ExpectedResults;
import io.usertcp.packetdrill.RunOptions;
import io.usertcp.packetdrill.RunResult;
import io.usertcp.packetdrill.ScriptRunner;
import io.usertcp.packetdrill.Trace;
import io.usertcp.tun.TunUnavailableException;
import io.usertcp.tun.packetdrill.KernelScriptRunner;
import io.usertcp.tcp.TcpProfile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * {@code usertcp packetdrill [--target stack|kernel|both] [--profile linux|rfc|freebsd] [--compare exact|rfc] [-D NAME[=VALUE]]...
 * [--expected FILE] [--json FILE|-] [--junit FILE|-] [--tolerance_usecs=N] [--ip_version=ipv4] FILE|DIR...}:
 * plays packetdrill scripts against the stack, in-process on virtual time, and prints PASS, FAIL or
 * UNSUPPORTED (the script needs something the runner does not emulate) per script with the first
 * mismatch as expected-vs-actual lines. {@code --expected} names a list of scripts known not to
 * pass ({@code path  FAIL|UNSUPPORTED  reason}, as the Linux corpus's
 * {@code expected-linux-corpus.txt}; or {@code path  reason}, a FAIL, as the FreeBSD lists); a
 * script whose status is the listed one counts as expected, and the exit status is 0 when no
 * script changed status. {@code --profile} is the
 * behaviour the stack runs, with that reference's numbers ({@link RunOptions#of(TcpProfile, Comparison)});
 * {@code --compare} how strictly its segments are compared with the script's, by default
 * {@link Comparison#defaultFor} the profile. A directory means every {@code .pkt} file under it.
 * {@code --json FILE|-} and {@code --junit FILE|-} also write the results for machines
 * ({@link PacketdrillReport}); with {@code -} that output is standard output and the lines for
 * people go to standard error.
 * {@code --target kernel} plays the scripts against the real Linux kernel instead
 * ({@link KernelScriptRunner}: a network namespace per script, a TUN device, real sockets, real
 * time; needs root), {@code --target both} against both and prints where the kernel's run and the
 * stack's first differ.
 * Exit status: 0 all passed (with both: no script diverges), 1 some failed (diverged), 2 usage error
 * (unknown target, profile or comparison, missing file, an output file that cannot be written), 3 the
 * kernel target cannot run here (not root, no TUN).
 */
@Command(name = "packetdrill", mixinStandardHelpOptions = true,
        description = {"Run packetdrill scripts against the stack, in-process on virtual time (--target stack, the default), "
            + "against the real Linux kernel in a network namespace of their own, in real time (--target kernel; needs root "
            + "and /dev/net/tun), or against both, showing the first event where they diverge (--target both). "
            + "The stack is 198.18.0.1, the script's remote side 198.18.0.2; nothing touches a network. The kernel is "
            + KernelScriptRunner.KERNEL_ADDRESS + " on a TUN device, the remote side " + KernelScriptRunner.REMOTE_ADDRESS
            + "; nothing leaves the namespace. "
            + "--profile chooses how the stack behaves (and its timers and buffers), --compare how strictly "
            + "what it sends is compared with the script."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every script passed (with --expected: every script has its listed status; with --target both and"
                + " no --expected: the kernel and the stack agree on every script)",
            "1:a script failed or is unsupported (with --expected: a script changed status; with both: a script diverges)",
            "2:bad usage (unknown --target, --profile or --compare, no such file, a malformed --expected list, a --json or"
                + " --junit file that cannot be written)",
            "3:--target kernel or both cannot run here (not root, no /dev/net/tun, no ip command)"},
        footer = {"", "Examples:",
            "  usertcp packetdrill my-scripts/                    (linux profile, exact comparison)",
            "  usertcp packetdrill --profile rfc -D STANDARD ../shared/conformance/freebsd-tcp-testsuite/",
            "  usertcp packetdrill --profile freebsd -D FreeBSD ../shared/conformance/freebsd-tcp-testsuite/",
            "  usertcp packetdrill -D CODE=host_unreachable --expected stack/src/test/resources/io/usertcp/packetdrill/"
                + "expected-linux-corpus.txt ../shared/conformance/linux-packetdrill/gtests/net/tcp/",
            "  usertcp packetdrill --json - --junit report.xml my-scripts/  (JSON on stdout)",
            "  sudo usertcp packetdrill --target kernel -D CODE=host_unreachable ../shared/conformance/linux-packetdrill/gtests/net/tcp/",
            "  sudo usertcp packetdrill --target both --profile freebsd my-scripts/x.pkt  (where the kernel and the stack differ)"})
public final class PacketdrillCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--target", paramLabel = "stack|kernel|both", defaultValue = "stack",
            description = "What the scripts play against: stack (this stack, in-process on virtual time), kernel (the real"
                    + " Linux kernel, in a network namespace per script, real time, packetdrill's tolerance; needs root and"
                    + " /dev/net/tun) or both (each script on both; prints the first event where they diverge, with both"
                    + " sides' packets or results). Default: ${DEFAULT-VALUE}.")
    private String target;

    @Option(names = "--profile", paramLabel = "linux|rfc|freebsd", defaultValue = "linux",
            description = "How the stack behaves, with that reference's timers and buffers: linux (a Linux 6.x kernel),"
                    + " rfc (the RFCs' letter) or freebsd. Default: ${DEFAULT-VALUE}.")
    private String profile;

    @Option(names = "--compare", paramLabel = "exact|rfc",
            description = "How strictly outbound segments are compared: exact (everything the script writes, options"
                    + " byte for byte) or rfc (windows, window-scale shifts and buffer sizes not compared, options as a"
                    + " set). Default: exact for --profile linux, rfc for rfc and freebsd.")
    private String compare;

    @Option(names = "-D", paramLabel = "NAME[=VALUE]", description = "Define NAME for #ifdef (the FreeBSD suite: -D STANDARD);"
            + " with a value, the word NAME in scripts becomes VALUE (the Linux corpus: -D CODE=host_unreachable).")
    private List<String> defines = new ArrayList<>();

    @Option(names = "--expected", paramLabel = "FILE", description = "Scripts known not to pass, one per line: path (relative"
            + " to any directory above the script), FAIL or UNSUPPORTED, the reason. A script with its listed status counts as"
            + " expected; exit 0 when no script changed status.")
    private Path expectedFile;

    @Option(names = "--json", paramLabel = "FILE|-", description = "Also write the results as JSON: the settings, the counts"
            + " and each script's status, expected status and first mismatch. With -, to standard output (the lines for"
            + " people then go to standard error).")
    private String jsonOutput;

    @Option(names = "--junit", paramLabel = "FILE|-", description = "Also write the results as JUnit XML for CI: a testsuite"
            + " per directory, a testcase per script (FAIL a failure, UNSUPPORTED skipped, a status --expected lists passed)."
            + " With -, to standard output.")
    private String junitOutput;

    @Option(names = "--tolerance_usecs", paramLabel = "N", description = "packetdrill's timing tolerance in microseconds,"
            + " unless a script sets its own. Default: 4000.")
    private Long toleranceUsecs;

    @Option(names = "--relative-seq", description = "google/packetdrill's sequence numbers, as the Linux corpus is written:"
            + " a SYN's as written, every other segment's counted from its sender's ISN (< S. 123:123(0) ack 1 then"
            + " > . 1:1(0) ack 1). Without it the script's remote side is used as written (the FreeBSD suite, our own scripts).")
    private boolean relativeSeq;

    @Option(names = "--ip_version", paramLabel = "ipv4", description = "packetdrill's address family; only ipv4 is emulated.")
    private String ipVersion;

    @Option(names = {"--local_ip", "--remote_ip", "--gateway_ip", "--netmask_ip"}, paramLabel = "ADDR", hidden = true,
            description = "Accepted for packetdrill compatibility: the stack is always 198.18.0.1 and the remote side 198.18.0.2.")
    private List<String> addresses = new ArrayList<>();

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
            if (!List.of("stack", "kernel", "both").contains(target)) {
                throw new IllegalArgumentException("--target " + target + ": expected stack, kernel or both");
            }
        } catch (IllegalArgumentException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("usertcp packetdrill: " + e.getMessage());
            err.flush();
            return UsertcpMain.EXIT_USAGE;
        }
        Map<String, ExpectedResults.Entry> expected;
        try {
            expected = expectedFile == null ? Map.of() : ExpectedResults.parse(Files.readString(expectedFile, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException | IOException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("usertcp packetdrill: --expected " + expectedFile + ": " + e.getMessage());
            err.flush();
            return UsertcpMain.EXIT_USAGE;
        }
        if ("-".equals(jsonOutput) && "-".equals(junitOutput)) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("usertcp packetdrill: --json - and --junit -: only one of them can go to standard output");
            err.flush();
            return UsertcpMain.EXIT_USAGE;
        }
        List<Path> scripts = scripts();
        boolean kernel = !target.equals("stack");
        String missing = kernel ? KernelScriptRunner.unavailable() : null;
        if (missing != null) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("usertcp packetdrill: --target " + target + " needs root and a TUN device: " + missing);
            err.flush();
            return UsertcpMain.EXIT_MISSING;
        }
        // Scripts run against the kernel are Linux's: compared exactly unless --compare says otherwise.
        Comparison kernelComparison = compare == null ? Comparison.EXACT : c;
        boolean machineOnStdout = "-".equals(jsonOutput) || "-".equals(junitOutput);
        PrintWriter out = machineOnStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
        RunOptions options = RunOptions.of(p, c).withIsnRelative(relativeSeq);
        Map<String, String> names = new LinkedHashMap<>();
        for (String d : defines) {
            int eq = d.indexOf('=');
            names.put(eq < 0 ? d : d.substring(0, eq), eq < 0 ? "" : d.substring(eq + 1));
        }
        Map<String, String> flags = flags();
        String comparisonName = c.name().toLowerCase(Locale.ROOT);
        String settingsComparison = target.equals("kernel") ? kernelComparison.name().toLowerCase(Locale.ROOT) : comparisonName;
        PacketdrillReport report = new PacketdrillReport(new PacketdrillReport.Settings(target,
                target.equals("kernel") ? "kernel" : options.profile().name(), settingsComparison,
                names, flags, paths.stream().map(Path::toString).toList(), expectedFile == null ? null : expectedFile.toString()));
        int diverged = 0;
        for (Path script : scripts) {
            String text = read(script);
            long start = System.nanoTime();
            RunResult onKernel = null;
            try {
                onKernel = kernel ? KernelScriptRunner.run(script.toString(), text, script.toAbsolutePath().getParent(), names,
                        flags, kernelComparison) : null;
            } catch (TunUnavailableException e) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("usertcp packetdrill: --target " + target + " needs root and a TUN device: " + e.getMessage());
                err.flush();
                return UsertcpMain.EXIT_MISSING;
            }
            RunResult r = target.equals("kernel") ? onKernel : ScriptRunner.run(script.toString(), text, names, flags, options);
            Trace.Divergence divergence = target.equals("both") ? Trace.firstDivergence(onKernel, r) : null;
            diverged += divergence == null ? 0 : 1;
            RunResult.Status want = ExpectedResults.statusOf(expected, script.toString());
            report.add(new PacketdrillReport.Entry(script, r, want, System.nanoTime() - start,
                    target.equals("both") ? onKernel : null, divergence));
            boolean asListed = r.status() == want;
            String mark = expectedFile == null || want == RunResult.Status.PASS && asListed ? ""
                    : asListed ? " (as listed)" : " (listed: " + want + ")";
            out.println(r.status() + " " + script + mark + (target.equals("both") ? "  (kernel: " + onKernel.status() + ")" : ""));
            if (!r.passed()) {
                for (String line : r.failure().format().split("\n")) {
                    out.println("  " + line.strip());
                }
            }
            if (target.equals("both")) {
                if (onKernel.failure() != null) {
                    out.println("  kernel: " + onKernel.failure().format().split("\n")[0]);
                }
                out.println("  " + divergence(divergence).replace("\n", "\n  "));
            }
            if (verbose) {
                r.skipped().forEach(s -> out.println("  skipped: " + s));
                r.notes().forEach(n -> out.println("  note: " + n));
            }
        }
        int failed = report.failed();
        int unsupported = report.unsupported();
        int changed = report.unexpected();
        String against = target.equals("kernel") ? "the Linux kernel, " + settingsComparison + " comparison"
                : options.profile().name() + " profile, " + comparisonName + " comparison";
        out.println(report.passed() + " passed, " + failed + " failed"
                + (unsupported > 0 ? ", " + unsupported + " unsupported" : "") + " (" + against
                + (names.isEmpty() ? "" : ", defined: " + String.join(" ", defines)) + ")");
        if (target.equals("both")) {
            out.println("the kernel and the stack diverge on " + diverged + " of " + scripts.size() + " script(s)");
        }
        if (expectedFile != null) {
            out.println(changed == 0 ? "every script as " + expectedFile + " lists it"
                    : changed + " script(s) not as " + expectedFile + " lists them");
        }
        out.flush();
        int exit;
        if (expectedFile != null) {
            exit = changed == 0 ? UsertcpMain.EXIT_OK : UsertcpMain.EXIT_FAILED;
        } else if (target.equals("both")) {
            exit = diverged == 0 ? UsertcpMain.EXIT_OK : UsertcpMain.EXIT_FAILED;
        } else {
            exit = failed + unsupported == 0 ? UsertcpMain.EXIT_OK : UsertcpMain.EXIT_FAILED;
        }
        try {
            if (jsonOutput != null) {
                write("--json", jsonOutput, report.json(exit));
            }
            if (junitOutput != null) {
                write("--junit", junitOutput, report.junit());
            }
        } catch (IOException e) {
            return UsertcpMain.EXIT_USAGE;
        }
        return exit;
    }

    /** {@code text} to {@code target} ({@code -}: standard output), its directories created; an error is reported and rethrown. */
    private void write(String option, String target, String text) throws IOException {
        if ("-".equals(target)) {
            PrintWriter stdout = spec.commandLine().getOut();
            stdout.print(text);
            stdout.flush();
            return;
        }
        try {
            Path file = Path.of(target);
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException | java.nio.file.InvalidPathException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("usertcp packetdrill: " + option + " " + target + ": cannot write: " + e.getMessage());
            err.flush();
            throw e instanceof IOException io ? io : new IOException(e);
        }
    }

    /** Where the kernel's run and the stack's first differ, for people: one line, or three with both sides. */
    static String divergence(Trace.Divergence d) {
        if (d == null) {
            return "the kernel and the stack agree";
        }
        return "the kernel and the stack diverge" + (d.line() > 0 ? " at line " + d.line() : "")
                + (d.event() == null ? "" : ": " + d.event().strip()) + "\n  kernel: " + d.first() + "\n  stack:  " + d.second();
    }

    /** packetdrill's own command-line flags, handed to the runner as script options. */
    private Map<String, String> flags() {
        Map<String, String> flags = new LinkedHashMap<>();
        if (toleranceUsecs != null) {
            flags.put("tolerance_usecs", Long.toString(toleranceUsecs));
        }
        if (ipVersion != null) {
            flags.put("ip_version", ipVersion);
        }
        return flags;
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
