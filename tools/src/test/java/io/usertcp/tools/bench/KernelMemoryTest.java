package io.usertcp.tools.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading the kernel's counters: sockstat's TCP line, slabinfo's totals, and the delta per connection. */
class KernelMemoryTest {

    @Test
    void sockstat_tcpLine_isParsedByName() throws IOException {
        String text = "sockets: used 13\nTCP: inuse 3 orphan 1 tw 12 alloc 4 mem 18\nUDP: inuse 0 mem 0\n";
        assertEquals(new KernelMemory.SockStat(3, 1, 12, 4, 18), KernelMemory.parseSockstat(text));
        assertThrows(IOException.class, () -> KernelMemory.parseSockstat("sockets: used 1\n"));
    }

    @Test
    void slabinfo_sumsActiveObjectsTimesSize_skippingHeadings() {
        List<String> lines = List.of(
                "slabinfo - version: 2.1",
                "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables ...",
                "tw_sock_TCP           48     64    256   16    1 : tunables    0    0    0 : slabdata      3      3      0",
                "TCP                   39     52   2368   13    8 : tunables    0    0    0 : slabdata      3      3      0");
        assertEquals(48L * 256 + 39L * 2368, KernelMemory.slabActiveBytes(lines));
    }

    @Test
    void delta_addsTheSocketCaches_andOneFilePerSocketFile_notTheNoisyFileCachesNorTcpPages() {
        KernelMemory.Snapshot before = new KernelMemory.Snapshot(Map.of("TCP", 1000L, "tw_sock_TCP", 512L),
                Map.of("dentry", 1_000_000L), 384, 5000, new KernelMemory.SockStat(0, 0, 0, 0, 1));
        KernelMemory.Snapshot after = new KernelMemory.Snapshot(Map.of("TCP", 5736L, "tw_sock_TCP", 512L, ":A-0000128", 256L),
                Map.of("dentry", 10L), 384, 9000, new KernelMemory.SockStat(2, 0, 0, 2, 2));
        // two sockets: 2 × 2368 in TCP, bind buckets, and a dentry + filp each (384 B), whatever dentry did meanwhile
        assertEquals(2 * 2368 + 256 + 2 * 384, after.bytesSince(before, 2));
        assertEquals(2 * 2368 + 256, after.bytesSince(before, 0), "TIME-WAIT entries hold no file");
        assertEquals(Map.of("TCP", 4736L, "tw_sock_TCP", 0L, ":A-0000128", 256L), after.cacheDeltas(before));
        assertEquals(Map.of("dentry", -999_990L), after.fileCacheDeltas(before));
    }
}
