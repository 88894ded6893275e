package io.usertcp.packetdrill;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One epoll instance of the {@link SocketLayer} (fs/eventpoll.c as TCP uses it): the descriptors
 * registered with their event masks. Level-triggered registrations report a descriptor whenever
 * its poll mask (tcp_poll()) meets the events asked for; edge-triggered ones (EPOLLET) only after a
 * wakeup since they last reported it (data arriving, room to write, an error-queue completion, a
 * change of state), as ep_poll_callback() puts an item on the ready list once per wakeup. A new
 * registration is polled once when added (ep_insert()), so a ready descriptor is reported once
 * even edge-triggered. EPOLLERR and EPOLLHUP are reported whether asked for or not.
 */
final class EpollInstance {
    static final int EPOLLIN = 0x1;
    static final int EPOLLOUT = 0x4;
    static final int EPOLLERR = 0x8;
    static final int EPOLLHUP = 0x10;
    static final int EPOLLRDNORM = 0x40;
    static final int EPOLLWRNORM = 0x100;
    static final int EPOLLRDHUP = 0x2000;
    static final int EPOLLEXCLUSIVE = 1 << 28;
    static final int EPOLLONESHOT = 1 << 30;
    static final int EPOLLET = 1 << 31;
    static final int CTL_ADD = 1;
    static final int CTL_DEL = 2;
    static final int CTL_MOD = 3;

    /** A registration: the events asked for, and the socket's wakeup count when it was last reported. */
    private static final class Interest {
        int events;
        long reportedAtWakeup;
        boolean disabled;
    }

    private final Map<Integer, Interest> interests = new LinkedHashMap<>();

    /** epoll_ctl: EEXIST, ENOENT or EINVAL as Linux answers them; null when done. */
    Errno control(int op, int fd, int events, long wakeupsNow) {
        Interest i = interests.get(fd);
        switch (op) {
            case CTL_ADD -> {
                if (i != null) {
                    return Errno.EEXIST;
                }
                i = new Interest();
                i.events = events;
                i.reportedAtWakeup = wakeupsNow - 1; // ep_insert() polls it once
                interests.put(fd, i);
            }
            case CTL_MOD -> {
                if (i == null) {
                    return Errno.ENOENT;
                }
                if ((events & EPOLLEXCLUSIVE) != 0 || (i.events & EPOLLEXCLUSIVE) != 0) {
                    return Errno.EINVAL; // ep_modify() refuses EPOLLEXCLUSIVE
                }
                i.events = events;
                i.disabled = false;
                i.reportedAtWakeup = wakeupsNow - 1; // ep_modify() polls it again
            }
            case CTL_DEL -> {
                if (interests.remove(fd) == null) {
                    return Errno.ENOENT;
                }
            }
            default -> {
                return Errno.EINVAL;
            }
        }
        return null;
    }

    /** What a descriptor looks like now: its poll mask and wakeup count, or null when it is closed. */
    interface Readiness {
        /** {@code {mask, wakeups}}, or null for a descriptor no longer open (epoll forgets it). */
        long[] of(int fd);
    }

    /**
     * epoll_wait with timeout 0: the descriptors ready now, up to {@code maxEvents}; the first one's
     * events and descriptor go to {@code first}.
     *
     * @return how many were reported
     */
    int poll(int maxEvents, Readiness readiness, int[] first) {
        int reported = 0;
        var it = interests.entrySet().iterator();
        while (it.hasNext() && reported < maxEvents) {
            Map.Entry<Integer, Interest> e = it.next();
            Interest i = e.getValue();
            long[] now = readiness.of(e.getKey());
            if (now == null) {
                it.remove(); // a closed descriptor leaves every epoll set (eventpoll_release())
                continue;
            }
            int ready = (int) now[0] & (i.events | EPOLLERR | EPOLLHUP);
            boolean edge = (i.events & EPOLLET) != 0;
            if (i.disabled || ready == 0 || (edge && now[1] <= i.reportedAtWakeup)) {
                continue;
            }
            i.reportedAtWakeup = now[1];
            if ((i.events & EPOLLONESHOT) != 0) {
                i.disabled = true;
            }
            if (reported == 0) {
                first[0] = ready;
                first[1] = e.getKey();
            }
            reported++;
        }
        return reported;
    }
}
