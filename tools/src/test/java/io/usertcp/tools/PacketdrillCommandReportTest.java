package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.usertcp.tools.bench.MiniJson;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * {@code usertcp packetdrill --json FILE|-} and {@code --junit FILE}: what they write is read back,
 * the JSON by a strict parser ({@link MiniJson}), the XML by javax.xml's DocumentBuilder, and
 * checked against the run: its settings, counts, and per script the status, the expected status and
 * the first mismatch; exit codes as without them.
 */
class PacketdrillCommandReportTest {
    /** A handshake and close as the stack plays it, exact under the linux profile (as PacketdrillCommandTest's). */
    private static final String PASSING = """
            --tolerance_usecs=10000
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0
            +0    connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
            +0    > S 0:0(0) win 64240 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
            +0.05 < S. 0:0(0) ack 1 win 65535 <mss 1460>
            +0    > . 1:1(0) ack 1 win 64240
            +0.1  close(3) = 0
            +0    > F. 1:1(0) ack 1 win 64240
            """;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return CapturedCommand.run(out, err, args);
    }

    private Path script(String name, String text) throws IOException {
        return CapturedCommand.script(dir, name, text);
    }

    /** Four scripts in three directories: PASS, FAIL, UNSUPPORTED, and a syntax error (a FAIL) in a file whose name needs escaping. */
    private record Corpus(Path ok, Path bad, Path icmp, Path odd, Path list) {}

    private Corpus corpus() throws IOException {
        Path ok = script("corpus/gtests/a/ok.pkt", PASSING);
        Path bad = script("corpus/gtests/a/bad.pkt", PASSING.replace("close(3) = 0", "close(3) = -1"));
        Path icmp = script("corpus/gtests/b/icmp.pkt", PASSING.replace("+0.1  close(3) = 0",
                "+0.1  > icmp unreachable frag_needed mtu 800"));
        // a syntax error: its message quotes (expected ")", found "win") and names the file
        Path odd = script("corpus/odd & 'dir'/odd \"quoted\" <name>.pkt",
                "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > S 0:0(0 win 1 <mss 1460>\n");
        Path list = script("expected.txt", "gtests/a/bad.pkt  FAIL  close() returns 0 where the script expects -1\n"
                + "gtests/b/icmp.pkt  UNSUPPORTED  an ICMP error sent by the stack is not matched by the runner\n");
        return new Corpus(ok, bad, icmp, odd, list);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v) {
        assertTrue(v instanceof Map, "expected a JSON object, found " + v);
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> array(Object v) {
        assertTrue(v instanceof List, "expected a JSON array, found " + v);
        return (List<Object>) v;
    }

    private static Map<String, Object> entry(Map<String, Object> json, Path script) {
        for (Object e : array(json.get("scripts"))) {
            if (script.toString().equals(object(e).get("path"))) {
                return object(e);
            }
        }
        return fail(script + " not among the JSON's scripts: " + json.get("scripts"));
    }

    private static Document xml(Path file) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        DocumentBuilder b = f.newDocumentBuilder();
        b.setErrorHandler(null);
        return b.parse(new ByteArrayInputStream(Files.readAllBytes(file)));
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element e && e.getTagName().equals(name)) {
                out.add(e);
            }
        }
        return out;
    }

    private static Element only(Element parent, String name) {
        List<Element> list = children(parent, name);
        assertEquals(1, list.size(), "one <" + name + "> in <" + parent.getTagName() + " name=" + parent.getAttribute("name") + ">");
        return list.get(0);
    }

    private static int count(Document doc, String tag) {
        return doc.getElementsByTagName(tag).getLength();
    }

    @Test
    void json_withExpected_hasSettingsCountsAndEveryScriptsStatusExpectedStatusAndMismatch() throws Exception {
        Corpus c = corpus();
        Path json = dir.resolve("out/report.json"); // its directory is created
        int exit = run("packetdrill", "-D", "CODE=host_unreachable", "-D", "LINUX", "--tolerance_usecs=5000",
                "--expected", c.list().toString(), "--json", json.toString(), dir.resolve("corpus").toString());
        assertEquals(1, exit, "the syntax error is not listed: a changed status\n" + out);
        // the lines for people are unchanged, on standard output
        assertTrue(out.toString().endsWith("1 passed, 2 failed, 1 unsupported (linux profile, exact comparison, defined: CODE=host_unreachable"
                + " LINUX)\n1 script(s) not as " + c.list() + " lists them\n"), out.toString());

        Map<String, Object> root = object(MiniJson.parse(Files.readString(json, StandardCharsets.UTF_8)));
        assertEquals("usertcp packetdrill", root.get("tool"));
        Map<String, Object> settings = object(root.get("settings"));
        assertEquals("linux", settings.get("profile"));
        assertEquals("exact", settings.get("comparison"));
        assertEquals(Map.of("CODE", "host_unreachable", "LINUX", ""), settings.get("defines"));
        assertEquals(Map.of("tolerance_usecs", "5000"), settings.get("flags"));
        assertEquals(List.of(dir.resolve("corpus").toString()), settings.get("paths"));
        assertEquals(c.list().toString(), settings.get("expected"));
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("scripts", 4.0);
        counts.put("passed", 1.0);
        counts.put("failed", 2.0);
        counts.put("unsupported", 1.0);
        counts.put("expectedFailures", 2.0);
        counts.put("unexpected", 1.0);
        assertEquals(counts, root.get("counts"));
        assertEquals(1.0, root.get("exitCode"));
        assertEquals(4, array(root.get("scripts")).size());

        Map<String, Object> ok = entry(root, c.ok());
        assertEquals("PASS", ok.get("status"));
        assertEquals("PASS", ok.get("expectedStatus"));
        assertEquals(Boolean.TRUE, ok.get("asExpected"));
        assertNull(ok.get("failure"));
        assertTrue(ok.containsKey("failure"));

        Map<String, Object> bad = entry(root, c.bad());
        assertEquals("FAIL", bad.get("status"));
        assertEquals("FAIL", bad.get("expectedStatus"));
        assertEquals(Boolean.TRUE, bad.get("asExpected"));
        Map<String, Object> badFailure = object(bad.get("failure"));
        assertEquals(8.0, badFailure.get("line"));
        assertEquals("returned 0, the script expects -1", badFailure.get("message"));
        assertEquals(Boolean.FALSE, badFailure.get("unsupported"));
        assertEquals("+0.1  close(3) = -1", badFailure.get("script"));
        assertTrue(((String) badFailure.get("formatted")).startsWith("line 8: returned 0, the script expects -1\n  script:   "),
                badFailure.toString());

        Map<String, Object> icmp = entry(root, c.icmp());
        assertEquals("UNSUPPORTED", icmp.get("status"));
        assertEquals("UNSUPPORTED", icmp.get("expectedStatus"));
        Map<String, Object> icmpFailure = object(icmp.get("failure"));
        assertEquals(Boolean.TRUE, icmpFailure.get("unsupported"));
        assertTrue(((String) icmpFailure.get("formatted")).startsWith("line 8: unsupported: ICMP out"), icmpFailure.toString());

        Map<String, Object> odd = entry(root, c.odd()); // the path with quotes, < > and & survives the round trip
        assertEquals("FAIL", odd.get("status"));
        assertEquals("PASS", odd.get("expectedStatus"));
        assertEquals(Boolean.FALSE, odd.get("asExpected"));
        Map<String, Object> oddFailure = object(odd.get("failure"));
        assertEquals(2.0, oddFailure.get("line"));
        assertEquals("syntax error: " + c.odd() + ":2:14: expected \")\", found \"win\"", oddFailure.get("message"));
        for (Object e : array(root.get("scripts"))) {
            array(object(e).get("notes"));
            array(object(e).get("skipped"));
        }
    }

    @Test
    void json_toStandardOutput_isTheWholeOutput_theLinesGoToStandardError() throws IOException {
        Path ok = script("ok.pkt", PASSING);
        assertEquals(0, run("packetdrill", "--json", "-", ok.toString()));
        assertEquals("PASS " + ok + "\n", err.toString().lines().findFirst().orElseThrow() + "\n");
        assertTrue(err.toString().contains("1 passed, 0 failed (linux profile, exact comparison)\n"), err.toString());
        Map<String, Object> root = object(MiniJson.parse(out.toString()));
        assertEquals(1.0, object(root.get("counts")).get("passed"));
        assertEquals(0.0, root.get("exitCode"));
        Map<String, Object> entry = entry(root, ok);
        assertEquals("PASS", entry.get("status"));
        assertTrue(entry.containsKey("expectedStatus"));
        assertNull(entry.get("expectedStatus"), "no --expected");
        assertNull(object(root.get("settings")).get("expected"));
        assertEquals(List.of(), entry.get("notes"));
        assertEquals(List.of(), entry.get("skipped"));
    }

    @Test
    void json_withoutExpected_everyScriptThatDidNotPassIsUnexpected_exitsOne() throws IOException {
        Corpus c = corpus();
        assertEquals(1, run("packetdrill", "--json", "-", dir.resolve("corpus/gtests").toString()));
        Map<String, Object> root = object(MiniJson.parse(out.toString()));
        Map<String, Object> counts = object(root.get("counts"));
        assertEquals(3.0, counts.get("scripts"));
        assertEquals(1.0, counts.get("passed"));
        assertEquals(1.0, counts.get("failed"));
        assertEquals(1.0, counts.get("unsupported"));
        assertEquals(0.0, counts.get("expectedFailures"));
        assertEquals(2.0, counts.get("unexpected"));
        assertEquals(1.0, root.get("exitCode"));
        assertEquals(Boolean.FALSE, entry(root, c.bad()).get("asExpected"));
        assertNull(entry(root, c.bad()).get("expectedStatus"));
    }

    @Test
    void junit_withExpected_aSuitePerDirectory_failureSkippedAndExpectedFailureAsPassedWithSystemOut() throws Exception {
        Corpus c = corpus();
        Path junit = dir.resolve("junit/packetdrill.xml");
        assertEquals(1, run("packetdrill", "--expected", c.list().toString(), "--junit", junit.toString(),
                dir.resolve("corpus").toString()));
        Document doc = xml(junit);
        Element root = doc.getDocumentElement();
        assertEquals("testsuites", root.getTagName());
        assertEquals("4", root.getAttribute("tests"));
        assertEquals("1", root.getAttribute("failures"), "only the unlisted syntax error fails the run");
        assertEquals("1", root.getAttribute("skipped"));
        assertEquals("0", root.getAttribute("errors"));
        assertEquals(4, count(doc, "testcase"));
        assertEquals(1, count(doc, "failure"));
        assertEquals(1, count(doc, "skipped"));

        List<Element> suites = children(root, "testsuite");
        Map<String, Element> byName = new LinkedHashMap<>();
        suites.forEach(s -> byName.put(s.getAttribute("name"), s));
        assertEquals(List.of(c.ok().getParent().toString(), c.icmp().getParent().toString(), c.odd().getParent().toString()),
                new ArrayList<>(byName.keySet()), "one testsuite per directory, in path order");
        Element a = byName.get(c.ok().getParent().toString());
        assertEquals("2", a.getAttribute("tests"));
        assertEquals("0", a.getAttribute("failures"));
        assertEquals("0", a.getAttribute("skipped"));

        Map<String, Element> cases = new LinkedHashMap<>();
        for (Element s : suites) {
            for (Element t : children(s, "testcase")) {
                cases.put(t.getAttribute("file"), t);
                assertEquals(s.getAttribute("name"), Paths.get(t.getAttribute("file")).getParent().toString());
                assertTrue(t.getAttribute("time").matches("[0-9]+\\.[0-9]{3}"), t.getAttribute("time"));
            }
        }
        Element ok = cases.get(c.ok().toString());
        assertEquals("ok.pkt", ok.getAttribute("name"));
        assertTrue(children(ok, "failure").isEmpty() && children(ok, "skipped").isEmpty());

        Element bad = cases.get(c.bad().toString());
        assertTrue(children(bad, "failure").isEmpty(), "an expected failure passes");
        String badOut = only(bad, "system-out").getTextContent();
        assertTrue(badOut.startsWith("expected failure: listed in " + c.list() + " as FAIL\nline 8: returned 0, the script expects -1\n"),
                badOut);

        Element icmp = cases.get(c.icmp().toString());
        assertTrue(only(icmp, "skipped").getAttribute("message").startsWith("line 8: unsupported: ICMP out"),
                only(icmp, "skipped").getAttribute("message"));

        Element odd = cases.get(c.odd().toString());
        assertEquals("odd \"quoted\" <name>.pkt", odd.getAttribute("name"));
        assertTrue(odd.getAttribute("classname").endsWith(".corpus.odd & 'dir'"), odd.getAttribute("classname"));
        Element failure = only(odd, "failure");
        assertEquals("line 2: syntax error: " + c.odd() + ":2:14: expected \")\", found \"win\"", failure.getAttribute("message"));
        assertEquals("FAIL", failure.getAttribute("type"));
        assertEquals(failure.getAttribute("message"), failure.getTextContent(), "a syntax error is one line");
    }

    @Test
    void junit_withoutExpected_failIsAFailureAndUnsupportedSkipped() throws Exception {
        Corpus c = corpus();
        Path junit = dir.resolve("packetdrill.xml");
        assertEquals(1, run("packetdrill", "--junit", junit.toString(), dir.resolve("corpus").toString()));
        Document doc = xml(junit);
        assertEquals("4", doc.getDocumentElement().getAttribute("tests"));
        assertEquals("2", doc.getDocumentElement().getAttribute("failures"));
        assertEquals("1", doc.getDocumentElement().getAttribute("skipped"));
        assertEquals(2, count(doc, "failure"));
        assertEquals(1, count(doc, "skipped"));
        NodeList failures = doc.getElementsByTagName("failure");
        List<String> messages = new ArrayList<>();
        for (int i = 0; i < failures.getLength(); i++) {
            messages.add(((Element) failures.item(i)).getAttribute("message"));
        }
        assertTrue(messages.contains("line 8: returned 0, the script expects -1"), messages.toString());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("line 2: syntax error: " + c.odd())), messages.toString());
    }

    @Test
    void junit_aListedFailureThatNowPassesIsAFailure_asItFailsTheRun() throws Exception {
        Path ok = script("gtests/a/ok.pkt", PASSING);
        Path list = script("expected.txt", "gtests/a/ok.pkt  FAIL  it used to fail\n");
        Path junit = dir.resolve("packetdrill.xml");
        Path json = dir.resolve("packetdrill.json");
        assertEquals(1, run("packetdrill", "--expected", list.toString(), "--junit", junit.toString(), "--json", json.toString(),
                ok.toString()));
        Document doc = xml(junit);
        Element failure = (Element) doc.getElementsByTagName("failure").item(0);
        assertNotNull(failure);
        assertEquals("PASS, listed in " + list + " as FAIL", failure.getAttribute("message"));
        Map<String, Object> root = object(MiniJson.parse(Files.readString(json)));
        assertEquals(1.0, object(root.get("counts")).get("unexpected"));
        assertEquals(0.0, object(root.get("counts")).get("expectedFailures"));
        assertEquals("FAIL", entry(root, ok).get("expectedStatus"));
    }

    @Test
    void bothToStandardOutput_orAnUnwritableFile_isAUsageError() throws IOException {
        Path ok = script("ok.pkt", PASSING);
        assertEquals(2, run("packetdrill", "--json", "-", "--junit", "-", ok.toString()));
        assertTrue(err.toString().contains("only one of them can go to standard output"), err.toString());
        Path file = script("file", "a file, not a directory");
        err.getBuffer().setLength(0);
        assertEquals(2, run("packetdrill", "--json", file.resolve("report.json").toString(), ok.toString()));
        assertTrue(err.toString().contains("--json " + file.resolve("report.json") + ": cannot write"), err.toString());
    }

    @Test
    void escaping_jsonAndXmlHoldEveryCharacter() throws Exception {
        String nasty = "q\"uo\\te <&> 'x'\ttab\nline\r\u0001\u001f\u00e9\ud83d\ude00 lone\ud800 end";
        Object back = MiniJson.parse(Json.string(nasty));
        assertEquals(nasty, back);
        String doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><r a=" + PacketdrillReport.attr(nasty) + ">"
                + PacketdrillReport.text(nasty) + "</r>";
        Path f = dir.resolve("e.xml");
        Files.writeString(f, doc, StandardCharsets.UTF_8);
        Element r = xml(f).getDocumentElement();
        // what XML 1.0 cannot hold (C0 controls, a lone surrogate) is written as a visible \\uXXXX; the rest is exact
        String held = nasty.replace("\u0001", "\\u0001").replace("\u001f", "\\u001f").replace("lone\ud800", "lone\\ud800");
        assertEquals(held, r.getAttribute("a"));
        assertEquals(held, r.getTextContent());
    }

    @Test
    void help_namesBothOptions() {
        assertEquals(0, run("packetdrill", "--help"));
        for (String word : new String[] {"--json=FILE|-", "--junit=FILE|-"}) {
            assertTrue(out.toString().contains(word), word + " missing from:\n" + out);
        }
    }

    /** The FreeBSD snippets with the rfc profile's list: JSON, JUnit and the summary line agree, and the run exits 0. */
    @Test
    void freebsdSnippets_jsonJunitAndSummaryAgree() throws Exception {
        Path basedir = Paths.get(System.getProperty("basedir", ".")).toAbsolutePath();
        Path snippets = basedir.resolve("../../shared/conformance/freebsd-tcp-testsuite/snippets").normalize();
        Path list = basedir.resolve("../stack/src/test/resources/io/usertcp/packetdrill/expected-failures-rfc.txt").normalize();
        assertTrue(Files.isDirectory(snippets), "the FreeBSD TCP test suite is missing: expected it at " + snippets);
        Path json = dir.resolve("snippets.json");
        Path junit = dir.resolve("snippets.xml");
        int exit = run("packetdrill", "--profile", "rfc", "-D", "STANDARD", "--expected", list.toString(), "--json", json.toString(),
                "--junit", junit.toString(), snippets.toString());
        Map<String, Object> root = object(MiniJson.parse(Files.readString(json)));
        Map<String, Object> counts = object(root.get("counts"));
        Matcher summary = Pattern.compile("(\\d+) passed, (\\d+) failed(?:, (\\d+) unsupported)? \\(rfc profile, rfc comparison,"
                + " defined: STANDARD\\)\n").matcher(out.toString());
        assertTrue(summary.find(), out.toString());
        assertEquals(Double.valueOf(summary.group(1)), counts.get("passed"));
        assertEquals(Double.valueOf(summary.group(2)), counts.get("failed"));
        assertEquals(summary.group(3) == null ? 0.0 : Double.valueOf(summary.group(3)), counts.get("unsupported"));
        List<Object> scripts = array(root.get("scripts"));
        assertEquals(counts.get("scripts"), (double) scripts.size());
        int listedHere = 0;
        for (String line : Files.readAllLines(list)) {
            listedHere += line.startsWith("snippets/") ? 1 : 0;
        }
        assertTrue(listedHere > 0);
        assertEquals(0, exit, "every snippet as the rfc list has it (FreeBsdConformanceTest checks the same):\n" + out);
        assertEquals((double) listedHere, counts.get("expectedFailures"));
        assertEquals(0.0, counts.get("unexpected"));
        assertEquals(0.0, root.get("exitCode"));

        Document doc = xml(junit);
        Element testsuites = doc.getDocumentElement();
        assertEquals(1, children(testsuites, "testsuite").size(), "one directory");
        assertEquals(String.valueOf(scripts.size()), testsuites.getAttribute("tests"));
        assertEquals(scripts.size(), count(doc, "testcase"));
        assertEquals(0, count(doc, "failure"));
        assertEquals(String.valueOf(((Double) counts.get("unsupported")).intValue()), testsuites.getAttribute("skipped"));
        int expectedFailureNotes = 0;
        NodeList outs = doc.getElementsByTagName("system-out");
        for (int i = 0; i < outs.getLength(); i++) {
            Node n = outs.item(i);
            expectedFailureNotes += n.getTextContent().startsWith("expected failure: listed in " + list + " as FAIL") ? 1 : 0;
        }
        assertEquals(listedHere, expectedFailureNotes);
    }

    /** The project's own scripts all pass in the linux profile: a JUnit report with no failure and no skip. */
    @Test
    void ownScripts_allPass_junitHasNoFailureOrSkip() throws Exception {
        Path basedir = Paths.get(System.getProperty("basedir", ".")).toAbsolutePath();
        Path scripts = basedir.resolve("../stack/src/test/resources/io/usertcp/packetdrill/scripts").normalize();
        Path junit = dir.resolve("own.xml");
        assertEquals(0, run("packetdrill", "--junit", junit.toString(), "--json", "-", scripts.toString()), err.toString());
        long files;
        try (var s = Files.list(scripts)) {
            files = s.filter(p -> p.toString().endsWith(".pkt")).count();
        }
        Document doc = xml(junit);
        assertEquals(String.valueOf(files), doc.getDocumentElement().getAttribute("tests"));
        assertEquals("0", doc.getDocumentElement().getAttribute("failures"));
        assertEquals("0", doc.getDocumentElement().getAttribute("skipped"));
        Map<String, Object> counts = object(object(MiniJson.parse(out.toString())).get("counts"));
        assertEquals((double) files, counts.get("passed"));
        assertEquals(0.0, counts.get("unexpected"));
    }
}
