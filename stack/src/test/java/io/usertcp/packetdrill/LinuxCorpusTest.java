package io.usertcp.packetdrill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.usertcp.tcp.TcpProfile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Linux's own packetdrill corpus (google/packetdrill {@code gtests/net/tcp}, in
 * {@code ../shared/conformance/linux-packetdrill}) against our stack in the {@code linux} profile
 * with the {@link Comparison#EXACT exact} comparison, run as the kernel selftests run it: each
 * script from its own directory, with {@code -D CODE=host_unreachable} (see the corpus's ORIGIN.md)
 * and google/packetdrill's sequence numbers (a SYN's as written, the rest relative to the ISNs).
 * Every script must PASS unless {@code expected-linux-corpus.txt} lists it with its status
 * (FAIL: a behaviour mismatch; UNSUPPORTED: it needs something the runner does not emulate) and the
 * reason; any change of status fails, so the list stays true. Writes
 * {@code target/linux-corpus-report.md}: per directory, our passes against the kernel's (from the
 * corpus's {@code kernel-results.tsv}), then per script the status and the first mismatch.
 */
class LinuxCorpusTest {
    static final String PROPERTY = "usertcp.linux.corpus.dir";
    private static final String DEFAULT = "../../shared/conformance/linux-packetdrill";
    private static final String RESOURCE = "/io/usertcp/packetdrill/expected-linux-corpus.txt";
    /** What the kernel selftests pass (ORIGIN.md). */
    private static final Map<String, String> DEFINES = Map.of("CODE", "host_unreachable");

    /** One listed script: its expected status and why. */

    private record Outcome(String script, RunResult result, ExpectedResults.Entry listed, int kernelPasses) {
        RunResult.Status expected() {
            return listed == null ? RunResult.Status.PASS : listed.status();
        }

        boolean asExpected() {
            return result.status() == expected();
        }
    }

    @TestFactory
    Stream<DynamicTest> linuxCorpus_linuxProfile_changesNoStatus() throws IOException {
        Path root = locate();
        List<String> scripts = allScripts(root);
        Map<String, ExpectedResults.Entry> listed = load();
        Map<String, Integer> kernel = kernelPasses(root);
        List<Outcome> outcomes = new ArrayList<>();
        for (String script : scripts) {
            RunResult r = ScriptRunner.run(script, ConformanceCorpus.read(root, script), DEFINES,
                    RunOptions.of(TcpProfile.linux(), Comparison.EXACT).withIsnRelative(true));
            outcomes.add(new Outcome(script, r, listed.get(script), kernel.getOrDefault(script, -1)));
        }
        Path report = writeReport(root, outcomes);
        List<String> stale = new ArrayList<>(listed.keySet());
        stale.removeAll(scripts);
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("the corpus has scripts and every listed one is in it", () -> {
            assertFalse(scripts.isEmpty(), "no IPv4 scripts under " + root);
            assertTrue(stale.isEmpty(), RESOURCE + " lists scripts that are not in the corpus: " + stale);
        }));
        for (Outcome o : outcomes) {
            tests.add(DynamicTest.dynamicTest(o.script(), () -> check(o, report)));
        }
        return tests.stream();
    }

    private static void check(Outcome o, Path report) {
        if (o.asExpected()) {
            return;
        }
        RunResult r = o.result();
        String listedAs = o.listed() == null ? "not listed (expected: PASS)" : "listed as " + o.listed().status() + " (\""
                + o.listed().reason() + "\")";
        fail(o.script() + " is now " + r.status() + " but " + RESOURCE + " has it " + listedAs
                + ". Update the entry (with the reason) or fix the stack. Report: " + report
                + (r.failure() == null ? "" : "\n" + r.failure().format()));
    }

    // ------------------------------------------------------------------------------------
    // The corpus and the kernel's results
    // ------------------------------------------------------------------------------------

    static Path locate() {
        String configured = System.getProperty(PROPERTY);
        Path moduleDir = Paths.get(System.getProperty("basedir", "."));
        Path dir = (configured != null ? Paths.get(configured) : moduleDir.resolve(DEFAULT)).toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("ORIGIN.md")) || !Files.isRegularFile(dir.resolve("kernel-results.tsv"))) {
            fail("the Linux packetdrill corpus is missing: expected it at " + dir + " (shared/conformance/linux-packetdrill "
                    + "beside the repository, with ORIGIN.md and kernel-results.tsv); or pass -D" + PROPERTY + "=/path");
        }
        return dir;
    }

    /** Every script under {@code root} (IPv6 ones too: they report UNSUPPORTED), in path order, relative with '/'. */
    static List<String> allScripts(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".pkt") && Files.isRegularFile(p))
                    .map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted()
                    .toList();
        }
    }

    /** Script path to how many of 3 kernel runs passed it. */
    static Map<String, Integer> kernelPasses(Path root) throws IOException {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(root.resolve("kernel-results.tsv"))) {
            String[] cols = line.split("\t");
            if (cols.length >= 2 && cols[1].matches("\\d+")) {
                out.put(cols[0], Integer.parseInt(cols[1]));
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------
    // The list
    // ------------------------------------------------------------------------------------

    static Map<String, ExpectedResults.Entry> load() {
        try (InputStream in = LinuxCorpusTest.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + RESOURCE);
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lines of {@code path  FAIL|UNSUPPORTED  reason} ({@link ExpectedResults}); here every entry names its status. */
    static Map<String, ExpectedResults.Entry> parse(String text) {
        for (String line : text.split("\r?\n")) {
            String[] parts = line.strip().split("\\s+", 3);
            if (!line.isBlank() && !line.strip().startsWith("#")
                    && (parts.length < 3 || !(parts[1].equals("FAIL") || parts[1].equals("UNSUPPORTED")))) {
                throw new IllegalStateException("every entry of this list names its status (FAIL or UNSUPPORTED): " + line);
            }
        }
        return ExpectedResults.parse(text);
    }

    @Test
    void expectedList_parsesPathStatusAndReason() {
        assertEquals(Map.of("a/b.pkt", new ExpectedResults.Entry(RunResult.Status.FAIL, "a reason of some length here")),
                parse("# comment\n\na/b.pkt  FAIL  a reason of some length here\n"));
        assertTrue(load().values().stream().allMatch(l -> l.status() != RunResult.Status.PASS));
    }

    // ------------------------------------------------------------------------------------
    // The report
    // ------------------------------------------------------------------------------------

    private static Path writeReport(Path root, List<Outcome> outcomes) throws IOException {
        Path target = Paths.get(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        Path report = target.resolve("linux-corpus-report.md");
        Files.writeString(report, report(root, outcomes));
        return report;
    }

    static String report(Path root, List<Outcome> outcomes) {
        Map<String, int[]> byDir = new TreeMap<>(); // scripts, our PASS, FAIL, UNSUPPORTED, kernel passes
        for (Outcome o : outcomes) {
            int[] c = byDir.computeIfAbsent(directory(o.script()), d -> new int[5]);
            c[0]++;
            c[1 + o.result().status().ordinal()]++;
            c[4] += o.kernelPasses() > 0 ? 1 : 0;
        }
        int[] total = new int[5];
        byDir.values().forEach(c -> {
            for (int i = 0; i < 5; i++) {
                total[i] += c[i];
            }
        });
        StringBuilder sb = new StringBuilder("# Linux packetdrill corpus against usertcp\n\n");
        sb.append("Corpus: `").append(root).append("` (see its ORIGIN.md). Profile `linux`, comparison `exact`, ")
                .append("defines ").append(DEFINES).append(". Kernel: scripts that passed at least one of 3 runs on the real kernel ")
                .append("(kernel-results.tsv).\n\n");
        sb.append("**usertcp passes ").append(total[1]).append(" of ").append(total[0]).append("** (")
                .append(total[2]).append(" fail, ").append(total[3]).append(" unsupported); the kernel passes ")
                .append(total[4]).append(".\n\n");
        sb.append("| directory | scripts | usertcp pass | fail | unsupported | kernel pass |\n|:--|--:|--:|--:|--:|--:|\n");
        byDir.forEach((dir, c) -> sb.append("| ").append(dir).append(" | ").append(c[0]).append(" | ").append(c[1])
                .append(" | ").append(c[2]).append(" | ").append(c[3]).append(" | ").append(c[4]).append(" |\n"));
        sb.append("| **total** | ").append(total[0]).append(" | ").append(total[1]).append(" | ").append(total[2])
                .append(" | ").append(total[3]).append(" | ").append(total[4]).append(" |\n");
        String dir = null;
        for (Outcome o : outcomes) {
            if (!directory(o.script()).equals(dir)) {
                dir = directory(o.script());
                sb.append("\n## ").append(dir).append("\n\n");
            }
            appendScript(sb, o);
        }
        return sb.toString();
    }

    private static void appendScript(StringBuilder sb, Outcome o) {
        RunResult r = o.result();
        sb.append("- ").append(r.status()).append(" `").append(o.script().substring(o.script().lastIndexOf('/') + 1))
                .append("` (kernel ").append(o.kernelPasses() < 0 ? "?" : o.kernelPasses() + "/3").append(')');
        if (!o.asExpected()) {
            sb.append(" — **expected ").append(o.expected()).append("**");
        } else if (o.listed() != null) {
            sb.append(" — ").append(o.listed().reason());
        }
        sb.append('\n');
        if (r.failure() != null) {
            for (String line : r.failure().format().split("\n")) {
                sb.append("    ").append(line.strip()).append('\n');
            }
        }
    }

    private static String directory(String script) {
        int slash = script.lastIndexOf('/');
        return slash < 0 ? "." : script.substring(0, slash);
    }
}
