package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.BenchCommand;
import io.usertcp.tools.ToolsTunSupport;
import io.usertcp.tools.UsertcpMain;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** usertcp bench's usage: help, and usage errors that exit with 2 before anything is created. */
class BenchCommandTest {

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = new CommandLine(new BenchCommand());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void help_listsTheOptionsAndExitCodes() {
        Run r = run("--help");
        assertEquals(UsertcpMain.EXIT_OK, r.exit(), r.err());
        for (String word : new String[] {"Usage: bench", "--cases", "--duration", "--quick", "--json", "--profile", "--loss", "Exit codes:",
            "3   something it needs is missing"}) {
            assertTrue(r.out().contains(word), word + " missing from:\n" + r.out());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"--cases=nope", "--cases=bulk,,x", "--duration=0", "--duration=601", "--duration=-1",
        "--memory-counts=0", "--memory-counts=300000", "--json=/nonexistent-usertcp-folder/bench.json", "--profile=bsd",
        "--profile=linux6", "--loss=0", "--loss=0.05", "--loss=1,x", "--loss=51"})
    void usageErrors_exitWithTwo_andSayWhat_beforeAnyNamespace(String arg) {
        Run r = run(arg);
        assertEquals(UsertcpMain.EXIT_USAGE, r.exit(), r.out() + r.err());
        assertTrue(r.err().startsWith("usertcp bench: "), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        ToolsTunSupport.assertNoNamespaceLeft();
    }

    @Test
    void loss_takesPercentagesInTenths() {
        BenchCommand c = new BenchCommand();
        new CommandLine(c).parseArgs("--cases=loss", "--loss=0.1,2.5");
        assertEquals(List.of(new LossRate(1), new LossRate(25)), c.options().lossRates());
        BenchCommand byDefault = new BenchCommand();
        new CommandLine(byDefault).parseArgs();
        assertEquals(BenchOptions.FULL_LOSS_RATES, byDefault.options().lossRates());
    }
}
