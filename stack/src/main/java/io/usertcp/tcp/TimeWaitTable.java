package io.usertcp.tcp;

import io.usertcp.core.TupleMap;
import io.usertcp.wire.ParsedTcpOptions;
import io.usertcp.wire.SeqNum;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayList;
import java.util.List;

/**
 * TIME-WAIT kept as compact entries, not whole connections (like Linux's inet_timewait_sock): just
 * what is needed to re-ACK a retransmitted FIN, judge a new SYN, and expire after 2·MSL
 * (RFC 9293 §3.6.1). Every entry lives the same configured time, so an intrusive FIFO list is
 * also a deadline order; restarting 2MSL moves an entry to the tail.
 *
 * <p>The number of entries is capped ({@code maxTimeWaitEntries}, Linux's tcp_max_tw_buckets).
 * Stack-thread only.
 */
final class TimeWaitTable {

    /** One pair in TIME-WAIT: about 80 bytes, against several KB for a full connection. */
    static final class Entry {
        final int localAddress;
        final int localPort;
        final int remoteAddress;
        final int remotePort;
        /** Our SND.NXT: the sequence number of the ACKs we send. */
        final int sndNxt;
        /** RCV.NXT: one past the peer's FIN. */
        final int rcvNxt;
        /** The window field (already scaled down) to put in our ACKs. */
        final int windowField;
        final int rcvWndShift;
        /** The window segments are judged against: the last advertised one, or the profile's (FreeBSD). */
        final long acceptWindowBytes;
        final boolean timestamps;
        int tsRecent;
        /** When TS.Recent was last taken (Linux tw_ts_recent_stamp): what tcp_tw_reuse judges by. */
        long tsRecentNanos;
        final int tsOffset;
        /** The connection's TCP MD5 key (RFC 2385), which signs what the entry sends (Linux tcp_twsk_md5_key()), or null. */
        final TcpMd5Key md5;
        /** When this entry last answered a segment it could not accept (Linux tw_last_oow_ack_time), or {@link OutOfWindowAcks#NEVER}. */
        long lastOutOfWindowAckNanos = OutOfWindowAcks.NEVER;
        long deadlineNanos;
        Entry prev;
        Entry next;

        Entry(TcpConnection c, long deadlineNanos) {
            ConnectionId id = c.id;
            localAddress = id.localAddress();
            localPort = id.localPort();
            remoteAddress = id.remoteAddress();
            remotePort = id.remotePort();
            sndNxt = c.sender.nxt();
            rcvNxt = c.receiver.nxt();
            rcvWndShift = c.receiver.windowShift();
            windowField = (int) Math.min(65535, c.receiver.window() >> rcvWndShift);
            acceptWindowBytes = c.acceptanceWindow();
            timestamps = c.receiver.timestamps();
            tsRecent = c.receiver.tsRecent();
            tsRecentNanos = c.receiver.tsRecentNanos();
            tsOffset = c.sender.tsOffset();
            md5 = c.md5;
            this.deadlineNanos = deadlineNanos;
        }

        ConnectionId id() {
            return new ConnectionId(localAddress, localPort, remoteAddress, remotePort);
        }
    }

    /** What the stack should do with a segment that hit a TIME-WAIT entry. */
    enum Action {
        /** Nothing: drop the segment. */
        DROP,
        /** Send an ACK <SEQ=SND.NXT><ACK=RCV.NXT> (unacceptable segment, or old duplicate SYN). */
        ACK,
        /** RFC 5961 §3.2: an in-window RST that is not exact gets a challenge ACK. */
        CHALLENGE_ACK,
        /** A retransmitted FIN: ACK it and restart 2MSL. */
        ACK_AND_RESTART,
        /** An exact RST ends TIME-WAIT early (RFC 9293; RFC 1337 can turn this off). */
        KILL,
        /** RFC 793 (the profile's synChallengeAck switch off): an in-window SYN is an error: reset, enter CLOSED. */
        RESET,
        /** A new SYN that may reopen the pair (RFC 9293 §3.6.1, RFC 6191). */
        REOPEN
    }

    private final TupleMap<Entry> entries = new TupleMap<>();
    private final int[] entriesPerLocalPort = new int[65536];
    private final long durationNanos;
    private final int capacity;
    private Entry head;
    private Entry tail;

