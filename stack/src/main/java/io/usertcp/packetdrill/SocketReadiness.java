package io.usertcp.packetdrill;

import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpState;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * poll(2) and epoll for the {@link SocketLayer}'s descriptors: what each is ready for, as Linux
 * tcp_poll() reports it, and the waits, blocked until something is ready or the timeout passed
 * (the runner calls a blocked call again as time moves). Single-threaded, like the layer.
 */
final class SocketReadiness {
    private final TreeMap<Integer, OpenSocket> sockets;
    private final LongSupplier clock;
    /** Brings a socket's error queue up to date before it is looked at. */
    private final Consumer<OpenSocket> refresh;

    /** Linux's poll bits. */
    static final int POLLIN = 0x1;
    static final int POLLOUT = 0x4;
    static final int POLLERR = 0x8;
    static final int POLLHUP = 0x10;
    static final int POLLNVAL = 0x20;
    static final int POLLRDHUP = 0x2000;

    /** When a blocked poll() started waiting, or -1 (its timeout counts from there). */
    private long pollStartedNanos = -1;

    SocketReadiness(TreeMap<Integer, OpenSocket> sockets, LongSupplier clock, Consumer<OpenSocket> refresh) {
        this.sockets = sockets;
        this.clock = clock;
        this.refresh = refresh;
    }

    /**
     * {@code poll(2)}: each descriptor's events as Linux tcp_poll() reports them; ready or
     * {@code timeoutMillis} 0: at once; otherwise blocked until one is ready or the timeout passed
     * (the timeout is seen when the runner calls again, as time moves).
     */
    SyscallResult poll(int[] fds, int[] events, int[] revents, int timeoutMillis) {
        int ready = 0;
        for (int i = 0; i < fds.length; i++) {
            OpenSocket s = sockets.get(fds[i]);
            if (s != null) {
                observe(s);
            }
            revents[i] = s == null ? POLLNVAL : pollEvents(s) & (events[i] | POLLERR | POLLHUP);
            ready += revents[i] != 0 ? 1 : 0;
        }
        return pollOutcome(ready, timeoutMillis);
    }

    /**
     * Linux tcp_poll(): a listener is readable with a connection to accept; a closed socket hangs
     * up, readable and writable (tcp_done() shuts both ways); a connected one (or a passive Fast
     * Open child) is readable with data or after the peer's FIN, writable with room; an active Fast
     * Open socket whose SYN waits for the first write (TCP_FASTOPEN_CONNECT) is writable; a pending
     * error, or a notification on the error queue (zero-copy completions, timestamps), adds POLLERR.
     * Writable means sk_stream_is_writeable(): with the linux profile's skb accounting, free space at
     * least half of what is queued and the unsent bytes under half of TCP_NOTSENT_LOWAT (when a
     * waiting writer is woken); otherwise room for more.
     */
    private int pollEvents(OpenSocket s) {
        if (s.epoll != null) {
            return 0;
        }
        if (s.listener != null) {
            return s.listener.acceptQueueLength() > 0 ? POLLIN : 0;
        }
        TcpConnection c = s.connection;
        if (c == null) {
            return POLLOUT | POLLHUP;
        }
        int mask = 0;
        if (c.isClosed()) {
            mask |= POLLIN | POLLOUT | POLLHUP | POLLRDHUP;
        } else {
            TcpState state = c.state();
            boolean connected = state != TcpState.SYN_SENT && (state != TcpState.SYN_RECEIVED || c.sendsBeforeEstablished());
            if (c.isEndOfStream() || connected && c.readableBytes() > 0) {
                mask |= POLLIN;
            }
            if (c.isEndOfStream()) {
                mask |= POLLRDHUP;
            }
            if (connected && (s.shutWrite || writable(c)) || state == TcpState.SYN_SENT && c.fastOpenDeferred()) {
                mask |= POLLOUT;
            }
        }
        if (!s.errorReported && c.closeReason() != null && c.state() != TcpState.TIME_WAIT && Errno.of(c.closeReason()) != null) {
            mask |= POLLERR;
        }
        if (s.errors != null && !s.errors.isEmpty()) {
            mask |= POLLERR;
        }
        return mask;
    }

    private static boolean writable(TcpConnection c) {
        return c.accountsSendBufferInSkbs() ? c.sendWakes() : c.sendSpace() > 0;
    }

