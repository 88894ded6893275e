package io.usertcp.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.usertcp.core.DeadlineHeap;
import io.usertcp.core.MemoryBudget;
import io.usertcp.core.Shard;
import io.usertcp.core.StackStats;
import io.usertcp.core.StackStats.Counter;
import io.usertcp.core.TupleMap;
import io.usertcp.ip.PacketDecoder;
import io.usertcp.link.Link;
import io.usertcp.wire.DropReason;
import io.usertcp.wire.Icmpv4MessageView;
import io.usertcp.wire.Ipv4Address;
import io.usertcp.wire.Ipv4PacketView;
import io.usertcp.wire.TcpFlags;
import io.usertcp.wire.TcpSegmentView;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP/IPv4 stack as a pure state machine (DESIGN.md §2): it owns the connection table, the
 * listeners, the TIME-WAIT table and the ephemeral ports, and is driven entirely from outside:
 * <pre>
 *   stack.receive(now, packet);        // for each datagram from the link
 *   stack.onTimeout(now);              // when now reaches stack.nextDeadlineNanos()
 *   stack.pollTransmit(now, link);     // after either, and after user calls
 * </pre>
 * A driver that reads datagrams in batches calls {@link #transmitOwed} after each of them, so that
 * every segment is answered before the next is processed, as the simulation and Linux do.
 * It never reads a clock, starts a thread or touches I/O. One thread calls everything.
 *
 * <p>Ownership: {@link #receive} takes the packet and releases it on every path; what outlives the
 * call is a retained slice. {@link #pollTransmit} hands new buffers to the link, which owns them.
 */
public final class TcpStack {
    private static final Logger log = LoggerFactory.getLogger(TcpStack.class);
    private static final long SECOND_NANOS = 1_000_000_000L;
    private static final long TS_OFFSET_SALT = 0x7473206f66667365L;

    private final StackConfig config;
    private final TcpConfig tcp;
    private final StackStats stats = new StackStats();
    /** What received data may hold, stack-wide (Linux tcp_mem). */
    private final MemoryBudget memory;
    private final PacketDecoder decoder;
    private final int[] localAddresses;
    private final TupleMap<TcpConnection> connections = new TupleMap<>();
    private final TcpListener[] listenersByPort = new TcpListener[65536];
    /** Listeners in {@link #listenersByPort}, so that a scan for them stops after the last (most stacks have none). */
    private int listenerCount;
    private final TimeWaitTable timeWait;
    private final DeadlineHeap<TcpConnection> timers = new DeadlineHeap<>();
    private final ArrayDeque<TcpConnection> outputList = new ArrayDeque<>();
    /** Connections the application may still hold buffers through; released by {@link #close}. */
    private final Set<TcpConnection> live = new HashSet<>();
    private final IsnGenerator isn;
    private final SipHash secrets;
    private final FastOpen fastOpen;
    /** net.ipv4.tcp_ecn now: read for every SYN, as Linux reads the sysctl (tcp_ecn_create_request(), tcp_ecn_send_syn()). */
    private TcpConfig.EcnMode ecn;
    /** Builds every datagram the stack sends (its connections and its replies); holds one buffer, released on close. */
    private final SegmentWriter writer;
    private final Replies replies;
    private final TcpOutput output;
    private final SegmentArrival arrival;
    private final PassiveOpen passiveOpen;
    private final TcpMd5Check md5;
    private final int localMss;
    private final int windowShiftOffered;
    private int nextEphemeral;
    private long challengeAckSecond = Long.MIN_VALUE;
    private int challengeAcksThisSecond;
    private boolean closed;
    /** Connections whose handlers have events waiting, delivered after the current processing. */
    private final ArrayDeque<TcpConnection> eventList = new ArrayDeque<>();
    /** Listeners that gained an established child since their handler last heard. */
    private final ArrayDeque<TcpListener> acceptableList = new ArrayDeque<>();
    /** What a connection may ask of the stack; not part of the public API. */
    private final ConnectionHost host = new ConnectionHost() {
        @Override public TcpConfig config() { return tcp; }
        @Override public ConnectionObserver observer() { return TcpStack.this.observer(); }
        @Override public FastOpen fastOpen() { return fastOpen; }
        @Override public TcpConfig.EcnMode ecn() { return ecn; }
        @Override public StackStats stats() { return stats; }
        @Override public ByteBufAllocator allocator() { return TcpStack.this.allocator(); }
        @Override public MemoryBudget memory() { return memory; }
        @Override public int localMss() { return localMss; }
        @Override public void wantsOutput(TcpConnection c) { TcpStack.this.wantsOutput(c); }
        @Override public void eventsPending(TcpConnection c) { eventList.addLast(c); }
        @Override public void timersChanged(TcpConnection c) { TcpStack.this.timersChanged(c); }
        @Override public void detached(TcpConnection c, long nowNanos, boolean timeWait) { TcpStack.this.detached(c, nowNanos, timeWait); }
        @Override public boolean challengeAckAllowed(long nowNanos) { return TcpStack.this.challengeAckAllowed(nowNanos); }
        @Override public void forget(TcpConnection c) { live.remove(c); }
        @Override public void sendReset(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq) { replies.reset(nowNanos, id, md5, seq); }
        @Override public void sendResetAck(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq, int ack) {
            replies.resetAck(nowNanos, id, md5, seq, ack);
        }
        @Override public void sendAbortReset(long nowNanos, ConnectionId id, TcpMd5Key md5, int seq, int ack, int window,
                                             boolean timestamps, int tsVal, int tsEcr) {
            replies.abortReset(nowNanos, id, md5, seq, ack, window, timestamps, tsVal, tsEcr);
        }
        @Override public void sendResetAnswering(long nowNanos, ConnectionId id, TcpMd5Key md5, TcpSegmentView segment) {
            replies.resetAnswering(nowNanos, id, md5, segment);
        }
    };

    public TcpStack(StackConfig config) {
        this.config = config;
        this.tcp = config.tcp();
        this.memory = new MemoryBudget(tcp.receiveMemoryLimitBytes());
        this.localAddresses = config.localAddresses().stream().mapToInt(Ipv4Address::bits).toArray();
        this.decoder = new PacketDecoder(this::isLocalAddress, config.checksumPolicy());
        this.timeWait = new TimeWaitTable(tcp.timeWaitNanos(), tcp.maxTimeWaitEntries());
        this.isn = config.isn() != null ? config.isn() : IsnGenerator.rfc6528(config.random().nextLong(), config.random().nextLong());
        this.secrets = new SipHash(config.random().nextLong(), config.random().nextLong());
        this.ecn = tcp.ecn();
        this.fastOpen = new FastOpen(tcp.profile().hasFastOpen(), tcp.fastOpen(), secrets);
        this.writer = new SegmentWriter(config.allocator(), config.random().nextInt(65536));
        this.replies = new Replies(writer, config.allocator(), stats, config.observer());
        this.output = new TcpOutput(writer, stats, config.observer());
        this.arrival = new SegmentArrival(stats);
        this.md5 = new TcpMd5Check(stats);
        this.passiveOpen = new PassiveOpen(this, new SynCookies(secrets), replies, arrival);
        this.localMss = config.mtu() - Ipv4PacketView.MIN_HEADER_LENGTH - TcpSegmentView.MIN_HEADER_LENGTH;
        this.windowShiftOffered = tcp.windowScaling() ? tcp.profile().windowShift(tcp.receiveBufferBytes(), tcp.receiveBufferMaxBytes()) : 0;
        int range = config.ephemeralPortHigh() - config.ephemeralPortLow() + 1;
        this.nextEphemeral = config.ephemeralPortLow() + config.random().nextInt(range);
    }

    // =====================================================================================
    // Driving the stack
    // =====================================================================================

    /**
     * Feeds one IPv4 datagram from the link.
     *
     * @param packet ownership moves to the stack, which releases it on every path
     */
    public void receive(long nowNanos, ByteBuf packet) {
        receive(nowNanos, packet, false);
    }

    /**
     * Feeds one frame from a link whose frames carry a virtio-net header
     * ({@link io.usertcp.link.LinkOffloads#virtioHeader()}): the header is checked like any other
     * input, checksums it vouches for are not verified again, and a GSO super-segment is taken as
     * one segment (as Linux's TCP takes a GRO packet).
     *
     * @param frame ownership moves to the stack, which releases it on every path
     */
    public void receiveFrame(long nowNanos, ByteBuf frame) {
        receive(nowNanos, frame, true);
    }

    private void receive(long nowNanos, ByteBuf packet, boolean frame) {
        try {
            stats.increment(Counter.IpInReceives);
            DropReason reason = closed ? null : frame ? decoder.decodeFrame(packet) : decoder.decode(packet);
            if (closed) {
                return;
            }
            countEcnField(reason);
            if (reason != null) {
                drop(reason, packet);
                return;
            }
            stats.increment(Counter.IpInDelivers);
            if (decoder.protocol() == Ipv4PacketView.PROTOCOL_ICMP) {
                icmp(nowNanos, decoder.ip(), decoder.icmp());
            } else {
                tcpSegment(nowNanos, decoder.ip(), decoder.tcp());
            }
        } finally {
            packet.release();
        }
        deliverEvents(nowNanos);
    }

    /**
     * Hands the events queued while processing to the connections' handlers and the listeners'
     * callbacks, with the time (DESIGN.md §4: never in the middle of a segment). A handler may call
     * back into the stack; events that raises are delivered in the same loop, output on the next
     * {@link #pollTransmit}.
     */
    private void deliverEvents(long nowNanos) {
        while (!eventList.isEmpty() || !acceptableList.isEmpty()) {
            TcpConnection c = eventList.pollFirst();
            TcpListener l = acceptableList.pollFirst();
            if (c != null) {
                try {
                    c.deliverEvents(nowNanos);
                } catch (RuntimeException e) {
                    contain(c, nowNanos, "its application's event handler", e);
                }
            }
            if (l != null) {
                l.deliverAcceptable();
            }
        }
    }

    /**
     * A bug met while processing one connection (a segment, a timer, its handler) is contained to
     * it: logged at ERROR, counted, and the connection aborted with a RST and
     * {@link CloseReason#INTERNAL_ERROR}, so that the stack keeps serving every other connection.
     * Only RuntimeExceptions are contained here: Errors (an assertion under -ea, the virtual
     * machine's own) go up to the runner, which decides about them.
     */
    private void contain(TcpConnection c, long nowNanos, String what, Throwable e) {
        stats.increment(Counter.UsertcpStackFaults);
        log.error("connection {} failed while processing {}; aborting it", c.id, what, e);
        if (!c.isClosed()) {
            stats.increment(Counter.UsertcpFaultAborts);
            try {
                c.abortWithReset(nowNanos, CloseReason.INTERNAL_ERROR, "internal error: " + e);
            } catch (RuntimeException again) {
                log.error("connection {} could not be aborted cleanly either", c.id, again);
            }
        }
        timers.remove(c);
    }

    /** A listener's accept queue gained a connection: tell its callback after the current processing. */
    void acceptablePending(TcpListener listener) {
        acceptableList.addLast(listener);
    }

    /**
     * IpExtIn*Pkts by the IP ECN field, as Linux ip_rcv_core() counts them: every datagram whose
     * header is structurally IPv4 (version 4, a sane header length), whatever happens to it next.
     */
    private void countEcnField(DropReason reason) {
        if (reason == DropReason.IPV4_TRUNCATED || reason == DropReason.IPV4_BAD_VERSION || reason == DropReason.IPV4_BAD_HEADER_LENGTH) {
            return;
        }
        stats.increment(switch (decoder.ip().ecn()) {
            case 0b00 -> Counter.IpExtInNoECTPkts;
            case 0b01 -> Counter.IpExtInECT1Pkts;
            case 0b10 -> Counter.IpExtInECT0Pkts;
            default -> Counter.IpExtInCEPkts;
        });
    }

    /** A datagram dropped for {@code reason}: counted, and shown to the observer. */
    void dropped(DropReason reason) {
        stats.drop(reason);
        config.observer().dropped(reason);
    }

    private void drop(DropReason reason, ByteBuf packet) {
        dropped(reason);
        if (reason == DropReason.TCP_BAD_CHECKSUM || reason == DropReason.TCP_BAD_OPTION
                || reason == DropReason.TCP_TRUNCATED || reason == DropReason.TCP_HEADER_OVERRUN) {
            stats.increment(Counter.TcpInErrs);
        }
        if (log.isTraceEnabled()) {
            log.trace("drop {}: {} bytes", reason, packet.readableBytes());
        }
    }

    /**
     * The key a segment to {@code c} from {@code remote} is checked with. A passive open still in
     * SYN-RECEIVED is Linux's request socket: a segment to it is checked against its listener's keys
     * as they are now (tcp_v4_rcv() hands the listener to tcp_inbound_hash()), so a key added to the
     * listener during the handshake covers the final ACK. Every other connection, a Fast Open child
     * included (a full socket from the SYN on), is checked with its own key.
     */
    private static TcpMd5Key md5KeyChecking(TcpConnection c, int remote) {
        return c.state == TcpState.SYN_RECEIVED && c.parent != null && !c.fastOpenChild ? c.parent.md5KeyFor(remote) : c.md5;
    }

    private void tcpSegment(long nowNanos, Ipv4PacketView ip, TcpSegmentView seg) {
        stats.increment(Counter.TcpInSegs);
        config.observer().segmentIn(nowNanos, ip);
        if (tcp.profile().dropsSynFin() && seg.hasFlag(TcpFlags.SYN) && seg.hasFlag(TcpFlags.FIN)) {
            dropped(DropReason.TCP_SYN_FIN); // FreeBSD tcp_input, drop_synfin: before any state is looked at
            return;
        }
        int la = ip.destinationAddress();
        int lp = seg.destinationPort();
        int ra = ip.sourceAddress();
        int rp = seg.sourcePort();
        TcpConnection c = connections.get(la, lp, ra, rp);
        if (c != null) {
            TcpMd5Key key = md5KeyChecking(c, ra);
            if (md5Rejects(key, ip, seg)) {
                return;
            }
            if (key != c.md5) {
                c.md5 = key; // the child takes the listener's key as it is when the handshake completes (tcp_v4_syn_recv_sock())
            }
            try {
                arrival.arrive(c, nowNanos, seg, ip.ecn());
            } catch (RuntimeException e) {
                contain(c, nowNanos, "a segment", e);
            }
            return;
        }
        TimeWaitTable.Entry tw = timeWait.get(la, lp, ra, rp);
        if (tw != null) {
            timeWaitSegment(tw, nowNanos, ip, seg);
            return;
        }
        toListenerOrClosed(nowNanos, ip, seg, false, 0);
    }

    private TcpListener listenerFor(Ipv4PacketView ip, TcpSegmentView seg) {
        TcpListener listener = listenersByPort[seg.destinationPort()];
        return listener != null && (listener.localAddress() == 0 || listener.localAddress() == ip.destinationAddress()) ? listener : null;
    }

    private void toListenerOrClosed(long nowNanos, Ipv4PacketView ip, TcpSegmentView seg, boolean reopen, int isnHint) {
        TcpListener listener = listenerFor(ip, seg);
        if (listener != null) {
            if (!md5Rejects(listener.md5KeyFor(ip.sourceAddress()), ip, seg)) {
                passiveOpen.segment(listener, nowNanos, ip, seg, reopen, isnHint);
            }
        } else if (!seg.options().hasMd5Signature()) {
            replies.resetFor(nowNanos, ip, seg); // RFC 9293 §3.10.7.1: CLOSED
        } else {
            signedResetForClosed(nowNanos, ip, seg);
        }
    }

    /** Linux tcp_inbound_hash() for the socket a segment reached: a segment it refuses is dropped, counted, unanswered. */
    private boolean md5Rejects(TcpMd5Key key, Ipv4PacketView ip, TcpSegmentView seg) {
        DropReason reason = md5.check(key, ip, seg);
        if (reason != null) {
            dropped(reason);
        }
        return reason != null;
    }

    /**
     * Linux tcp_v4_send_reset() for a signed segment that reached no socket ("active side is
     * lost"): a RST only if a listener on our address at the segment's source port (the BGP case,
     * where both ends listen on one port) has a key for the peer under which the segment verifies,
     * signed with that key; else none ("don't send rst if it can't find key").
     */
    private void signedResetForClosed(long nowNanos, Ipv4PacketView ip, TcpSegmentView seg) {
        TcpListener listener = listenersByPort[seg.sourcePort()];
        TcpMd5Key key = listener != null && (listener.localAddress() == 0 || listener.localAddress() == ip.destinationAddress())
                ? listener.md5KeyFor(ip.sourceAddress()) : null;
        if (key != null && seg.options().md5SignatureCount() == 1 && md5.verifies(key, ip, seg)) {
            replies.resetFor(nowNanos, ip, seg, key);
        }
    }

    private void timeWaitSegment(TimeWaitTable.Entry tw, long nowNanos, Ipv4PacketView ip, TcpSegmentView seg) {
        TimeWaitTable.Action action = TimeWaitTable.classify(tw, seg, tcp.profile());
        if (TimeWaitTable.restarts(tw, seg, action, tcp.profile())) {
            timeWait.restart(tw, nowNanos);
        }
        switch (action) {
            case DROP -> { }
            case ACK -> {
                if (timeWaitAckDue(tw, nowNanos, seg)) {
                    replies.timeWaitAck(nowNanos, tw);
                }
            }
            case CHALLENGE_ACK -> {
                if (challengeAckAllowed(nowNanos) && timeWaitAckDue(tw, nowNanos, seg)) {
                    stats.increment(Counter.TcpExtTCPChallengeACK);
                    replies.timeWaitAck(nowNanos, tw);
                }
            }
            case ACK_AND_RESTART -> {
                timeWait.restart(tw, nowNanos);
                if (timeWaitAckDue(tw, nowNanos, seg)) {
                    replies.timeWaitAck(nowNanos, tw);
                }
            }
            case KILL -> {
                timeWait.remove(tw);
                config.observer().stateChanged(nowNanos, tw.id(), TcpState.TIME_WAIT, TcpState.CLOSED, "rcv RST");
            }
            case RESET -> {
                // RFC 793: an in-window SYN "is an error, send a reset"; answered as in the other synchronized
                // states (SegmentArrival), in RFC 793 §3.4's form, which a restarted peer in SYN-SENT accepts.
                timeWait.remove(tw);
                switch (tcp.profile().synResetForm()) {
                    case ANSWER_SEGMENT -> replies.resetFor(nowNanos, ip, seg, tw.md5);
                    case CONNECTION_SEQUENCE -> replies.resetAck(nowNanos, tw.id(), tw.md5, tw.sndNxt, tw.rcvNxt);
                }
                config.observer().stateChanged(nowNanos, tw.id(), TcpState.TIME_WAIT, TcpState.CLOSED, "rcv SYN in window");
            }
            case REOPEN -> {
                if (listenerFor(ip, seg) == null) {
                    // Only a listener can accept a new incarnation; without one the SYN is not
                    // acceptable and TIME-WAIT answers it (RFC 9293 §3.10.7.4 fourth check, RFC 5961 §4;
                    // Linux tcp_v4_rcv: TCP_TW_SYN with no listener falls through to TCP_TW_ACK).
                    replies.timeWaitAck(nowNanos, tw);
                    return;
                }
                timeWait.remove(tw);
                stats.increment(Counter.TcpExtTWRecycled);
                config.observer().stateChanged(nowNanos, tw.id(), TcpState.TIME_WAIT, TcpState.CLOSED, "rcv SYN (new incarnation)");
                // RFC 9293 §3.6.1 MAY-2 (1): the new ISN exceeds all the old incarnation used (Linux: snd_nxt + 65535 + 2).
                toListenerOrClosed(nowNanos, ip, seg, true, tw.sndNxt + 65535 + 2);
            }
        }
    }

    /**
     * Linux tcp_timewait_check_oow_rate_limit(): whether a TIME-WAIT entry may answer {@code seg} now,
     * at most once per {@link TcpConfig#invalidRateLimitNanos()} (segments with text and no SYN
     * always); a skipped answer counts TcpExtTCPACKSkippedTimeWait.
     */
    private boolean timeWaitAckDue(TimeWaitTable.Entry tw, long nowNanos, TcpSegmentView seg) {
        if (OutOfWindowAcks.exempt(seg)) {
            return true;
        }
        if (OutOfWindowAcks.limited(tw.lastOutOfWindowAckNanos, nowNanos, tcp.invalidRateLimitNanos())) {
            stats.increment(Counter.TcpExtTCPACKSkippedTimeWait);
            return false;
        }
        tw.lastOutOfWindowAckNanos = nowNanos;
        return true;
    }

    private void icmp(long nowNanos, Ipv4PacketView ip, Icmpv4MessageView icmp) {
        stats.increment(Counter.IcmpInMsgs);
        switch (icmp.type()) {
            case Icmpv4MessageView.TYPE_ECHO_REQUEST -> {
                stats.increment(Counter.IcmpInEchos);
                replies.echoReply(ip, icmp);
            }
            case Icmpv4MessageView.TYPE_DESTINATION_UNREACHABLE -> {
                stats.increment(Counter.IcmpInDestUnreachs);
                icmpError(nowNanos, icmp);
            }
            case Icmpv4MessageView.TYPE_TIME_EXCEEDED -> {
                stats.increment(Counter.IcmpInTimeExcds);
                icmpError(nowNanos, icmp);
            }
            case Icmpv4MessageView.TYPE_PARAMETER_PROBLEM -> {
                stats.increment(Counter.IcmpInParmProbs);
                icmpError(nowNanos, icmp);
            }
            default -> dropped(DropReason.ICMP_UNSUPPORTED_TYPE); // echo replies: we send no echo requests
        }
    }

    /**
     * An ICMP error (its quote checked by the decoder): to the connection whose segment it quotes
     * (RFC 5927, Linux tcp_v4_err()). A quote of no connection of ours changes nothing; TIME-WAIT
     * entries ignore ICMP, as Linux's do.
     */
    private void icmpError(long nowNanos, Icmpv4MessageView icmp) {
        int la = icmp.quotedSourceAddress();
        if (icmp.quotedProtocol() != Ipv4PacketView.PROTOCOL_TCP || !isLocalAddress(la)) {
            stats.increment(Counter.IcmpInErrors);
            dropped(DropReason.ICMP_QUOTE_NOT_OURS);
            return;
        }
        int lp = icmp.quotedSourcePort();
        int ra = icmp.quotedDestinationAddress();
        int rp = icmp.quotedDestinationPort();
        TcpConnection c = connections.get(la, lp, ra, rp);
        if (c == null) {
            if (timeWait.get(la, lp, ra, rp) == null) {
                stats.increment(Counter.IcmpInErrors);
                dropped(DropReason.ICMP_NO_CONNECTION);
            }
            return;
        }
        try {
            c.icmpError(nowNanos, icmp.type(), icmp.code(), icmp.quotedTcpSeq(), icmp.nextHopMtu());
        } catch (RuntimeException e) {
            contain(c, nowNanos, "an ICMP error", e);
        }
    }

    /**
     * Fires the timers due at {@code nowNanos}: those of connections, then TIME-WAIT expiry.
     */
    public void onTimeout(long nowNanos) {
        TcpConnection c;
        while ((c = timers.peekExpired(nowNanos)) != null) {
            long before = c.heapDeadlineNanos();
            try {
                c.onTimeout(nowNanos);
            } catch (RuntimeException e) {
                contain(c, nowNanos, "a timer", e);
                continue;
            }
            if (!c.isClosed() && c.heapDeadlineNanos() == before && before <= nowNanos) {
                timers.remove(c); // defensive: a timer that re-armed in the past must not spin
                log.warn("connection {} re-armed a past deadline; timers dropped", c.id);
            }
        }
        TimeWaitTable.Entry e;
        while ((e = timeWait.pollExpired(nowNanos)) != null) {
            stats.increment(Counter.TcpExtTW);
            ConnectionId id = e.id();
            config.observer().timerExpired(nowNanos, id, TcpTimer.TIME_WAIT); // DESIGN.md §8: timer events, 2MSL too
            config.observer().stateChanged(nowNanos, id, TcpState.TIME_WAIT, TcpState.CLOSED, "2MSL timeout");
        }
        deliverEvents(nowNanos);
    }

    /** When {@link #onTimeout} must next be called; {@code Long.MAX_VALUE} when no timer is armed. */
    public long nextDeadlineNanos() {
        return Math.min(timers.peekDeadlineNanos(), timeWait.nextDeadlineNanos());
    }

    /** Whether {@link #pollTransmit} has something to send. */
    public boolean hasPendingOutput() {
        return !outputList.isEmpty() || !replies.isEmpty() || !eventList.isEmpty() || !acceptableList.isEmpty();
    }

    /**
     * Sends everything pending: queued replies first, then what each connection owes its peer.
     *
     * @param link takes ownership of every packet handed to it
     * @return the number of packets handed to the link
     */
    public int pollTransmit(long nowNanos, Link link) {
        deliverEvents(nowNanos); // what user calls since the last poll raised
        return transmitOwed(nowNanos, link);
    }

    /** Whether a received segment (or a timer) left replies or connection output to send. */
    public boolean owesOutput() {
        return !outputList.isEmpty() || !replies.isEmpty();
    }

    /**
     * Sends what segment processing owes the wire, replies first, without delivering events: the
     * part of {@link #pollTransmit} a driver calls after each datagram of a batch. Linux sends the
     * ACK a segment calls for, and the data its ACK lets out, before it processes the next segment
     * (tcp_rcv_established(): tcp_data_snd_check(), tcp_ack_snd_check()); a driver that sent once
     * per batch would answer a batch of out-of-order segments with one duplicate ACK instead of one
     * each (RFC 5681 §4.2), starving the sender's ACK clock and its SACK scoreboard.
     *
     * @param link takes ownership of every packet handed to it
     * @return the number of packets handed to the link
     */
    public int transmitOwed(long nowNanos, Link link) {
        int sent = 0;
        ByteBuf reply;
        while ((reply = replies.poll()) != null) {
            link.transmit(reply);
            sent++;
        }
        long before = stats.get(Counter.TcpOutSegs);
        TcpConnection c;
        while ((c = outputList.pollFirst()) != null) {
            c.onOutputList = false;
            if (!c.isClosed()) {
                output.output(c, nowNanos, link);
            }
        }
        return sent + (int) (stats.get(Counter.TcpOutSegs) - before);
    }

    // =====================================================================================
    // OPEN (RFC 9293 §3.10.1)
    // =====================================================================================

    /**
     * Active OPEN from an ephemeral port to {@code remoteAddress:remotePort}, from the stack's first
     * local address. The SYN goes out on the next {@link #pollTransmit}.
     *
     * @throws IllegalStateException when no ephemeral port is free for that destination
     */
    public TcpConnection connect(long nowNanos, int remoteAddress, int remotePort) {
        return connect(nowNanos, 0, remoteAddress, remotePort);
    }

    /**
     * Active OPEN from {@code localPort} (0 = ephemeral).
     *
     * @throws IllegalArgumentException for a port out of range
     * @throws IllegalStateException    when the four-tuple is in use (a live connection or TIME-WAIT)
     */
    public TcpConnection connect(long nowNanos, int localPort, int remoteAddress, int remotePort) {
        checkOpen();
        if (remotePort < 1 || remotePort > 65535 || localPort < 0 || localPort > 65535) {
            throw new IllegalArgumentException("ports: local " + localPort + ", remote " + remotePort
                    + " (expected: local 0..65535, remote 1..65535)");
        }
        int la = localAddresses[0];
        int lp = localPort != 0 ? localPort : ephemeralPort(nowNanos, la, remoteAddress, remotePort);
        if (!config.shard().owns(la, lp, remoteAddress, remotePort)) {
            throw new IllegalStateException("connect: " + Ipv4Address.format(la) + ":" + lp + " > "
                    + Ipv4Address.format(remoteAddress) + ":" + remotePort + " is a flow of shard "
                    + Shard.of(la, lp, remoteAddress, remotePort, config.shard().count()) + ", not of this one ("
                    + config.shard().index() + " of " + config.shard().count() + "): connect on that shard, or from port 0");
        }
        TimeWaitTable.Entry tw = timeWait.get(la, lp, remoteAddress, remotePort);
        if (connections.get(la, lp, remoteAddress, remotePort) != null || (tw != null && !timeWaitReusable(tw, nowNanos))) {
            throw new IllegalStateException("connect: " + Ipv4Address.format(la) + ":" + lp + " > "
                    + Ipv4Address.format(remoteAddress) + ":" + remotePort + " is in use (a connection or TIME-WAIT holds it)");
        }
        ConnectionId id = new ConnectionId(la, lp, remoteAddress, remotePort);
        TcpConnection c = newConnection(id, null, nowNanos, TcpState.CLOSED);
        if (tw != null) {
            // Linux tcp_twsk_unique(): the new incarnation starts beyond anything the old one sent, and keeps its
            // TS.Recent so that PAWS drops the old one's late segments.
            timeWait.remove(tw);
            stats.increment(Counter.TcpExtTWRecycled);
            config.observer().stateChanged(nowNanos, id, TcpState.TIME_WAIT, TcpState.CLOSED, "tcp_tw_reuse");
            int iss = tw.sndNxt + 65535 + 2;
            c.sender.start(iss == 0 ? 1 : iss);
            c.receiver.inheritTsRecent(tw.tsRecent, tw.tsRecentNanos);
        } else {
            c.sender.start(isn(nowNanos, id));
        }
        c.ecn = ecn.requests(); // RFC 3168 §6.1.1: an ECN-setup SYN (Linux tcp_ecn_send_syn(), tcp_ecn == 1)
        stats.increment(Counter.TcpActiveOpens);
        c.setState(nowNanos, TcpState.SYN_SENT, "user OPEN (active)");
        c.synPending = true;
        wantsOutput(c);
        return c;
    }


    /**
     * Passive OPEN on {@code port} for every local address; the observer sees CLOSED → LISTEN at
     * {@code nowNanos}.
     *
     * @param reuseAddress SO_REUSEADDR: allow listening while TIME-WAIT entries hold the port
     * @throws IllegalStateException when the port already has a listener, or TIME-WAIT entries and
     *                               {@code reuseAddress} is off
     */
    public TcpListener listen(long nowNanos, int port, int backlog, boolean reuseAddress) {
        checkOpen();
        if (port < 1 || port > 65535 || backlog < 0) {
            throw new IllegalArgumentException("listen: port " + port + ", backlog " + backlog
                    + " (expected: port 1..65535, backlog >= 0)");
        }
        if (listenersByPort[port] != null) {
            throw new IllegalStateException("listen: port " + port + " already has a listener");
        }
        if (!reuseAddress && timeWait.countLocalPort(port) > 0) {
            throw new IllegalStateException("listen: port " + port + " is held by " + timeWait.countLocalPort(port)
                    + " TIME-WAIT entries (set reuseAddress, like SO_REUSEADDR)");
        }
        TcpListener listener = new TcpListener(this, 0, port, backlog);
        if (fastOpen.has(FastOpen.SERVER_ENABLE) && fastOpen.has(FastOpen.SERVER_WO_SOCKOPT)) {
            listener.setFastOpenQueueLimit(backlog); // Linux inet_listen(): TFO_SERVER_WO_SOCKOPT1, a queue of the backlog
        }
        listenersByPort[port] = listener;
        listenerCount++;
        config.observer().stateChanged(nowNanos, listener.id(), TcpState.CLOSED, TcpState.LISTEN, "user OPEN (passive)");
        return listener;
    }


    /** {@link #listen(long, int, int, boolean)} with SO_REUSEADDR on, as most servers set it. */
    public TcpListener listen(long nowNanos, int port, int backlog) {
        return listen(nowNanos, port, backlog, true);
    }

    void removeListener(TcpListener listener) {
        if (listenersByPort[listener.port()] == listener) {
            listenersByPort[listener.port()] = null;
            listenerCount--;
        }
    }

    /** A listener closed: LISTEN → CLOSED for the observer. */
    void listenerClosed(long nowNanos, TcpListener listener) {
        config.observer().stateChanged(nowNanos, listener.id(), TcpState.LISTEN, TcpState.CLOSED, "user CLOSE");
    }

    /**
     * Linux-style ephemeral port choice: from a random start, the next port whose tuple is free, or
     * held by a TIME-WAIT entry that tcp_tw_reuse lets us take over; on a shard, only a port whose
     * flow the shard owns ({@link io.usertcp.core.Shard}), so that the peer's answers come back to it.
     */
    private int ephemeralPort(long nowNanos, int la, int remoteAddress, int remotePort) {
        int low = config.ephemeralPortLow();
        int range = config.ephemeralPortHigh() - low + 1;
        for (int i = 0; i < range; i++) {
            int port = low + Math.floorMod(nextEphemeral - low + i, range);
            TimeWaitTable.Entry tw;
            if (listenersByPort[port] == null && config.shard().owns(la, port, remoteAddress, remotePort)
                    && connections.get(la, port, remoteAddress, remotePort) == null
                    && ((tw = timeWait.get(la, port, remoteAddress, remotePort)) == null || timeWaitReusable(tw, nowNanos))) {
                nextEphemeral = port + 1;
                return port;
            }
        }
        throw new IllegalStateException("connect: no free ephemeral port in " + low + ".." + config.ephemeralPortHigh()
                + " for " + Ipv4Address.format(remoteAddress) + ":" + remotePort);
    }

    /**
     * Linux tcp_twsk_unique(): with tcp_tw_reuse (for loopback addresses only in its default mode), an
     * active open may take over a TIME-WAIT entry that used timestamps and last took a TSval more
     * than a second ago (tcp_tw_reuse_delay): PAWS then protects the new incarnation from the old
     * one's segments. Without timestamps it never may.
     */
    private boolean timeWaitReusable(TimeWaitTable.Entry tw, long nowNanos) {
        boolean allowed = switch (tcp.timeWaitReuse()) {
            case OFF -> false;
            case ON -> true;
            case LOOPBACK -> Ipv4Address.isLoopback(tw.localAddress) || Ipv4Address.isLoopback(tw.remoteAddress);
        };
        return allowed && tw.timestamps && nowNanos - tw.tsRecentNanos > TIME_WAIT_REUSE_DELAY_NANOS;
    }

    /** Linux net.ipv4.tcp_tw_reuse_delay: 1 s. */
    static final long TIME_WAIT_REUSE_DELAY_NANOS = 1_000_000_000L;

    TcpConnection newConnection(ConnectionId id, TcpListener parent, long nowNanos, TcpState initial) {
        TcpConnection c = new TcpConnection(host, id, parent, nowNanos);
        c.state = initial;
        c.receiver.start(localMss, windowShiftOffered);
        c.sender.configure(Math.min(SegmentArrival.DEFAULT_MSS, localMss),
                tsOffset(id.localAddress(), id.localPort(), id.remoteAddress(), id.remotePort()));
        connections.put(id.localAddress(), id.localPort(), id.remoteAddress(), id.remotePort(), c);
        live.add(c);
        return c;
    }

    int isn(long nowNanos, ConnectionId id) {
        return isn.isn(nowNanos, id.localAddress(), id.localPort(), id.remoteAddress(), id.remotePort());
    }

    /** RFC 7323 §5.4: a per-connection random offset for our timestamp clock, from the stack's secret. */
    int tsOffset(int la, int lp, int ra, int rp) {
        return (int) secrets.hash(((long) la << 32) | Integer.toUnsignedLong(ra), ((long) lp << 16) | rp, TS_OFFSET_SALT);
    }

    int windowShiftOffered() {
        return windowShiftOffered;
    }

    // =====================================================================================
    // What connections need from the stack (ConnectionHost, kept off the public API)
    // =====================================================================================

    /** The TCP numbers and behaviour profile this stack runs with. */
    public TcpConfig config() {
        return tcp;
    }

    ConnectionObserver observer() {
        return config.observer();
    }

    /**
     * TCP Fast Open (RFC 7413), stack-wide: its mode (net.ipv4.tcp_fastopen), the server's key
     * (net.ipv4.tcp_fastopen_key) and the client's cookie cache. Always 0 (off) in a profile
     * without Fast Open ({@link TcpProfile#hasFastOpen()}).
     */
    public FastOpen fastOpen() {
        return fastOpen;
    }

    /**
     * ECN negotiation (RFC 3168) from now on: the SYNs the stack sends and answers next follow
     * {@code mode}, as a running Linux follows net.ipv4.tcp_ecn; connections already open keep what
     * they agreed. Starts as {@link TcpConfig#ecn()}.
     */
    public void setEcn(TcpConfig.EcnMode mode) {
        if (mode == null) {
            throw new IllegalArgumentException("ecn: null (expected: OFF, ON or PASSIVE)");
        }
        this.ecn = mode;
    }

    /** The ECN mode SYNs follow now ({@link #setEcn}). */
    public TcpConfig.EcnMode ecn() {
        return ecn;
    }

    /** The stack's counters, named as nstat names Linux's. */
    public StackStats stats() {
        return stats;
    }

    /** The allocator packets and copies come from. */
    public ByteBufAllocator allocator() {
        return config.allocator();
    }

    int localMss() {
        return localMss;
    }

    void wantsOutput(TcpConnection c) {
        if (!c.onOutputList && !c.isClosed()) {
            c.onOutputList = true;
            outputList.addLast(c);
        }
    }

    void timersChanged(TcpConnection c) {
        timers.update(c, c.isClosed() ? Long.MAX_VALUE : c.earliestDeadline());
    }

    void detached(TcpConnection c, long nowNanos, boolean toTimeWait) {
        ConnectionId id = c.id;
        connections.remove(id.localAddress(), id.localPort(), id.remoteAddress(), id.remotePort());
        timers.remove(c);
        if (c.parent != null) {
            c.parent.childDetached(c);
        }
        if (toTimeWait) {
            // The connection owes an ACK when the peer's FIN took it here (FIN-WAIT-1/2); from CLOSING,
            // the ACK of our FIN needs no answer (RFC 9293 §3.10.7.4, fifth check, CLOSING).
            boolean ackFin = c.ackNow;
            if (timeWait.isFull()) {
                // Linux: "TCP: time wait bucket table overflow": close at once, but still ACK the FIN.
                stats.increment(Counter.TcpExtTCPTimeWaitOverflow);
                if (ackFin) {
                    replies.timeWaitAck(nowNanos, new TimeWaitTable.Entry(c, nowNanos));
                }
                config.observer().stateChanged(nowNanos, id, TcpState.TIME_WAIT, TcpState.CLOSED, "TIME-WAIT table full");
            } else {
                TimeWaitTable.Entry entry = timeWait.add(c, nowNanos);
                if (ackFin) {
                    replies.timeWaitAck(nowNanos, entry);
                }
            }
        }
        if (c.closedByUser || c.awaitingAccept && !c.keptForAccept()) {
            live.remove(c); // nobody holds it: its buffers were released in finish()
        }
    }

    boolean challengeAckAllowed(long nowNanos) {
        long second = Math.floorDiv(nowNanos, SECOND_NANOS);
        if (second != challengeAckSecond) {
            challengeAckSecond = second;
            challengeAcksThisSecond = 0;
        }
        return challengeAcksThisSecond++ < tcp.challengeAckLimitPerSecond();
    }





    // =====================================================================================
    // STATUS and shutdown
    // =====================================================================================

    public StackConfig stackConfig() {
        return config;
    }

    /** The memory received data holds, stack-wide, against {@link TcpConfig#receiveMemoryLimitBytes()}. */
    public long receiveMemoryBytes() {
        return memory.chargedBytes();
    }

    /** The behaviour profile this stack runs (linux, rfc or freebsd), for ss and stats. */
    public TcpProfile profile() {
        return tcp.profile();
    }

    /** Connections in the table (every state but LISTEN, CLOSED and TIME-WAIT). */
    public int connectionCount() {
        return connections.size();
    }

    /** The live connection with this four-tuple, or null (for tests and tools in this package). */
    TcpConnection connectionFor(ConnectionId id) {
        return connections.get(id.localAddress(), id.localPort(), id.remoteAddress(), id.remotePort());
    }

    public int timeWaitCount() {
        return timeWait.size();
    }

    /** One snapshot per connection and per TIME-WAIT entry. */
    public List<ConnectionSnapshot> snapshot(long nowNanos) {
        List<ConnectionSnapshot> out = new ArrayList<>();
        for (TcpConnection c : connections.values()) {
            out.add(c.snapshot(nowNanos));
        }
        for (TimeWaitTable.Entry e : timeWait.all()) {
            out.add(ConnectionSnapshot.timeWait(e.id(), Math.max(0, e.deadlineNanos - nowNanos)));
        }
        return Collections.unmodifiableList(out);
    }

    /** TCP_INFO of every live connection (not TIME-WAIT entries), for {@code ss -i}. */
    public Map<ConnectionId, TcpInfo> tcpInfo(long nowNanos) {
        Map<ConnectionId, TcpInfo> out = new HashMap<>();
        for (TcpConnection c : connections.values()) {
            out.put(c.id, c.tcpInfo(nowNanos));
        }
        return out;
    }

    /** Listeners, for a table of LISTEN sockets. */
    public List<TcpListener> listeners() {
        List<TcpListener> out = new ArrayList<>(listenerCount);
        for (int port = 0; out.size() < listenerCount; port++) {
            if (listenersByPort[port] != null) {
                out.add(listenersByPort[port]);
            }
        }
        return out;
    }

    /**
     * Shuts the stack down: every connection is dropped without sending anything, every buffer
     * released. The stack accepts no calls afterwards.
     */
    public void close(long nowNanos) {
        if (closed) {
            return;
        }
        for (TcpListener l : listeners()) {
            l.stackClosed(); // its queued children are released below with every other connection
            removeListener(l);
        }
        for (TcpConnection c : new ArrayList<>(live)) {
            if (!c.isClosed()) {
                c.enterClosed(nowNanos, CloseReason.STACK_CLOSED, "stack closed");
            }
            c.release();
        }
        live.clear();
        outputList.clear();
        deliverEvents(nowNanos); // the handlers hear of STACK_CLOSED
        replies.release();
        writer.release();
        closed = true;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the stack is closed");
        }
    }

    private boolean isLocalAddress(int address) {
        for (int a : localAddresses) {
            if (a == address) {
                return true;
            }
        }
        return false;
    }
}
