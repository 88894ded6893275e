package io.usertcp.packetdrill;

import io.usertcp.tcp.TcpConnection;
import io.usertcp.tcp.TcpListener;

/** One open file descriptor of the {@link SocketLayer}: its mode, options and what it is bound to. */
final class OpenSocket {
    final int fd;
    boolean nonBlocking;
    boolean reuseAddress;
    boolean keepAlive;
    long keepIdleSeconds;
    long keepIntervalSeconds;
    int keepCount;
    boolean lingerOn;
    int lingerSeconds;
    boolean noDelay;
    /** TCP_CORK. */
    boolean cork;
    /** TCP_NOTSENT_LOWAT as set, an unsigned int; 0 (unset) means the stack's default, no limit (Linux: the sysctl, UINT_MAX). */
    long notSentLowat;
    /** TCP_MAXSEG set before the SYN; 0 when unset. */
    int maxSegment;
    long userTimeoutMillis;
    /** SO_SNDBUF and SO_RCVBUF as requested (before the profile doubles them); -1 when unset. */
    long sendBufferRequest = -1;
    long receiveBufferRequest = -1;
    /** Whether the request has been given to the connection (an accepted child gets its listener's). */
    boolean sendBufferApplied;
    boolean receiveBufferApplied;
    long keepInitSeconds;
    boolean noOptions;
    int boundPort;
    TcpListener listener;
    TcpConnection connection;
    boolean errorReported;
    boolean shutRead;
    boolean shutWrite;
    /** A blocking write in progress: bytes queued so far. */
    long writeQueued = -1;
    /** Bytes queued by every write and send so far: where each zero-copy send ends. */
    long bytesWritten;
    /** SO_ZEROCOPY. */
    boolean zeroCopy;
    /** SO_TIMESTAMPING's flags, and with OPT_ID the byte count (SND.UNA) its keys count from. */
    int timestamping;
    long timestampKeyBase;
    /** The error queue, once something may be queued on it (zero-copy completions, timestamps). */
    ErrorQueue errors;
    /** SO_MARK: kept for getsockopt; it only steers routing and filtering, which the runner has none of. */
    long mark;
    /** TCP_INQ: recvmsg reports the bytes left to read (TCP_CM_INQ). */
    boolean inq;
    /** When this descriptor is an epoll instance, not a socket. */
    EpollInstance epoll;
    /** Wakeups so far (data, room, completions, state changes), for edge-triggered epoll; and what they were judged from. */
    long wakeups;
    long seenReadable;
    boolean seenWritable;
    int seenCompletions;
    Object seenState;

    OpenSocket(int fd) {
        this.fd = fd;
    }
}