    /**
     * A socket's wakeups so far, counting those since the last look: data arrived, room to write
     * appeared, a notification was queued on the error queue (sk_error_report()), or the state
     * changed. Linux wakes epoll on each of these (sk_data_ready(), sk_write_space(),
     * sk_state_change()), and an edge-triggered item is reported again after each.
     */
    private long observe(OpenSocket s) {
        refresh.accept(s);
        TcpConnection c = s.connection;
        long readable = c == null ? (s.listener != null ? s.listener.acceptQueueLength() : 0) : c.readableBytes();
        boolean canWrite = (pollEvents(s) & POLLOUT) != 0;
        Object state = c != null ? c.state() : s.listener;
        int notifications = s.errors == null ? 0 : s.errors.takeWakeups();
        if (readable > s.seenReadable || (canWrite && !s.seenWritable) || notifications > 0 || state != s.seenState) {
            s.wakeups++;
        }
        s.seenReadable = readable;
        s.seenWritable = canWrite;
        s.seenState = state;
        return s.wakeups;
    }

    private static final int EPOLL_CTL_ADD = 1;
    private static final int EPOLL_CTL_DEL = 2;
    private static final int EPOLL_CTL_MOD = 3;
    private static final int EPOLLET = 1 << 31;

    /**
     * What one descriptor asked an epoll descriptor for, and (edge-triggered) what was last reported
     * of it and its wakeup count then.
     */
    static final class EpollInterest {
        int events;
        int reported;
        long reportedAtWakeup;
    }

    /**
     * {@code epoll_ctl}: ADD, MOD or DEL (EEXIST, ENOENT as Linux). ADD and MOD look at the
     * descriptor at once (Linux ep_insert(), ep_modify()): what is ready then is reported by the next
     * epoll_wait, edge-triggered or not.
     */
    SyscallResult epollCtl(int epfd, int op, int fd, int events) {
        OpenSocket e = sockets.get(epfd);
        if (e == null || !sockets.containsKey(fd)) {
            return SyscallResult.error(Errno.EBADF);
        }
        if (e.epoll == null || fd == epfd) {
            return SyscallResult.error(Errno.EINVAL, "not an epoll descriptor");
        }
        EpollInterest interest = e.epoll.get(fd);
        switch (op) {
            case EPOLL_CTL_ADD -> {
                if (interest != null) {
                    return SyscallResult.error(Errno.EEXIST);
                }
                interest = new EpollInterest();
                interest.events = events;
                interest.reportedAtWakeup = observe(sockets.get(fd));
                e.epoll.put(fd, interest);
            }
            case EPOLL_CTL_MOD, EPOLL_CTL_DEL -> {
                if (interest == null) {
                    return SyscallResult.error(Errno.ENOENT);
                }
                if (op == EPOLL_CTL_DEL) {
                    e.epoll.remove(fd);
                } else {
                    interest.events = events;
                    interest.reported = 0;
                    interest.reportedAtWakeup = observe(sockets.get(fd));
                }
            }
            default -> {
                return SyscallResult.error(Errno.EINVAL, "epoll_ctl op " + op);
            }
        }
        return SyscallResult.ok(0);
    }

    /**
     * {@code epoll_wait}: the watched descriptors with events (tcp_poll()'s, as {@link #poll}).
     * Edge-triggered (EPOLLET) ones report an event when it was not ready at the last report, or,
     * with all it has ready, after a wakeup since then (Linux puts the item on the ready list at
     * each wakeup: new data on a readable socket, another error-queue notification). Blocks like
     * poll() when nothing is ready.
     */
    SyscallResult epollWait(int epfd, int maxEvents, int timeoutMillis, int[] first) {
        OpenSocket e = sockets.get(epfd);
        if (e == null || e.epoll == null) {
            return SyscallResult.error(e == null ? Errno.EBADF : Errno.EINVAL);
        }
        int ready = 0;
        for (var entry : e.epoll.entrySet()) {
            OpenSocket s = sockets.get(entry.getKey());
            EpollInterest interest = entry.getValue();
            long wakeups = s == null ? interest.reportedAtWakeup : observe(s);
            int now = s == null ? 0 : pollEvents(s) & (interest.events | POLLERR | POLLHUP);
            boolean woken = wakeups > interest.reportedAtWakeup;
            int report = (interest.events & EPOLLET) != 0 && !woken ? now & ~interest.reported : now;
            interest.reported &= now; // what stopped being ready may be reported again when it comes back
            if (report != 0 && ready < maxEvents) {
                if (ready == 0) {
                    first[0] = report;
                    first[1] = entry.getKey();
                }
                interest.reported |= report;
                interest.reportedAtWakeup = wakeups;
                ready++;
            }
        }
        return pollOutcome(ready, timeoutMillis);
    }

    /** poll() and epoll_wait(): ready, or no wait asked, or the wait is over: the count; else blocked. */
    private SyscallResult pollOutcome(int ready, int timeoutMillis) {
        long now = clock.getAsLong();
        if (pollStartedNanos < 0) {
            pollStartedNanos = now;
        }
        if (ready > 0 || timeoutMillis == 0 || timeoutMillis > 0 && now - pollStartedNanos >= timeoutMillis * 1_000_000L) {
            pollStartedNanos = -1;
            return SyscallResult.ok(ready);
        }
        return SyscallResult.BLOCKED;
    }

}
