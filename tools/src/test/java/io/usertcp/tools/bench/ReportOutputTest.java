package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.bench.Measurement.Better;
import io.usertcp.tcp.TcpProfile;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ratio, the text table and the JSON, on a report made by hand. */
class ReportOutputTest {
    private static final MachineInfo MACHINE = new MachineInfo("Test CPU \"X\"", 2, "Linux 6.1", "OpenJDK 17", 4096, 1.5);

    private static BenchReport report(List<Measurement> rows) {
        return report(rows, TcpProfile.linux());
    }

    private static BenchReport report(List<Measurement> rows, TcpProfile profile) {
        return new BenchReport(MACHINE, BenchOptions.quick(EnumSet.allOf(BenchCase.class)).withProfile(profile),
                Instant.parse("2025-01-02T03:04:05Z"), 12_500_000_000L, 2.25, rows);
    }

    private static Measurement bulk(double ours, double kernel) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("ours.bytes", 123_456_789L);
        details.put("ours.seconds", 0.5);
        details.put("note", "line\nbreak \"quoted\" \\ tab\t ctl\u0001");
        return Measurement.of("bulk", "kernel -> usertcp, MTU 1500", "Gbit/s", Better.HIGHER, ours, kernel, details);
    }

    @Test
    void ratio_isOursOverKernel_andNaNWhenAFigureIsMissing() {
        assertEquals(0.25, Measurement.ratio(1, 4), 1e-12);
        assertEquals(3.0, Measurement.ratio(300, 100), 1e-12);
        assertTrue(Double.isNaN(Measurement.ratio(1, 0)));
        assertTrue(Double.isNaN(Measurement.ratio(Double.NaN, 4)));
        assertTrue(Double.isNaN(Measurement.ratio(1, Double.NaN)));
        assertTrue(Double.isNaN(Measurement.ratio(-1, 4)));
        assertTrue(Double.isNaN(Measurement.ratio(1, Double.POSITIVE_INFINITY)));
        assertEquals(0.0, Measurement.ratio(0, 4), 0.0);
        assertTrue(bulk(1, 4).complete());
        assertFalse(bulk(0, 4).complete(), "a zero figure is not a measurement");
        assertFalse(bulk(1, 4).withError("boom").complete());
    }

    @Test
    void numbers_haveAboutThreeSignificantDigits() {
        assertEquals("12,346", ResultTable.number(12_345.6));
        assertEquals("123", ResultTable.number(123.4));
        assertEquals("12.3", ResultTable.number(12.34));
        assertEquals("1.23", ResultTable.number(1.234));
        assertEquals("0.123", ResultTable.number(0.1234));
        assertEquals("-", ResultTable.number(Double.NaN));
        assertEquals("0.250", ResultTable.ratio(0.25));
        assertEquals("0.0012", ResultTable.ratio(0.00123));
        assertEquals("-", ResultTable.ratio(Double.NaN));
    }

    @Test
    void table_alignsColumns_showsBothFiguresAndTheRatio_andListsFailures() {
        Measurement ok = bulk(2.5, 10);
        Measurement failed = Measurement.of("rr", "1-byte round trips", "1/s", Better.HIGHER, Double.NaN, 30_000, Map.of())
                .withError("usertcp: timed out");
        String text = ResultTable.format(report(List.of(ok, failed)));
        String[] lines = text.split("\n");
        int header = indexOfLineStartingWith(lines, "case");
        String[] headings = lines[header].trim().split("\\s+");
        assertEquals(List.of("case", "measurement", "unit", "usertcp", "kernel", "ratio"), List.of(headings));
        String row = lines[header + 1];
        assertTrue(row.startsWith("bulk"), row);
        assertTrue(row.matches(".*Gbit/s\\s+2\\.50\\s+10\\.0\\s+0\\.250$"), row);
        assertEquals(lines[header].length(), row.length(), "numeric columns are right-aligned to the heading's end");
        assertTrue(lines[header + 2].matches("rr\\s+1-byte round trips\\s+1/s\\s+-\\s+30,000\\s+-$"), lines[header + 2]);
        assertTrue(text.contains("! rr, 1-byte round trips: usertcp: timed out"), text);
        assertTrue(text.contains("ratio = usertcp / kernel"), text);
        assertTrue(text.contains("Test CPU"), text);
        assertTrue(text.contains("\nusertcp runs the linux profile; every kernel its own defaults but cubic (this machine's is "), text);
        assertTrue(header > 2, "the profile line is among the heading lines, above the table");
    }

    @Test
    void tableAndJson_sayWhichProfileOurStackRan() {
        BenchReport rfc = report(List.of(bulk(2.5, 10)), TcpProfile.rfc());
        assertTrue(ResultTable.format(rfc).contains("usertcp runs the rfc profile; every kernel its own defaults but cubic"),
                ResultTable.format(rfc));
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = (Map<String, Object>) ((Map<String, Object>) MiniJson.parse(
                JsonReport.write(report(List.of(bulk(2.5, 10)), TcpProfile.freebsd())))).get("settings");
        assertEquals("freebsd", settings.get("profile"));
        assertEquals("cubic", settings.get("kernelCongestionControl"));
    }

    @Test
    void json_readsBack_withEveryRowItsRatio_nullForNaN_andEscapes() {
        Measurement ok = bulk(2.5, 10);
        Measurement failed = Measurement.of("rr", "p99", "us", Better.LOWER, Double.NaN, 80, Map.of()).withError("usertcp: \"stall\"");
        String json = JsonReport.write(report(List.of(ok, failed)));
        @SuppressWarnings("unchecked")
        Map<String, Object> root = (Map<String, Object>) MiniJson.parse(json);
        assertEquals("usertcp bench", root.get("tool"));
        assertEquals("2025-01-02T03:04:05Z", root.get("started"));
        assertEquals(12.5, (Double) root.get("elapsedSeconds"), 1e-9);
        assertEquals(Boolean.FALSE, root.get("complete"));
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) root.get("machine");
        assertEquals("Test CPU \"X\"", machine.get("cpu"));
        assertEquals(2.0, machine.get("cores"));
        assertEquals(2.25, machine.get("loadAfter"));
        @SuppressWarnings("unchecked")
        Map<String, Object> settings = (Map<String, Object>) root.get("settings");
        assertEquals(List.of("link", "bulk", "rr", "connrate", "memory", "loss"), settings.get("cases"));
        assertEquals(Boolean.TRUE, settings.get("quick"));
        assertEquals("linux", settings.get("profile"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> results = (List<Map<String, Object>>) root.get("results");
        assertEquals(2, results.size());
        Map<String, Object> first = results.get(0);
        assertEquals("bulk", first.get("case"));
        assertEquals("higher", first.get("better"));
        assertEquals(2.5, first.get("ours"));
        assertEquals(10.0, first.get("kernel"));
        assertEquals(0.25, first.get("ratio"));
        assertNull(first.get("error"));
        @SuppressWarnings("unchecked")
        Map<String, Object> details = (Map<String, Object>) first.get("details");
        assertEquals(123_456_789.0, details.get("ours.bytes"));
        assertEquals("line\nbreak \"quoted\" \\ tab\t ctl\u0001", details.get("note"));
        Map<String, Object> second = results.get(1);
        assertTrue(second.containsKey("ours"));
        assertNull(second.get("ours"), "NaN is written as null");
        assertNull(second.get("ratio"));
        assertEquals("lower", second.get("better"));
        assertEquals("usertcp: \"stall\"", second.get("error"));
    }

    @Test
    void jsonNumbers_areValidJsonForEveryMagnitude() {
        for (double v : new double[] {0, 1, -1, 0.5, 1234567.891, 1e-7, 6.02e23, 123456789012.0}) {
            String n = JsonReport.number(v);
            assertEquals(v, (Double) MiniJson.parse(n), Math.abs(v) * 1e-5, n);
        }
        assertEquals("null", JsonReport.number(Double.NaN));
        assertEquals("null", JsonReport.number(Double.NEGATIVE_INFINITY));
    }

    private static int indexOfLineStartingWith(String[] lines, String start) {
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(start)) {
                return i;
            }
        }
        throw new AssertionError("no line starting with " + start);
    }
}
