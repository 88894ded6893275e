package io.usertcp.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.usertcp.tools.control.SsRow;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ss's state filter, and the ss layout that usertcp ss -tanoi prints, read back by the parser real ss output goes through. */
class SsStatesTest {

    @Test
    void filters_asSsNamesThem() {
        assertTrue(SsStates.parse(List.of(), false).keeps("LISTEN"), "every socket by default, as ss -a");
        assertTrue(SsStates.parse(List.of(), true).keeps("LISTEN"));
        assertFalse(SsStates.parse(List.of(), true).keeps("ESTAB"), "-l: listeners only");
        SsStates established = SsStates.parse(List.of("state", "established", "state", "time-wait"), false);
        assertTrue(established.keeps("ESTAB") && established.keeps("TIME-WAIT"));
        assertFalse(established.keeps("CLOSE-WAIT"));
        SsStates connected = SsStates.parse(List.of("state", "connected"), false);
        assertTrue(connected.keeps("SYN-SENT") && connected.keeps("TIME-WAIT"));
        assertFalse(connected.keeps("LISTEN"));
        assertFalse(SsStates.parse(List.of("state", "synchronized"), false).keeps("SYN-SENT"));
        assertThrows(IllegalArgumentException.class, () -> SsStates.parse(List.of("state", "bogus"), false));
        assertThrows(IllegalArgumentException.class, () -> SsStates.parse(List.of("established"), false));
    }

    @Test
    void ssLayout_parsesAsRealSsOutputDoes() {
        List<SsRow> rows = List.of(new SsRow("LISTEN", 0, 256, "0.0.0.0:80", "*:*", "", "", "", "", "", ""),
                new SsRow("ESTAB", 0, 1000, "198.18.0.2:80", "198.18.0.1:41234", "rexmit 180ms", "8.000/4.000", "208", "1448",
                        "cubic cwnd:10", "", "timer:(on,180ms,0)", "ts sack cubic wscale:7,7 rto:208 rtt:8/4 mss:1448 cwnd:10"
                        + " bytes_sent:1000 send 14480000bps lastsnd:52", 0));
        String text = SsRow.ssLayout(rows, true, true);
        assertTrue(text.startsWith("State "), text);
        List<SsOutput.Socket> parsed = SsOutput.parse(text);
        assertEquals(2, parsed.size(), text);
        assertEquals("*:*", parsed.get(0).peer());
        assertEquals(256, parsed.get(0).sendQ());
        SsOutput.Socket estab = parsed.get(1);
        assertEquals("timer:(on,180ms,0)", estab.timer());
        assertEquals(208.0, SsOutput.number(estab.info().get("rto")));
        assertEquals(14480000.0, SsOutput.number(estab.info().get("send")));
        assertTrue(estab.flags().contains("cubic"));
        assertEquals("", SsOutput.parse(SsRow.ssLayout(rows, false, false)).get(1).timer(), "no -o, no timer");
    }

    @Test
    void ssLayout_ofAStackOfSeveralShards_endsEachInfoLineWithItsShard_andStillParsesAsSs() {
        List<SsRow> rows = List.of(new SsRow("LISTEN", 0, 256, "0.0.0.0:80", "*:*", "", "", "", "", "", "").onShard(1),
                new SsRow("ESTAB", 0, 0, "198.18.0.2:80", "198.18.0.1:41234", "", "8.000/4.000", "208", "1448",
                        "cubic cwnd:10", "", "", "ts sack cubic wscale:7,7 rto:208 mss:1448 cwnd:10", 1));
        String text = SsRow.ssLayout(rows, true, true, true);
        List<SsOutput.Socket> parsed = SsOutput.parse(text);
        assertEquals(2, parsed.size(), text);
        assertEquals("1", parsed.get(0).info().get("shard"), "a listener's line holds its shard alone: " + text);
        assertEquals("1", parsed.get(1).info().get("shard"), text);
        assertEquals(208.0, SsOutput.number(parsed.get(1).info().get("rto")), text);
        assertTrue(!SsRow.ssLayout(rows, true, true, false).contains("shard:"), "not for a stack of one");
    }
}
