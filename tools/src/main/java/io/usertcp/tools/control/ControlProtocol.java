package io.usertcp.tools.control;

/**
 * The control socket's protocol: the client sends one command line ({@code ss}, {@code stats} or
 * {@code info}) and reads the answer until the server closes: {@code OK} on the first line, then
 * tab-separated rows; or {@code ERR message}.
 *
 * <ul>
 *   <li>{@code ss}: one {@link SsRow#toLine()} per listener, connection and TIME-WAIT entry, of
 *       every shard, each row naming its shard;
 *   <li>{@code stats}: {@code name\tvalue} per counter, nstat's names, with a value per shard
 *       ({@code name\tvalue0\tvalue1...}, shard 0's first) when the stack has several;
 *   <li>{@code info}: {@code key\tvalue}: namespace, pid, what is served, how to reach it,
 *       {@code shards}, how many, {@code captures}, the number of capture streams running, and
 *       {@code profile}, the behaviour profile the stack runs ({@code linux}, {@code rfc} or
 *       {@code freebsd}, read from the stack);
 *   <li>{@code capture}: {@code OK}, then binary {@link CaptureFrames} for as long as the client reads:
 *       every segment the stack (every shard) receives and sends, with its time on the stack clock. The client
 *       ends it by closing the connection; the server ends it with an end frame when the stack stops.
 * </ul>
 */
public final class ControlProtocol {
    public static final String SS = "ss";
    public static final String STATS = "stats";
    public static final String INFO = "info";
    public static final String CAPTURE = "capture";
    public static final String OK = "OK";
    public static final String ERR = "ERR";
    /** Socket files end with this. */
    public static final String SUFFIX = ".sock";
    /** A request line is at most this long. */
    static final int MAX_REQUEST_BYTES = 256;

    private ControlProtocol() {}
}
