package io.usertcp.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.sim.GoodputTable.Cell;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Keeps the committed goodput table ({@code goodput.md}, written by {@code scripts/goodput-table.sh})
 * true: every cell is measured again and compared with the committed value. A cell more than 10 %
 * below it is a regression; a cell more than 25 % above it means the stack improved and the table
 * must be regenerated, so that it keeps describing the code. Virtual time makes each cell exactly
 * repeatable; the tolerances are what a real change is allowed before someone looks.
 */
class GoodputTableTest {
    private static final double REGRESSION = 0.10;
    private static final double IMPROVEMENT = 0.25;

    @Test
    void everyCell_withinTenPercentBelowAndTwentyFivePercentAboveTheCommittedTable() throws IOException {
        Map<Cell, Double> committed = GoodputTable.parse(committedTable());
        List<Cell> cells = GoodputTable.cells();
        assertEquals(new HashSet<>(cells), committed.keySet(),
                "the committed table's grid differs from GoodputTable's: regenerate it with scripts/goodput-table.sh");
        List<String> slower = new ArrayList<>();
        List<String> faster = new ArrayList<>();
        for (Cell cell : cells) {
            double was = committed.get(cell);
            double now = GoodputTable.measure(cell);
            String line = String.format(Locale.ROOT, "%s, loss %s, RTT %d ms: %.3f Mbit/s, committed %.3f (%+.1f %%)",
                    cell.algorithm().algorithmName(), GoodputTable.lossLabel(cell.loss()), cell.rttMillis(), now, was,
                    100 * (now - was) / was);
            if (now < was * (1 - REGRESSION)) {
                slower.add(line);
            } else if (now > was * (1 + IMPROVEMENT)) {
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

    @Test
    void render_thenParse_givesBackEveryCell() {
        Map<Cell, Double> values = new java.util.LinkedHashMap<>();
        double v = 0.125;
        for (Cell c : GoodputTable.cells()) {
            values.put(c, v);
            v += 1.5;
        }
        assertEquals(values, GoodputTable.parse(GoodputTable.render(values)));
    }

    private static String committedTable() throws IOException {
        try (InputStream in = GoodputTableTest.class.getResourceAsStream(GoodputTable.RESOURCE)) {
            assertNotNull(in, GoodputTable.RESOURCE + " is missing: generate it with scripts/goodput-table.sh");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