    TimeWaitTable(long durationNanos, int capacity) {
        this.durationNanos = durationNanos;
        this.capacity = capacity;
    }

    int size() {
        return entries.size();
    }

    boolean isFull() {
        return entries.size() >= capacity;
    }

    /** Entries with this local port, for the SO_REUSEADDR check on listen. */
    int countLocalPort(int port) {
        return entriesPerLocalPort[port];
    }

    /** Replaces {@code c} by an entry; the caller checked {@link #isFull()}. */
    Entry add(TcpConnection c, long nowNanos) {
        Entry e = new Entry(c, nowNanos + durationNanos);
        Entry old = entries.put(e.localAddress, e.localPort, e.remoteAddress, e.remotePort, e);
        if (old != null) {
            unlink(old);
            entriesPerLocalPort[old.localPort]--;
        }
        entriesPerLocalPort[e.localPort]++;
        append(e);
        return e;
    }

    Entry get(int localAddress, int localPort, int remoteAddress, int remotePort) {
        return entries.get(localAddress, localPort, remoteAddress, remotePort);
    }

    void remove(Entry e) {
        if (entries.remove(e.localAddress, e.localPort, e.remoteAddress, e.remotePort) != null) {
            entriesPerLocalPort[e.localPort]--;
            unlink(e);
        }
    }

    /** RFC 9293 §3.10.7.4 (TIME-WAIT): "restart the 2 MSL timeout". */
    void restart(Entry e, long nowNanos) {
        unlink(e);
        e.deadlineNanos = nowNanos + durationNanos;
        append(e);
    }

    long nextDeadlineNanos() {
        return head == null ? Long.MAX_VALUE : head.deadlineNanos;
    }

    /** Removes and returns the oldest entry if its 2MSL is over, else null. */
    Entry pollExpired(long nowNanos) {
        Entry e = head;
        if (e == null || e.deadlineNanos > nowNanos) {
            return null;
        }
        remove(e);
        return e;
    }

    List<Entry> all() {
        List<Entry> out = new ArrayList<>(entries.size());
        for (Entry e = head; e != null; e = e.next) {
            out.add(e);
        }
        return out;
    }

