package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tcp.TcpProfile;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** --cases parsing and the bounds every run keeps. */
class BenchOptionsTest {

    @Test
    void cases_parseNamesAndAll_inRunOrder() {
        assertEquals(EnumSet.allOf(BenchCase.class), BenchCase.parseList("all"));
        assertEquals(EnumSet.of(BenchCase.RR, BenchCase.LOSS), BenchCase.parseList(" loss, RR "));
        assertEquals(List.of(BenchCase.BULK, BenchCase.MEMORY), List.copyOf(BenchCase.parseList("memory,bulk")));
    }

    @Test
    void unknownCase_saysWhichAndWhatIsKnown() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchCase.parseList("bulk,nope"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
        assertTrue(e.getMessage().contains("bulk,rr,connrate,memory,loss"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchCase.parseList(" "));
    }

    @Test
    void full_and_quick_haveTheDocumentedShapes() {
        BenchOptions full = BenchOptions.full(EnumSet.allOf(BenchCase.class), 5);
        assertEquals(5_000_000_000L, full.durationNanos());
        assertEquals(List.of(10_000, 100_000), full.memoryCounts());
        assertEquals(List.of(new LossRate(1), new LossRate(10), new LossRate(50)), full.lossRates(), "0.1, 1 and 5 %");
        assertEquals(List.of(new LossRate(10)), BenchOptions.quick(Set.of(BenchCase.LOSS)).lossRates(), "1 % in the quick run");
        BenchOptions quick = BenchOptions.quick(Set.of(BenchCase.BULK));
        assertTrue(quick.quick());
        assertTrue(quick.durationNanos() < 1_000_000_000L);
        assertEquals(2_500_000_000L, quick.withDuration(2.5).durationNanos());
        assertEquals(List.of(7), quick.withMemoryCounts(List.of(7)).memoryCounts());
    }

    @Test
    void lossRates_areParsedAsPercentagesInTenths_andLabelledAsWritten() {
        assertEquals(new LossRate(1), LossRate.parsePercent("0.1"));
        assertEquals(new LossRate(10), LossRate.parsePercent("1"));
        assertEquals(new LossRate(25), LossRate.parsePercent("2.50"));
        assertEquals(new LossRate(500), LossRate.parsePercent("50"));
        assertEquals("0.1 %", new LossRate(1).label());
        assertEquals("5 %", new LossRate(50).label());
        assertEquals("2.5 %", new LossRate(25).label());
        for (String bad : List.of("0", "0.05", "50.1", "-1", "x", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LossRate.parsePercent(bad), bad);
            assertTrue(e.getMessage().startsWith("loss: "), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.quick(Set.of(BenchCase.LOSS)).withLossRates(List.of()));
    }

    @Test
    void profile_isLinuxUnlessChosen_andKeptByTheOtherWithers() {
        assertEquals(TcpProfile.linux(), BenchOptions.full(Set.of(BenchCase.BULK), 5).profile());
        assertEquals(TcpProfile.linux(), BenchOptions.quick(Set.of(BenchCase.BULK)).profile());
        BenchOptions freebsd = BenchOptions.quick(Set.of(BenchCase.RR)).withProfile(TcpProfile.freebsd());
        assertEquals(TcpProfile.freebsd(), freebsd.profile());
        assertEquals(TcpProfile.freebsd(), freebsd.withDuration(1).withMemoryCounts(List.of(5)).profile());
        assertThrows(IllegalArgumentException.class, () -> freebsd.withProfile(null));
    }

    @Test
    void outOfBounds_isRefused() {
        Set<BenchCase> all = EnumSet.allOf(BenchCase.class);
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.full(all, 0));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.full(all, BenchOptions.MAX_DURATION_SECONDS + 1));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.full(all, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.full(Set.of(), 5));
        assertThrows(IllegalArgumentException.class, () -> BenchOptions.full(all, 5).withMemoryCounts(List.of(0)));
        assertThrows(IllegalArgumentException.class,
                () -> BenchOptions.full(all, 5).withMemoryCounts(List.of(BenchOptions.MAX_MEMORY_COUNT + 1)));
    }
}
