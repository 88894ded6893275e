package io.usertcp.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs each stack-level benchmark's setup, a few ops and teardown once, outside JMH, so that a
 * change to the stack that breaks a benchmark (its setup checks fail, or the op stops taking the
 * path it claims) fails the build instead of the next benchmark run. The setups and teardowns
 * carry the real checks (the stack's counters, what it sent); these tests add that the checks do
 * fire when the path changes. No timing is asserted: numbers come from JMH (DESIGN.md §11).
 */
class BenchmarkSmokeTest {

    @Test
    void inOrderSegment_pairIsReadAndAckedOnce() {
        InOrderSegmentBenchmark b = new InOrderSegmentBenchmark();
        b.setUp();
        try {
            for (int i = 0; i < 3; i++) {
                // 2 × 1460 bytes read by the application, plus the one ACK the peer received
                assertEquals(2 * InOrderSegmentBenchmark.PAYLOAD + 1, b.segmentPairWithAck());
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void inOrderSegment_teardownFailsWhenSegmentsStopBeingInOrder() {
        InOrderSegmentBenchmark b = new InOrderSegmentBenchmark();
        b.setUp();
        b.nextSeq += InOrderSegmentBenchmark.PAYLOAD; // a hole: both segments now go to reassembly
        int result = b.segmentPairWithAck();
        IllegalStateException e = assertThrows(IllegalStateException.class, b::tearDown); // releases all either way
        assertEquals(1, result, "nothing to read, one duplicate ACK for the two out-of-order segments");
        assertTrue(e.getMessage().contains("the application read 0 bytes"), e.getMessage());
    }

    @Test
    void ackProcessing_eachAckReleasesOneFullSegment() {
        AckProcessingBenchmark b = new AckProcessingBenchmark();
        b.inFlightBytes = 65536;
        b.setUp();
        try {
            for (int i = 0; i < 3; i++) {
                assertEquals(1, b.ackOneMss());
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void reassembly_fullCycleIncludingTheReset() {
        ReassemblyBenchmark b = new ReassemblyBenchmark();
        b.depth = 4;
        b.setUp();
        try {
            for (int i = 0; i < 2 * b.depth + 1; i++) { // two resets
                assertEquals(1, b.outOfOrderSegment(), "one duplicate ACK per out-of-order segment");
            }
        } finally {
            b.tearDown();
        }
    }

    @Test
    void lookup_tupleMapHitsEveryProbe() {
        ConnectionLookupBenchmark b = new ConnectionLookupBenchmark();
        ConnectionLookupBenchmark.Table t = new ConnectionLookupBenchmark.Table();
        t.entries = 1000;
        t.setUp(); // checks every probe hits
        assertNotNull(b.tupleMapGet(t));
    }

    @Test
    void lookup_pureAckReachesItsConnection() {
        ConnectionLookupBenchmark b = new ConnectionLookupBenchmark();
        ConnectionLookupBenchmark.Stack s = new ConnectionLookupBenchmark.Stack();
        s.connections = 1000;
        s.setUp();
        for (int i = 0; i < 10; i++) {
            assertEquals(i + 1, b.pureAckToOneOf(s));
        }
        s.tearDown();
    }

    @Test
    void lookup_teardownFailsWhenASegmentMissesEveryConnection() {
        ConnectionLookupBenchmark b = new ConnectionLookupBenchmark();
        ConnectionLookupBenchmark.Stack s = new ConnectionLookupBenchmark.Stack();
        s.connections = 10;
        s.setUp();
        s.keys.probePorts[0] = 1023; // below every peer port drawn: no such connection
        b.pureAckToOneOf(s);
        IllegalStateException e = assertThrows(IllegalStateException.class, s::tearDown);
        assertTrue(e.getMessage().contains("RST"), e.getMessage());
    }

    /** The summary table of scripts/bench-jmh-all.sh: Markdown, missing numbers shown as such. */
    @Test
    void allBenchmarks_printsOneMarkdownRowPerResult() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        AllBenchmarks.print(List.of(
                new AllBenchmarks.Row("InOrderSegmentBenchmark.segmentPairWithAck", "—", "jmh", 812.34, 40.06, 700.0, 130.52),
                new AllBenchmarks.Row("ChecksumBenchmark.update16", "—", "netty", 2.1, Double.NaN, Double.NaN, 0.0004)),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(4, lines.length);
        assertEquals("| benchmark | params | thread | ns/op | ± error (99.9 %) | CPU ns/op | B/op |", lines[0]);
        assertEquals("| InOrderSegmentBenchmark.segmentPairWithAck | — | jmh | 812.3 | 40.1 | 700.0 | 130.5 |", lines[2]);
        assertEquals("| ChecksumBenchmark.update16 | — | netty | 2.1 | — | — | 0.000 |", lines[3]);
    }
}
