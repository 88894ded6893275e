package io.usertcp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.sim.GoodputTable.Cell;
import io.usertcp.sim.GoodputTable.Measurement;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Keeps the committed goodput table ({@code goodput.md}, written by {@code scripts/goodput-table.sh})
 * true: every cell is measured again and compared with the committed value. A cell more than 10 %
 * below it is a regression; a cell more than 25 % above it means the stack improved and the table
 * must be regenerated, so that it keeps describing the code. Virtual time makes each cell exactly
 * repeatable; the tolerances are what a real change is allowed before someone looks. Only goodput
 * is judged: the RTO counts beside it explain a move (a cell that lost 20 % and took twice the
 * timeouts lost it to timeouts) but one more or fewer timeout is no verdict on its own.
 */
class GoodputTableTest {
    private static final double REGRESSION = 0.10;
    private static final double IMPROVEMENT = 0.25;

    @Test
    void everyCell_withinTenPercentBelowAndTwentyFivePercentAboveTheCommittedTable() throws IOException {
        Map<Cell, Measurement> committed = GoodputTable.parse(committedTable());
        List<Cell> cells = GoodputTable.cells();
        assertEquals(new HashSet<>(cells), committed.keySet(),
                "the committed table's grid differs from GoodputTable's: regenerate it with scripts/goodput-table.sh");
        List<String> slower = new ArrayList<>();
        List<String> faster = new ArrayList<>();
        for (Cell cell : cells) {
            Measurement was = committed.get(cell);
            Measurement now = GoodputTable.measure(cell);
            String line = String.format(Locale.ROOT, "%s, loss %s, %s: %s, committed %s (%+.1f %%)",
                    cell.algorithm().algorithmName(), GoodputTable.lossLabel(cell.loss()), cell.column().label(),
                    GoodputTable.cellText(now), GoodputTable.cellText(was),
                    100 * (now.megabitsPerSecond() - was.megabitsPerSecond()) / was.megabitsPerSecond());
            if (now.megabitsPerSecond() < was.megabitsPerSecond() * (1 - REGRESSION)) {
                slower.add(line);
            } else if (now.megabitsPerSecond() > was.megabitsPerSecond() * (1 + IMPROVEMENT)) {
                faster.add(line);
            }
        }
        assertTrue(slower.isEmpty(), "goodput regressed by more than " + (int) (100 * REGRESSION) + " % in "
                + slower.size() + " cells:\n" + String.join("\n", slower)
                + (faster.isEmpty() ? "" : "\nand rose by more than " + (int) (100 * IMPROVEMENT) + " % in:\n" + String.join("\n", faster)));
        assertTrue(faster.isEmpty(), "goodput rose by more than " + (int) (100 * IMPROVEMENT) + " % in " + faster.size()
                + " cells: the committed table no longer describes the stack. Regenerate it with"
                + " scripts/goodput-table.sh and commit stack/src/test/resources/io/usertcp/sim/goodput.md:\n"
                + String.join("\n", faster));
    }

    /** Every cell's goodput and RTO count survive render then parse, the large-BDP column's included. */
    @Test
    void render_thenParse_givesBackEveryCell() {
        Map<Cell, Measurement> values = new LinkedHashMap<>();
        double v = 0.125;
        long i = 0;
        for (Cell c : GoodputTable.cells()) {
            values.put(c, new Measurement(v, i * i)); // 0, 1, 4, ... 3481 RTO: no two cells alike
            v += 1.5;
            i++;
        }
        Map<Cell, Measurement> parsed = GoodputTable.parse(GoodputTable.render(values));
        assertEquals(values, parsed);
        assertTrue(parsed.keySet().stream().anyMatch(c -> c.column().equals(GoodputTable.LARGE_BDP) && c.loss() == 0.10),
                "the large-BDP column and the 10 % row are in the table");
    }

    /** A cell without its RTO count, or a column the generator does not have, is not this table. */
    @Test
    void parse_refusesCellsWithoutRtoCountsAndUnknownColumns() {
        String header = "## cubic\n\n| loss \\ path | 1 ms |\n|---|---:|\n";
        assertEquals(Map.of(new Cell(io.usertcp.tcp.cc.CongestionAlgorithm.CUBIC, 0.10, GoodputTable.Column.windowBound(1)),
                new Measurement(12.5, 3)), GoodputTable.parse(header + "| 10 % | 12.500 (3 RTO) |\n"));
        assertThrows(IllegalArgumentException.class, () -> GoodputTable.parse(header + "| 10 % | 12.500 |\n"));
        assertThrows(IllegalArgumentException.class,
                () -> GoodputTable.parse("## cubic\n\n| loss \\ path | 7 ms |\n|---|---:|\n| 0 % | 1.000 (0 RTO) |\n"));
    }

    private static String committedTable() throws IOException {
        try (InputStream in = GoodputTableTest.class.getResourceAsStream(GoodputTable.RESOURCE)) {
            assertNotNull(in, GoodputTable.RESOURCE + " is missing: generate it with scripts/goodput-table.sh");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
