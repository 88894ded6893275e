package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import io.usertcp.tcp.TcpProfile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The FreeBSD RFC test suite (DESIGN.md §9.3): every IPv4 script under
 * {@code ../shared/conformance/freebsd-tcp-testsuite}, with {@code STANDARD} defined (the RFC
 * answer, not FreeBSD's own) and the {@link Comparison#RFC rfc} comparison, run once per
 * behaviour profile: {@code rfc} and {@code freebsd}. A script must pass unless the profile's
 * {@code expected-failures-<profile>.txt} lists it with the reason; a listed script that passes
 * fails too, so each list stays true. The freebsd profile also runs the scripts that have an
 * {@code #ifdef FreeBSD} branch with {@code FreeBSD} defined: FreeBSD's own answer, which must
 * pass. Writes {@code target/conformance-report-<profile>.md}: per script, pass or fail with the
 * first mismatch and the listed reason.
 */
class FreeBsdConformanceTest {
    private static final Set<String> DEFINES = Set.of("STANDARD");
    private static final Set<String> FREEBSD_DEFINES = Set.of("FreeBSD");

    /** One script's result and what the list says about it. */
    private record Outcome(String script, RunResult result, String listedReason) {
        boolean asExpected() {
            return result.passed() == (listedReason == null);
        }
    }

    @TestFactory
    Stream<DynamicTest> freeBsdSuite_standard_rfcProfile_failsOnlyAsListed() throws IOException {
        return suite(TcpProfile.rfc());
    }

    @TestFactory
    Stream<DynamicTest> freeBsdSuite_standard_freebsdProfile_failsOnlyAsListed() throws IOException {
        return suite(TcpProfile.freebsd());
    }

    @TestFactory
    Stream<DynamicTest> freeBsdSuite_freeBsdBranches_freebsdProfile_allPass() throws IOException {
        Path root = ConformanceCorpus.locate();
        List<DynamicTest> tests = new ArrayList<>();
        for (String script : ConformanceCorpus.ipv4Scripts(root)) {
            String text = ConformanceCorpus.read(root, script);
            if (!text.contains("#ifdef FreeBSD")) {
                continue;
            }
            tests.add(DynamicTest.dynamicTest(script, () -> {
                RunResult r = ScriptRunner.run(script, text, FREEBSD_DEFINES, RunOptions.of(TcpProfile.freebsd()));
                assertTrue(r.passed(), () -> script + " with FreeBSD defined, freebsd profile:\n" + r.failure().format());
            }));
        }
        assertFalse(tests.isEmpty(), "no script with an #ifdef FreeBSD branch under " + root);
        return tests.stream();
    }

    private static Stream<DynamicTest> suite(TcpProfile profile) throws IOException {
        String name = profile.name();
        Path root = ConformanceCorpus.locate();
        List<String> scripts = ConformanceCorpus.ipv4Scripts(root);
        Map<String, String> listed = ExpectedFailures.load(name);
        List<Outcome> outcomes = new ArrayList<>();
        for (String script : scripts) {
            RunResult r = ScriptRunner.run(script, ConformanceCorpus.read(root, script), DEFINES, RunOptions.of(profile));
            outcomes.add(new Outcome(script, r, listed.get(script)));
        }
        Path report = writeReport(root, name, outcomes);
        List<String> stale = new ArrayList<>(listed.keySet());
        stale.removeAll(scripts);

        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("the corpus has scripts and every listed failure names one of them", () -> {
            assertFalse(scripts.isEmpty(), "no IPv4 scripts under " + root);
            assertTrue(stale.isEmpty(), ExpectedFailures.resource(name) + " lists scripts that are not in the corpus: " + stale);
        }));
        for (Outcome o : outcomes) {
            tests.add(DynamicTest.dynamicTest(o.script(), () -> check(o, name, report)));
        }
        return tests.stream();
    }

    private static void check(Outcome o, String profile, Path report) {
        if (o.asExpected()) {
            return;
        }
        String list = ExpectedFailures.resource(profile);
        if (o.result().passed()) {
            fail(o.script() + " now passes in the " + profile + " profile but " + list + " lists it (\"" + o.listedReason()
                    + "\"): remove the entry. Report: " + report);
        }
        fail(o.script() + " fails in the " + profile + " profile and is not in " + list + ". Fix the stack, or list it"
                + " with the rule it breaks or the choice this profile made. Report: " + report + "\n" + o.result().failure().format());
    }

    // ------------------------------------------------------------------------------------
    // The report
    // ------------------------------------------------------------------------------------

    private static Path writeReport(Path root, String profile, List<Outcome> outcomes) throws IOException {
        Path target = Paths.get(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        Path report = target.resolve("conformance-report-" + profile + ".md");
        Files.writeString(report, report(root, profile, outcomes));
        return report;
    }

    static String report(Path root, String profile, List<Outcome> outcomes) {
        Map<String, int[]> byDir = new TreeMap<>();
        Map<String, List<Outcome>> scriptsByDir = new LinkedHashMap<>();
        int passed = 0;
        int unexpected = 0;
        for (Outcome o : outcomes) {
            String dir = directory(o.script());
            int[] counts = byDir.computeIfAbsent(dir, d -> new int[2]);
            counts[o.result().passed() ? 0 : 1]++;
            scriptsByDir.computeIfAbsent(dir, d -> new ArrayList<>()).add(o);
            passed += o.result().passed() ? 1 : 0;
            unexpected += o.asExpected() ? 0 : 1;
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# FreeBSD TCP test suite against usertcp\n\n");
        sb.append("Corpus: `").append(root).append("` (see its ORIGIN.md). Defines: `STANDARD`. Behaviour profile: `")
                .append(profile).append("`. Comparison: `rfc` ")
                .append("(window values, window-scale shifts and socket buffer sizes not compared; options compared as a set).\n\n");
        sb.append("**").append(passed).append(" of ").append(outcomes.size()).append(" scripts pass**; ")
                .append(outcomes.size() - passed).append(" fail, ").append(unexpected)
                .append(" of them or of the passes not as `expected-failures.txt` says.\n\n");
        sb.append("| directory | scripts | pass | fail |\n|:--|--:|--:|--:|\n");
        byDir.forEach((dir, c) -> sb.append("| ").append(dir).append(" | ").append(c[0] + c[1]).append(" | ")
                .append(c[0]).append(" | ").append(c[1]).append(" |\n"));
        for (Map.Entry<String, List<Outcome>> e : new TreeMap<>(scriptsByDir).entrySet()) {
            sb.append("\n## ").append(e.getKey()).append("\n\n");
            for (Outcome o : e.getValue()) {
                appendScript(sb, o);
            }
        }
        return sb.toString();
    }

    private static void appendScript(StringBuilder sb, Outcome o) {
        String name = o.script().substring(o.script().lastIndexOf('/') + 1);
        RunResult r = o.result();
        if (r.passed()) {
            sb.append("- PASS `").append(name).append('`').append(o.listedReason() != null ? " — **listed as failing**" : "");
            r.notes().stream().filter(n -> n.startsWith("the stack sent")).forEach(n -> sb.append(" (note: ").append(n).append(')'));
            sb.append('\n');
            return;
        }
        sb.append("- FAIL `").append(name).append("` — ")
                .append(o.listedReason() != null ? "expected: " + o.listedReason() : "**not listed**").append('\n');
        for (String line : r.failure().format().split("\n")) {
            sb.append("  ").append(line.isBlank() ? "" : "    " + line.strip()).append('\n');
        }
    }

    private static String directory(String script) {
        int slash = script.lastIndexOf('/');
        return slash < 0 ? "." : script.substring(0, slash);
    }

    // ------------------------------------------------------------------------------------
    // The list itself
    // ------------------------------------------------------------------------------------

    @org.junit.jupiter.api.Test
    void expectedFailures_everyEntryHasAPathAndAReason() {
        for (String profile : List.of("rfc", "freebsd")) {
            ExpectedFailures.load(profile).forEach((path, reason) -> {
                assertTrue(path.endsWith(".pkt"), "not a script path: " + path);
                assertTrue(reason.length() >= 20, "reason too short to explain anything: " + path + " " + reason);
            });
        }
        assertEquals(Map.of("a/b.pkt", "a reason of some length"),
                ExpectedFailures.parse("# comment\n\na/b.pkt   a reason of some length\n"));
    }
}