    /**
     * Decides what a segment for a TIME-WAIT pair means, with the profile's answers where the
     * references differ (RFC 1337, RFC 5961 or RFC 793, RFC 6191 reopening, FreeBSD's drops).
     */
    static Action classify(Entry e, TcpSegmentView seg, TcpProfile profile) {
        int flags = seg.flags();
        int seq = seg.seq();
        long window = e.acceptWindowBytes;
        if ((flags & TcpFlags.RST) != 0) {
            if (profile.ignoresRstInTimeWait()) {
                return Action.DROP; // RFC 1337
            }
            // Second check, the same rule as in the other synchronized states (RFC 9293 §3.10.7.4, RFC 5961 §3.2).
            return switch (SynchronizedChecks.rst(profile, e.rcvNxt, window, seq)) {
                case OUT_OF_WINDOW -> Action.DROP;
                // Linux tcp_timewait_state_process() acts only on a RST at exactly RCV.NXT and drops any other
                // without an answer (the kernel here: a RST at RCV.NXT + 98 gets nothing).
                case CHALLENGE_ACK -> profile.linuxTimeWait() ? Action.DROP : Action.CHALLENGE_ACK;
                case RESET -> Action.KILL; // CLOSING/LAST-ACK/TIME-WAIT: "enter the CLOSED state"
            };
        }
        // Fourth check, as in the other synchronized states: in RFC 793 mode an in-window SYN is an error, with or
        // without an ACK; an old SYN whose text reaches into the window is trimmed away (RFC 9293 §3.10.7.4: "process
        // only the new part") and judged as the segment that remains.
        boolean inWindowError = SynchronizedChecks.syn(profile, e.rcvNxt, window, seq) == SynchronizedChecks.SynVerdict.RESET;
        if ((flags & (TcpFlags.SYN | TcpFlags.ACK)) == (TcpFlags.SYN | TcpFlags.ACK) && inWindowError) {
            return Action.RESET;
        }
        if ((flags & (TcpFlags.SYN | TcpFlags.ACK)) == TcpFlags.SYN) {
            return switch (profile.synInTimeWait(seq, e.rcvNxt, newerIncarnation(e, seg), inWindowError)) {
                case DROP -> Action.DROP;
                case ACK -> Action.ACK;
                case RESET -> Action.RESET;
                case REOPEN -> Action.REOPEN;
            };
        }
        if ((flags & TcpFlags.ACK) == 0 && !profile.answersSegmentsWithoutAckInTimeWait()) {
            return Action.DROP; // FreeBSD tcp_twcheck: no ACK bit, no answer
        }
        if ((flags & TcpFlags.FIN) != 0 && seq + seg.payloadLength() + 1 == e.rcvNxt) {
            return Action.ACK_AND_RESTART; // "The only thing that can arrive in this state is a retransmission of the remote FIN."
        }
        if (seg.segmentLength() == 0 && seq == e.rcvNxt) {
            return Action.DROP; // an acceptable bare ACK: nothing to answer
        }
        if ((flags & TcpFlags.ACK) == 0 && acceptable(e, seq, seg.segmentLength()) && !profile.linuxTimeWait()) {
            // RFC 9293 §3.10.7.4, fifth check: "if the ACK bit is off drop the segment and return". Linux answers it
            // as any segment but a bare one at RCV.NXT (tcp_timewait_state_process(); the kernel here ACKs text
            // without the ACK bit at RCV.NXT).
            return Action.DROP;
        }
        return Action.ACK; // first check: unacceptable segment, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    }

    /**
     * Whether a segment for TIME-WAIT restarts its 2MSL timer besides what {@code action} does: the
     * linux profile as tcp_timewait_state_process() (inet_twsk_reschedule()), where a bare segment at
     * RCV.NXT, and every other segment with the ACK bit but a RST or a new incarnation's SYN, restart
     * it, and a RST at RCV.NXT under RFC 1337 does. RFC 9293 restarts it only for the retransmitted FIN
     * ({@link Action#ACK_AND_RESTART}, which restarts it itself), as rfc and freebsd do.
     */
    static boolean restarts(Entry e, TcpSegmentView seg, Action action, TcpProfile profile) {
        if (!profile.linuxTimeWait() || action == Action.REOPEN || action == Action.KILL || action == Action.RESET
                || action == Action.ACK_AND_RESTART) {
            return false;
        }
        boolean exact = seg.seq() == e.rcvNxt && seg.segmentLength() == 0;
        if ((seg.flags() & TcpFlags.RST) != 0) {
            return exact && profile.ignoresRstInTimeWait();
        }
        return exact || (seg.flags() & TcpFlags.ACK) != 0;
    }

    /** RFC 9293 §3.10.7.4, first check (the same test as a live connection's), against the entry's window. */
    private static boolean acceptable(Entry e, int seq, int segmentLength) {
        return SynchronizedChecks.acceptable(e.rcvNxt, e.acceptWindowBytes, seq, segmentLength);
    }

    /**
     * RFC 6191 §2 (refining RFC 9293 §3.6.1 MAY-2): with timestamps on both the entry and the SYN,
     * the SYN is a new incarnation if its TSval is newer than TS.Recent, or equal to it with a
     * sequence number above RCV.NXT (as Linux's tcp_timewait_state_process); without timestamps, if
     * its sequence number is above RCV.NXT.
     */
    private static boolean newerIncarnation(Entry e, TcpSegmentView seg) {
        ParsedTcpOptions o = seg.options();
        if (e.timestamps && o.hasTimestamps()) {
            return SeqNum.gt(o.tsVal(), e.tsRecent) || (o.tsVal() == e.tsRecent && SeqNum.gt(seg.seq(), e.rcvNxt));
        }
        return SeqNum.gt(seg.seq(), e.rcvNxt);
    }

    private void append(Entry e) {
        e.prev = tail;
        e.next = null;
        if (tail == null) {
            head = e;
        } else {
            tail.next = e;
        }
        tail = e;
    }

    private void unlink(Entry e) {
        if (e.prev == null) {
            head = e.next;
        } else {
            e.prev.next = e.next;
        }
        if (e.next == null) {
            tail = e.prev;
        } else {
            e.next.prev = e.prev;
        }
        e.prev = null;
        e.next = null;
    }
}
