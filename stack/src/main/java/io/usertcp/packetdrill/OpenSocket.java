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
    /** Wakeups so far (data, room, error-queue notifications, state changes), for edge-triggered epoll; and what they were judged from. */
    long wakeups;
    long seenReadable;
    boolean seenWritable;
    Object seenState;
    /** TCP_FASTOPEN on a socket not yet listening: the Fast Open queue length its listener gets; -1 unset. */
    int fastOpenQueue = -1;
    /** TCP_FASTOPEN_CONNECT. */
    boolean fastOpenConnect;
    /** TCP_MD5SIG keys (RFC 2385), for the listener or the connection this socket gets; null until one is set. */
    io.usertcp.tcp.TcpMd5Keys md5Keys;
    /** TCP_SYNCNT; 0 unset. */
    int synCount;
    /** Linux SS_CONNECTED: a connect (or MSG_FASTOPEN send) saw the handshake complete; MSG_FASTOPEN then gives EISCONN. */
    boolean connected;
    /** For an epoll descriptor: the descriptors it watches, in order, and what each asked for; null otherwise. */
    java.util.TreeMap<Integer, SocketReadiness.EpollInterest> epoll;
    /** A file the script opened (its size, from the shell line that made it), else -1: not a file. */
    long fileSize = -1;
    /** The file's offset, for sendfile() without one. */
    long filePosition;
    /** A blocking MSG_FASTOPEN send waiting for the handshake: the bytes its SYN carried; -1 when none is. */
    int fastOpenCopied = -1;

    OpenSocket(int fd) {
        this.fd = fd;
    }
}
