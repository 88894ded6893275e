package io.usertcp.tcp.send;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The linux profile's skbs (SkbQueue): where a write's bytes go, which skbs tcp_mark_push() marks
 * PSH (tcp_push() at the end of a write, forced_push() every half of the peer's largest window),
 * and what MSG_MORE, MSG_EOR, a split where a burst stops and Fast Open's SYN data do to them.
 */
class SkbQueueTest {
    private static final int GOAL = 1000;
    private static final long BIG = 1 << 20;
    private static final SkbQueue.PushBudget NOTHING_GOES = () -> 0;

    private static int write(SkbQueue q, int bytes, long maxWindow, boolean more, boolean eor) {
        return q.take(bytes, GOAL, BIG, BIG, NOTHING_GOES, maxWindow, more, eor, null);
    }

    @Test
    void endOfWrite_marksTheTailSkbOnly() {
        SkbQueue q = new SkbQueue();
        assertEquals(2500, write(q, 2500, BIG, false, false));
        assertEquals(1000, q.skbEnd(0));
        assertEquals(2000, q.skbEnd(1500));
        assertEquals(2500, q.skbEnd(2000));
        assertFalse(q.pushMarked(0));
        assertFalse(q.pushMarked(1000));
        assertTrue(q.pushMarked(2000), "tcp_push() marks the write queue's tail");
    }

    @Test
    void msgMore_leavesTheEndUnmarked_untilAWriteWithoutIt() {
        SkbQueue q = new SkbQueue();
        write(q, 300, BIG, true, false);
        assertFalse(q.pushMarked(0), "MSG_MORE: tcp_push() does not mark");
        write(q, 200, BIG, false, false);
        assertEquals(500, q.skbEnd(0), "the second write joins the unsent tail skb");
        assertTrue(q.pushMarked(0));
    }

    @Test
    void aWriteIntoAMarkedUnsentSkb_movesTheMarkToItsOwnEnd() {
        SkbQueue q = new SkbQueue();
        write(q, 1500, BIG, false, false); // [0,1000) [1000,1500) marked
        write(q, 800, BIG, false, false);  // "if (!copied) tcp_flags &= ~TCPHDR_PSH", then [1000,2000) and [2000,2300)
        assertFalse(q.pushMarked(1000), "the skb the write appended to lost its mark and is not the tail any more");
        assertEquals(2000, q.skbEnd(1000));
        assertTrue(q.pushMarked(2000));
        assertEquals(2300, q.skbEnd(2000));
    }

    @Test
    void forcedPush_marksEachFullSkbOnceHalfTheLargestWindowWasWrittenSinceTheLastMark() {
        SkbQueue q = new SkbQueue();
        write(q, 5000, 3000, false, false); // forced_push(): write_seq > pushed_seq + max_window / 2 = 1500
        assertFalse(q.pushMarked(0));      // 1000 written: not yet
        assertTrue(q.pushMarked(1000));    // 2000 > 0 + 1500: marked, pushed_seq = 2000
        assertFalse(q.pushMarked(2000));   // 3000 ≤ 2000 + 1500
        assertTrue(q.pushMarked(3000));    // 4000 > 3500
        assertTrue(q.pushMarked(4000));    // the end of the write
    }

    @Test
    void msgEor_keepsLaterWritesOutOfTheRecordsSkb() {
        SkbQueue q = new SkbQueue();
        write(q, 400, BIG, false, true);
        write(q, 300, BIG, false, false);
        assertEquals(400, q.skbEnd(0), "tcp_skb_can_collapse_to(): nothing joins an skb marked EOR");
        assertEquals(700, q.skbEnd(400));
        assertTrue(q.pushMarked(0));
        assertTrue(q.pushMarked(400));
    }

    @Test
    void aBurstStoppingInsideAnSkb_splitsIt_andThePartSentLosesPshAndEor() {
        SkbQueue q = new SkbQueue();
        write(q, 800, BIG, false, true);
        q.sent(300);
        assertEquals(500, q.unsent());
        assertEquals(300, q.skbEnd(0), "tso_fragment(): split where the burst stopped");
        assertFalse(q.pushMarked(0));
        assertTrue(q.pushMarked(300), "PSH stays with the part not sent");
        write(q, 100, BIG, false, false);
        assertEquals(800, q.skbEnd(300), "and EOR too: the next write does not join it");
    }

    @Test
    void fastOpenSynData_getsAnSkbOfItsOwnMarkedPsh() {
        SkbQueue q = new SkbQueue();
        write(q, 900, BIG, true, false);
        q.synData(500);
        assertEquals(500, q.skbEnd(0));
        assertTrue(q.pushMarked(0), "tcp_send_syn_data(): the SYN's data is flagged ACK|PSH");
        assertFalse(q.pushMarked(500), "the rest keeps its own mark (none: MSG_MORE)");
        assertEquals(900, q.skbEnd(500));
    }

    @Test
    void takeEntailed_reportsWhetherAWriteStartedAnSkb() {
        SkbQueue q = new SkbQueue();
        assertFalse(q.takeEntailed());
        write(q, 100, BIG, false, false);
        assertTrue(q.takeEntailed());
        assertFalse(q.takeEntailed(), "asking clears it");
        write(q, 100, BIG, false, false);
        assertFalse(q.takeEntailed(), "the write joined the unsent tail skb");
    }

    @Test
    void zeroCopyPieces_areFragments_andAnSkbWithMaxSkbFragsIsPushedAndClosed() {
        SkbQueue q = new SkbQueue();
        int[] pieces = new int[18];
        java.util.Arrays.fill(pieces, 1);
        assertEquals(18, q.take(18, GOAL, BIG, BIG, NOTHING_GOES, BIG, false, false, pieces));
        assertEquals(SkbQueue.MAX_SKB_FRAGS, q.skbEnd(0), "tcp_sendmsg_locked(): -EMSGSIZE at the 18th fragment");
        assertTrue(q.pushMarked(0), "tcp_mark_push() on the full skb");
        assertEquals(18, q.skbEnd(17));
        assertTrue(q.pushMarked(17), "and tcp_push() on the tail");
        assertEquals(100, write(q, 100, BIG, false, false), "a copied write");
        assertEquals(118, q.skbEnd(17), "joins the tail, which holds one fragment");
    }
}
