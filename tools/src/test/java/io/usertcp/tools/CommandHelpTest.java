package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.demo.Scenario;
import io.usertcp.tools.demo.Scenarios;
import java.io.PrintWriter;
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

    private static Run run(String... args) {
        CommandLine cl = UsertcpMain.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "scenario", "serve", "connect", "ss", "stats"})
    void help_printsUsageAndExitCodes_exitsZero(String command) {
        Run r = run(command, "--help");
        assertEquals(UsertcpMain.EXIT_OK, r.exit(), r.err());
        assertTrue(r.out().contains("Usage: usertcp " + command), r.out());
        assertTrue(r.out().contains("Exit codes:"), r.out());
    }

    @Test
    void topLevelHelp_listsTheCommands() {
        Run r = run("--help");
        for (String command : new String[] {"demo", "scenario", "serve", "connect", "ss", "stats"}) {
            assertTrue(r.out().contains(command), command + " missing from:\n" + r.out());
        }
    }

    @Test
    void scenarioNames_areUniqueAndCoverDesignSection13() {
        var names = Scenarios.all().stream().map(Scenario::name).toList();
        assertEquals(names.size(), names.stream().distinct().count(), names.toString());
        for (String required : new String[] {"close-wait-leak", "time-wait-pileup", "simultaneous-close", "linger-abort",
            "half-close", "keepalive-dead-peer", "fin-wait-2-orphan"}) {
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
    void ss_withNoRunningStack_saysSoAndExitsMissing(@TempDir Path empty) {
        assertEquals(UsertcpMain.EXIT_MISSING, run("ss", "--control-dir", empty.toString()).exit());
        assertEquals(UsertcpMain.EXIT_MISSING, run("stats", "--control-dir", empty.toString()).exit());
    }
}
