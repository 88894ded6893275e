package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.TcpProfile;
import io.usertcp.tools.demo.Scenario;
import io.usertcp.tools.demo.Scenarios;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Every command answers --help, and usage errors exit with 2 before anything is created. */
class CommandHelpTest {

    private record Run(int exit, String out, String err) {}

    /** Runs a command; {@code err} holds what picocli and the command itself printed on standard error. */
    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        int exit;
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            // Made after System.err is swapped: picocli's default execution strategy remembers the
            // System.err of its making, and when that differs from System.err at execute() it
            // replaces the writers given to setErr with one on the remembered stream (its backwards
            // compatibility with the older handler API), so what bench and packetdrill print there is lost.
            CommandLine cl = UsertcpMain.commandLine();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(err));
            exit = cl.execute(args);
        } finally {
            System.setErr(saved);
        }
        return new Run(exit, out.toString(), err + stderr.toString(StandardCharsets.UTF_8));
    }

    /** Exit 2 and exactly one line on stderr, which names the command and says {@code expected}. */
    private static void refused(String expected, String... args) {
        Run r = run(args);
        assertEquals(UsertcpMain.EXIT_USAGE, r.exit(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("usertcp " + args[0] + ": "), lines.get(0));
        assertTrue(lines.get(0).contains(expected), lines.get(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "scenario", "serve", "connect", "ss", "stats", "capture"})
    void help_printsUsageAndExitCodes_exitsZero(String command) {
        Run r = run(command, "--help");
        assertEquals(UsertcpMain.EXIT_OK, r.exit(), r.err());
        assertTrue(r.out().contains("Usage: usertcp " + command), r.out());
        assertTrue(r.out().contains("Exit codes:"), r.out());
    }

    @Test
    void topLevelHelp_listsTheCommands() {
        Run r = run("--help");
        for (String command : new String[] {"demo", "scenario", "serve", "connect", "ss", "stats", "capture", "ladder", "packetdrill"}) {
            assertTrue(r.out().contains(command), command + " missing from:\n" + r.out());
        }
    }

    @Test
    void scenarioNames_areUniqueAndCoverDesignSection13() {
        var names = Scenarios.all().stream().map(Scenario::name).toList();
        assertEquals(names.size(), names.stream().distinct().count(), names.toString());
        for (String required : new String[] {"close-wait-leak", "time-wait-pileup", "simultaneous-close", "linger-abort",
            "half-close", "keepalive-dead-peer", "fin-wait-2-orphan", "time-wait-reuse", "synfin-listen"}) {
            assertTrue(names.contains(required), required);
        }
    }

    @Test
    void unknownScenario_exitsWithUsage() {
        assertEquals(UsertcpMain.EXIT_USAGE, run("scenario", "no-such-scenario").exit());
    }

    @Test
    void connect_outsideTheBenchmarkRange_isRefusedBeforeAnythingStarts() {
        // DESIGN.md §10: nothing is ever sent outside 198.18.0.0/15.
        assertEquals(UsertcpMain.EXIT_USAGE, run("connect", "10.0.0.1", "80").exit());
    }

    @Test
    void serve_withDurationOutOfRange_exitsWithUsage() {
        assertEquals(UsertcpMain.EXIT_USAGE, run("serve", "--duration", "-1").exit());
    }

    @Test
    void serve_withIdleTimeoutOutOfRange_exitsWithUsage() {
        assertEquals(UsertcpMain.EXIT_USAGE, run("serve", "--idle-timeout", "0").exit());
    }

    @Test
    void serve_withShardsOutOfRange_orAPcapFileWithSeveral_isRefusedWithOneLine() {
        refused("--shards 0 (expected: 1..8)", "serve", "--shards", "0");
        refused("--shards 9 (expected: 1..8)", "serve", "--shards", "9");
        // one pcap writer, written on one stack thread: a capture stream records every shard instead
        refused("--pcap with --shards 2 (expected: one shard; with several, `usertcp capture -w FILE` records every shard)",
                "serve", "--shards", "2", "--pcap", "x.pcap");
    }

    @ParameterizedTest
    @ValueSource(strings = {"serve", "connect"})
    void badDeviceName_isRefusedWithOneLine_beforeAnythingStarts(String command) {
        String[] target = command.equals("connect") ? new String[] {"198.18.0.1", "7"} : new String[0];
        // IFNAMSIZ is 16 with the NUL: 15 characters at most
        refused("16 characters (expected: 1..15", args(command, target, "--dev", "utcp-way-too-lng"));
        refused("expected only A-Z a-z 0-9 _ . -", args(command, target, "--dev", "tun/0"));
        refused("expected only A-Z a-z 0-9 _ . -", args(command, target, "--dev", "-x"));
        refused("expected only A-Z a-z 0-9 _ . -", args(command, target, "--dev", "utcp%d")); // a name, not a pattern
        refused("loopback", args(command, target, "--dev", "lo"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"serve", "connect"})
    void addressOutsideTheBenchmarkRange_orAcrossSubnets_isRefusedWithOneLine(String command) {
        String[] target = command.equals("connect") ? new String[] {"198.18.0.1", "7"} : new String[0];
        // DESIGN.md §10: nothing but 198.18.0.0/15 is ever configured
        refused("--stack-addr 10.0.0.2: expected an address in 198.18.0.0/15", args(command, target, "--stack-addr", "10.0.0.2"));
        refused("--kernel-addr 192.168.1.1: expected an address in 198.18.0.0/15", args(command, target, "--kernel-addr", "192.168.1.1"));
        refused("--kernel-addr 198.20.0.1: expected", args(command, target, "--kernel-addr", "198.20.0.1"));
        refused("expected: two different hosts of one /24 subnet",
                args(command, target, "--kernel-addr", "198.18.0.1", "--stack-addr", "198.19.0.2"));
        refused("is the network or broadcast address", args(command, target, "--stack-addr", "198.18.0.255"));
        refused("prefix length: 31 (expected: 15..30)", args(command, target, "--prefix-length", "31"));
    }

    private static String[] args(String command, String[] target, String... options) {
        List<String> all = new java.util.ArrayList<>(List.of(command));
        all.addAll(List.of(target));
        all.addAll(List.of(options));
        return all.toArray(String[]::new);
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "serve", "scenario"})
    void pcapIntoAMissingDirectory_isRefusedWithOneLine(String command, @TempDir Path dir) {
        String file = dir.resolve("no-such-dir").resolve("x.pcap").toString();
        String[] args = command.equals("scenario") ? new String[] {command, "active-close", "--pcap", file}
                : new String[] {command, "--pcap", file};
        refused("--pcap " + file + ": no such directory", args);
    }

    @Test
    void capture_withoutAStack_orWithSeveral_orBadBounds_saysSoInOneLine(@TempDir Path dir) throws Exception {
        Run none = run("capture", "-w", dir.resolve("x.pcap").toString(), "--control-dir", dir.toString());
        assertEquals(UsertcpMain.EXIT_MISSING, none.exit(), none.err());
        assertEquals(1, none.err().lines().count(), none.err());
        assertTrue(none.err().startsWith("usertcp capture: no running usertcp stack in " + dir), none.err());

        java.nio.file.Files.createFile(dir.resolve("usertcp-a.sock"));
        java.nio.file.Files.createFile(dir.resolve("usertcp-b.sock"));
        refused("2 running stacks in " + dir + " (usertcp-a.sock, usertcp-b.sock): choose one with --socket",
                "capture", "-w", dir.resolve("x.pcap").toString(), "--control-dir", dir.toString());
        refused("--count 0 (expected: at least 1)", "capture", "-w", "x.pcap", "--count", "0");
        refused("no such directory", "capture", "-w", dir.resolve("nope").resolve("x.pcap").toString());
        assertEquals(UsertcpMain.EXIT_USAGE, run("capture").exit(), "-w is required");
        assertFalse(java.nio.file.Files.exists(dir.resolve("x.pcap")), "no file when there is nothing to capture");
    }

    /**
     * DESIGN.md §7: no libpcap, one line naming the package, exit 3, before anything starts. pcap4j
     * loads libpcap once per JVM, so each runs in a fresh JVM told to load a library that does not exist.
     */
    @ParameterizedTest
    @ValueSource(strings = {"demo", "capture"})
    void missingLibpcap_forPcapOrCapture_saysWhatToInstall_exitsMissing(String command, @TempDir Path dir) throws Exception {
        java.nio.file.Files.createFile(dir.resolve("usertcp-x.sock")); // a stack for capture to find
        List<String> line = new java.util.ArrayList<>(ChildUsertcp.javaCommand(
                "-D" + io.usertcp.tools.pcap.Libpcap.LIBRARY_NAME_PROPERTY + "=usertcp-no-such-libpcap"));
        line.addAll(command.equals("demo") ? List.of("demo", "--pcap", dir.resolve("d.pcap").toString())
                : List.of("capture", "-w", dir.resolve("c.pcap").toString(), "--control-dir", dir.toString()));
        try (ChildUsertcp child = ChildUsertcp.start(dir, command, line)) {
            assertEquals(UsertcpMain.EXIT_MISSING, child.awaitExit(30), child.describe());
            assertEquals(List.of("usertcp " + command + ": libpcap not found (library 'usertcp-no-such-libpcap'): install the"
                    + " package libpcap0.8 (apt-get install libpcap0.8)"), child.err().lines().toList());
            assertEquals("", child.out());
        }
        assertFalse(java.nio.file.Files.exists(dir.resolve("d.pcap")) || java.nio.file.Files.exists(dir.resolve("c.pcap")));
    }

    /** The arguments that make {@code command} run a stack, before {@code --profile}. */
    private static String[] withProfile(String command, String profile) {
        return switch (command) {
            case "scenario" -> new String[] {command, "active-close", "--profile", profile};
            case "connect" -> new String[] {command, "198.18.0.1", "7", "--profile", profile};
            case "packetdrill" -> new String[] {command, "--profile", profile, "no-such-script.pkt"};
            default -> new String[] {command, "--profile", profile};
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "scenario", "serve", "connect", "bench", "packetdrill"})
    void help_namesTheProfileOption(String command) {
        Run r = run(command, "--help");
        assertEquals(UsertcpMain.EXIT_OK, r.exit(), r.err());
        assertTrue(r.out().contains("--profile=linux|rfc|freebsd"), r.out());
        assertTrue(r.out().contains("freebsd"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "scenario", "serve", "connect", "bench", "packetdrill"})
    void badProfile_isRefusedWithOneLine_exitTwo_beforeAnythingStarts(String command) {
        refused("--profile bsd: expected linux, rfc or freebsd", withProfile(command, "bsd"));
        refused("--profile linux,rfc: expected linux, rfc or freebsd", withProfile(command, "linux,rfc"));
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    /** {@code command} with {@code args} parsed into it, as picocli does before {@code call()}. */
    private static <T> T parsed(T command, String... args) {
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void profileOption_parsesEachCommandsValue_linuxByDefault() {
        // today's behaviour unless told otherwise
        assertEquals(TcpProfile.linux(), parsed(new ServeCommand()).profile.profile());
        assertEquals(TcpProfile.freebsd(), parsed(new ServeCommand(), "--profile", "freebsd").profile.profile());
        assertEquals(TcpProfile.linux(), parsed(new ConnectCommand(), "198.18.0.1", "7").profile.profile());
        assertEquals(TcpProfile.rfc(), parsed(new ConnectCommand(), "198.18.0.1", "7", "--profile", "RFC").profile.profile());
        assertEquals(TcpProfile.linux(), parsed(new DemoCommand()).profile.profile());
        assertEquals(TcpProfile.rfc(), parsed(new DemoCommand(), "--profile=rfc").profile.profile());
        assertEquals(TcpProfile.linux(), parsed(new ScenarioCommand(), "active-close").profile.profile());
        assertEquals(TcpProfile.freebsd(), parsed(new ScenarioCommand(), "--profile", "freebsd", "active-close").profile.profile());
        assertEquals(TcpProfile.linux(), parsed(new BenchCommand(), "--quick").options().profile());
        BenchCommand bench = parsed(new BenchCommand(), "--quick", "--profile", "freebsd", "--cases", "rr");
        assertEquals(TcpProfile.freebsd(), bench.options().profile());
        assertTrue(bench.options().quick(), "the other options still apply");
        assertEquals(java.util.Set.of(io.usertcp.tools.bench.BenchCase.RR), bench.options().cases());
    }

    @Test
    void scenarioList_takesAProfileToo_andRefusesABadOne() {
        Run ok = run("scenario", "--list", "--profile", "rfc");
        assertEquals(UsertcpMain.EXIT_OK, ok.exit(), ok.err());
        assertEquals("", ok.err());
        refused("--profile bsd: expected linux, rfc or freebsd", "scenario", "--list", "--profile", "bsd");
    }

    @Test
    void ss_withNoRunningStack_saysSoAndExitsMissing(@TempDir Path empty) {
        assertEquals(UsertcpMain.EXIT_MISSING, run("ss", "--control-dir", empty.toString()).exit());
        assertEquals(UsertcpMain.EXIT_MISSING, run("stats", "--control-dir", empty.toString()).exit());
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "serve", "ss", "stats", "bench"})
    void unknownOption_oneLineWithAHint_notTheWholeUsage(String command) {
        // Issue 17: a command line that does not parse gets one line and a hint, exit 2.
        refused("Unknown option: '--no-such-option' (see 'usertcp " + command + " --help')", command, "--no-such-option");
    }
}
